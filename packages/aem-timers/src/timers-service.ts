import { defineCall, defineService, type CallSpec, type ServiceDefinition } from '@aem/core';
import { checkDelay } from './check-delay';
import { NodeClock } from './node-clock';
import type { TimerClock } from './timer-clock';
import type { TimerExpiration } from './timer-expiration';
import { KernelTimerEngine } from './kernel-timer-engine';
import { openKernelTimers } from './kernel-timers';
import type { TimerEngine } from './timer-engine';
import { TimerSource } from './timer-source';
import { TimerWheel } from './timing-wheel';

/**
 * The service's name in the AEM registry.
 *
 * @example
 * ```ts
 * const binding = runtime.bind<TimersServiceDefinition>(TIMERS_SERVICE_NAME, '^1');
 * ```
 */
export const TIMERS_SERVICE_NAME = 'timers';

/**
 * The version of the service this package defines.
 *
 * @example
 * ```ts
 * await runtime.unload(TIMERS_SERVICE_NAME, TIMERS_SERVICE_VERSION, { drain: true });
 * ```
 */
export const TIMERS_SERVICE_VERSION = '1.0.0';

/**
 * Arguments of the `after` call: a one-shot timer.
 *
 * @example
 * ```ts
 * binding.call('after', { ms: 500 } satisfies AfterArgs, onTimeout);
 * ```
 */
export interface AfterArgs {
  /** Delay in ms: finite, ≥ 0 (fractions round up to the wheel's tick). */
  readonly ms: number;
}

/**
 * Arguments of the `every` call: a periodic timer.
 *
 * @example
 * ```ts
 * binding.call('every', { ms: 1000, firstDelayMs: 0 } satisfies EveryArgs, onTick);
 * ```
 */
export interface EveryArgs {
  /** Period in ms: finite, > 0. */
  readonly ms: number;
  /** Delay to the first expiration; default the period. */
  readonly firstDelayMs?: number;
}

/**
 * Per-runtime state of the timers service: its wheel, and the sources of live timer events.
 *
 * @example
 * ```ts
 * const wheel: TimerWheel = new Timers(runtime).wheel; // the state's wheel
 * ```
 */
export interface TimersState {
  /** The wheel all timer events of this runtime live on. */
  readonly wheel: TimerWheel;
  /** @internal */
  readonly sources: WeakMap<object, TimerSource>;
  /** @internal Where timer events are armed: the wheel, or the kernel on the kmod backend. */
  readonly engine: TimerEngine;
}

/**
 * The calls of the timers service.
 *
 * @example
 * ```ts
 * const names: (keyof TimersCalls)[] = ['after', 'every'];
 * ```
 */
export type TimersCalls = {
  /** One-shot: one activation after `ms`, then the event ends. Defaults: keep-alive, one-shot. */
  readonly after: CallSpec<TimersState, AfterArgs, TimerExpiration>;
  /** Periodic: an activation every `ms`. Default: keep-alive. */
  readonly every: CallSpec<TimersState, EveryArgs, TimerExpiration>;
};

/**
 * The definition of the timers service, to type a binding.
 *
 * @example
 * ```ts
 * const timers = runtime.bind<TimersServiceDefinition>('timers', '^1');
 * timers.call('after', { ms: 100 }, ({ time }) => console.log(time));
 * ```
 */
export type TimersServiceDefinition = ServiceDefinition<TimersState, TimersCalls>;

/**
 * Options of {@link createTimersService}.
 *
 * @example
 * ```ts
 * runtime.load(createTimersService({ clock: new VirtualClock(), tickMs: 1 }));
 * ```
 */
export interface TimersServiceOptions {
  /**
   * The clock of the service's wheel; default a {@link NodeClock} on the runtime backend's
   * clock. Tests pass a `VirtualClock`.
   */
  readonly clock?: TimerClock;
  /** The wheel's tick in ms; default 1. */
  readonly tickMs?: number;
  /** Initial capacity of the wheel; default 1,024 (it grows by 1.5×). */
  readonly initialCapacity?: number;
}

/**
 * Defines the `timers` service (version {@link TIMERS_SERVICE_VERSION}): each runtime that
 * loads it gets its own {@link TimerWheel}; calls `after` and `every` create timer events whose
 * activations carry a {@link TimerExpiration}. Stopping a timer event disarms it, starting it
 * again re-arms it from then with the full delay; shutting it down cancels it.
 *
 * Use {@link timersService} for the real clock; use this factory for a virtual clock or
 * another tick.
 *
 * @example
 * ```ts
 * import { createAem } from '@aem/core';
 * import { Timers, createTimersService } from '@aem/timers';
 * import { VirtualClock } from '@aem/timers/testing';
 *
 * const clock = new VirtualClock();
 * const runtime = createAem();
 * runtime.load(createTimersService({ clock }));
 * const timers = new Timers(runtime);
 * timers.after(100, () => console.log('fired'));
 * clock.advance(100); // the activation is queued; it runs on the next microtask
 * ```
 * @param options - clock, tick, capacity.
 * @returns a service definition to pass to `runtime.load`.
 */
export function createTimersService(options: TimersServiceOptions = {}): TimersServiceDefinition {
  return defineService<TimersState, TimersCalls>({
    name: TIMERS_SERVICE_NAME,
    version: TIMERS_SERVICE_VERSION,
    description: 'soft timers on a hierarchical timing wheel: one-shot and periodic',
    setup: (host) => {
      const clock = options.clock ?? new NodeClock({ now: () => host.backend.now() });
      const state: TimersState = {
        wheel: new TimerWheel({
          clock,
          tickMs: options.tickMs,
          initialCapacity: options.initialCapacity,
        }),
        sources: new WeakMap(),
        engine: undefined as unknown as TimerEngine,
      };
      // On the kmod backend the timer events live in the kernel; the wheel still serves the
      // RxJS scheduler and direct wheel users. A virtual clock always means the wheel.
      const kernel =
        options.clock === undefined && host.backend.kernel !== undefined
          ? openKernelTimers(host.backend.kernel)
          : undefined;
      (state as { engine: TimerEngine }).engine =
        kernel === undefined
          ? state.wheel
          : new KernelTimerEngine(kernel, () => host.backend.now());
      return state;
    },
    teardown: (state) => state.wheel.close(),
    calls: {
      after: defineCall<AfterArgs, TimerExpiration, TimersState>(
        (ctx, args, state) => {
          const ms = checkDelay('args.ms', args?.ms, 'delay');
          const source = new TimerSource(ctx, state.engine, ms, 0);
          state.sources.set(ctx.event, source);
          return source;
        },
        {
          defaults: { keepAlive: true, oneShot: true },
          description: 'one activation after args.ms',
        },
      ),
      every: defineCall<EveryArgs, TimerExpiration, TimersState>(
        (ctx, args, state) => {
          const ms = checkDelay('args.ms', args?.ms, 'period');
          const first =
            args.firstDelayMs === undefined
              ? ms
              : checkDelay('args.firstDelayMs', args.firstDelayMs, 'delay');
          const source = new TimerSource(ctx, state.engine, first, ms);
          state.sources.set(ctx.event, source);
          return source;
        },
        {
          defaults: { keepAlive: true },
          description: 'an activation every args.ms (fixed rate, overruns counted)',
        },
      ),
    },
  });
}

/**
 * The `timers` service on the real clock (a {@link NodeClock} on the runtime backend's clock,
 * 1 ms tick).
 *
 * @example
 * ```ts
 * import { aem } from '@aem/core';
 * import { Timers, timersService } from '@aem/timers';
 * aem.load(timersService);
 * const timers = new Timers(aem);
 * ```
 */
export const timersService: TimersServiceDefinition = createTimersService();
