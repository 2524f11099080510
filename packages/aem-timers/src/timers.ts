import {
  ServiceNotFoundError,
  type Aem,
  type AemEvent,
  type EventHandler,
  type EventOptions,
  type ObserveOptions,
  type ServiceBinding,
} from '@aem/core';
import type { Observable } from 'rxjs';
import type { TimerExpiration } from './timer-expiration';
import {
  TIMERS_SERVICE_NAME,
  createTimersService,
  timersService,
  type TimersServiceDefinition,
  type TimersServiceOptions,
  type TimersState,
} from './timers-service';
import { checkDelay } from './check-delay';
import { TimerWheel } from './timing-wheel';
import { WheelScheduler } from './wheel-scheduler';

/**
 * Options of {@link Timers.sleep}.
 *
 * @example
 * ```ts
 * await timers.sleep(250, { signal: AbortSignal.timeout(1000), keepAlive: false });
 * ```
 */
export interface SleepOptions {
  /** Aborting cancels the timer and rejects with the core's `AbortedError`. */
  readonly signal?: AbortSignal;
  /** Hold the process open while sleeping; default `true` (as Node's timers). */
  readonly keepAlive?: boolean;
}

/**
 * Options of {@link Timers.every}: event options plus the first delay.
 *
 * @example
 * ```ts
 * timers.every(1000, onTick, { firstDelayMs: 0, priority: 6 });
 * ```
 */
export interface EveryOptions<TContext = unknown> extends EventOptions<TContext> {
  /** Delay to the first expiration in ms; default the period. */
  readonly firstDelayMs?: number;
}

/**
 * The client API of the `timers` service in one runtime: callback, Observable and Promise forms
 * of one-shot and periodic timers, refresh and reschedule of a live timer event, and an RxJS
 * scheduler on the same wheel.
 *
 * Every timer is an AEM event (`AemEvent<TimerExpiration>`): it has a priority, a domain, flags,
 * and is cancelled with `event.shutdown()` (or {@link Timers.cancel}). Timer events default to
 * keep-alive (they hold the process open, as Node's timers do); pass `keepAlive: false` not to.
 *
 * @example
 * ```ts
 * import { aem } from '@aem/core';
 * import { Timers, timersService } from '@aem/timers';
 *
 * aem.load(timersService);
 * const timers = new Timers(aem);
 * const t = timers.after(5000, ({ time }) => console.log('fired at', time));
 * timers.refresh(t); // push it back to 5 s from now
 * await timers.sleep(100);
 * ```
 */
export class Timers {
  /** The binding to the service version this client uses. */
  readonly binding: ServiceBinding<TimersServiceDefinition>;
  /**
   * An RxJS scheduler on the service's wheel. Its pending actions keep the process alive, as
   * those of RxJS's `asyncScheduler` do; for background work that must not, make one with
   * `new WheelScheduler(timers.wheel, { keepAlive: false })`.
   */
  readonly scheduler: WheelScheduler;
  private readonly state: TimersState;

  /**
   * Binds to the newest loaded `timers` version in `range`.
   *
   * @param runtime - a runtime where a timers service is loaded.
   * @param range - semver range; default `^1`.
   * @throws `ServiceNotFoundError` when no loaded version satisfies the range.
   */
  constructor(
    readonly runtime: Aem,
    range = '^1',
  ) {
    this.binding = runtime.bind<TimersServiceDefinition>(TIMERS_SERVICE_NAME, range);
    const state = this.binding.state as TimersState | undefined;
    if (!(state?.wheel instanceof TimerWheel)) {
      // A foreign service registered under our name: it has no wheel we can drive.
      throw new ServiceNotFoundError(TIMERS_SERVICE_NAME, `${range} defined by @aem/timers`, [
        this.binding.version,
      ]);
    }
    this.state = state;
    this.scheduler = new WheelScheduler(state.wheel);
  }

  /**
   * Loads a timers service into `runtime` unless a `^1` version is already loaded, and returns
   * a client bound to it.
   *
   * @example
   * ```ts
   * const timers = Timers.load(createAem());
   * ```
   * @param runtime - the runtime.
   * @param options - options of the service to load (clock, tick), ignored if one is loaded.
   */
  static load(runtime: Aem, options: TimersServiceOptions = {}): Timers {
    const loaded = runtime
      .services()
      .some((info) => info.name === TIMERS_SERVICE_NAME && info.version.startsWith('1.'));
    if (!loaded) runtime.load(createTimersService(options));
    return new Timers(runtime);
  }

  /**
   * The timers API of `runtime`, the same entry point as `Tcp.from`: binds the newest loaded
   * `timers` version satisfying `range`, loading {@link timersService} (the real clock) first
   * when no version is loaded. Use {@link Timers.load} to load one with options (a virtual
   * clock), `new Timers(runtime, range)` to bind without loading.
   *
   * @example
   * ```ts
   * const timers = Timers.from(runtime);
   * await timers.sleep(10);
   * ```
   * @param runtime - the runtime.
   * @param range - semver range of the service version; default `^1`.
   * @throws `ServiceNotFoundError` when versions are loaded but none satisfies `range`.
   */
  static from(runtime: Aem, range = '^1'): Timers {
    if (!runtime.services().some((info) => info.name === TIMERS_SERVICE_NAME))
      runtime.load(timersService);
    return new Timers(runtime, range);
  }

  /** The wheel of this runtime's timers service (for the hot path: `wheel.start(ms, cb, arg)`). */
  get wheel(): TimerWheel {
    return this.state.wheel;
  }

  /**
   * A one-shot timer: `handler` runs once, `ms` from now; then the event closes.
   *
   * @example
   * ```ts
   * const noAnswer = timers.after(32_000, () => transaction.timeout(), { domain: callDomain });
   * noAnswer.shutdown(); // answered: cancel
   * ```
   * @param ms - delay, finite ≥ 0.
   * @param handler - receives the {@link TimerExpiration} and the event.
   * @param options - event options (priority, domain, keepAlive…).
   * @returns the timer event.
   * @throws {@link InvalidDelayError} for a bad delay.
   */
  after<TContext = unknown>(
    ms: number,
    handler: EventHandler<TimerExpiration, TContext>,
    options?: EventOptions<TContext>,
  ): AemEvent<TimerExpiration, TContext> {
    return this.binding.call('after', { ms }, handler, options);
  }

  /**
   * A periodic timer: `handler` runs every `ms` (fixed rate; overruns counted in `expirations`)
   * until the event is shut down.
   *
   * @example
   * ```ts
   * const heartbeat = timers.every(1000, ({ count }) => sendHeartbeat(count));
   * ```
   * @param ms - period, finite > 0.
   * @param handler - receives the {@link TimerExpiration} and the event.
   * @param options - event options plus `firstDelayMs`.
   * @returns the timer event.
   */
  every<TContext = unknown>(
    ms: number,
    handler: EventHandler<TimerExpiration, TContext>,
    options: EveryOptions<TContext> = {},
  ): AemEvent<TimerExpiration, TContext> {
    const { firstDelayMs, ...eventOptions } = options;
    return this.binding.call('every', { ms, firstDelayMs }, handler, eventOptions);
  }

  /**
   * A one-shot timer as a cold Observable, shaped like RxJS `timer(ms)` but not the same: each
   * subscription arms its own timer on the wheel, emits one {@link TimerExpiration} (an object,
   * not RxJS's `0`) and completes; unsubscribing cancels.
   *
   * @example
   * ```ts
   * timers.timer(250).subscribe(() => console.log('250 ms later'));
   * ```
   */
  timer(ms: number, options: ObserveOptions = {}): Observable<TimerExpiration> {
    return this.binding.observe('after', { ms }, options);
  }

  /**
   * A periodic timer as a cold Observable, shaped like RxJS `interval(ms)` but not the same: it
   * emits {@link TimerExpiration} objects whose `count` starts at 1 (RxJS emits `0, 1, 2, …`),
   * and one emission can cover several expirations (`expirations` > 1 after a stall).
   *
   * @example
   * ```ts
   * timers.interval(1000).pipe(take(3)).subscribe(({ count }) => console.log(count)); // 1, 2, 3
   * ```
   */
  interval(
    ms: number,
    options: ObserveOptions & { readonly firstDelayMs?: number } = {},
  ): Observable<TimerExpiration> {
    const { firstDelayMs, ...observeOptions } = options;
    return this.binding.observe('every', { ms, firstDelayMs }, observeOptions);
  }

  /**
   * Resolves after `ms`; rejects with the core's `AbortedError` when `options.signal` aborts
   * (the timer is cancelled first).
   *
   * @example
   * ```ts
   * const controller = new AbortController();
   * await timers.sleep(1000, { signal: controller.signal });
   * ```
   */
  async sleep(ms: number, options: SleepOptions = {}): Promise<void> {
    await this.binding.once(
      'after',
      { ms },
      { signal: options.signal, keepAlive: options.keepAlive ?? true },
    );
  }

  /**
   * Re-arms a live timer event from now with its current delay (an idle timeout seeing traffic).
   *
   * @example
   * ```ts
   * socket.on('data', () => timers.refresh(idleTimer));
   * ```
   * @returns `false` when the event is closed (fired one-shot, shut down) or not a timer event
   *   of this service.
   */
  refresh(event: AemEvent<TimerExpiration, unknown>): boolean {
    return this.state.sources.get(event)?.refresh() ?? false;
  }

  /**
   * Gives a live timer event a new delay (one-shot) or period (periodic), counted from now.
   *
   * @example
   * ```ts
   * timers.reschedule(retransmitTimer, Math.min(2 * interval, T2));
   * ```
   * @returns `false` when the event is closed or not a timer event of this service.
   * @throws {@link InvalidDelayError} for a bad delay.
   */
  reschedule(event: AemEvent<TimerExpiration, unknown>, ms: number): boolean {
    const source = this.state.sources.get(event);
    if (source === undefined) return false;
    return source.reschedule(checkDelay('ms', ms, event.call === 'after' ? 'delay' : 'period'));
  }

  /**
   * Cancels a timer event: shuts it down (its Observable form completes, its promise form
   * rejects). Idempotent.
   *
   * @example
   * ```ts
   * timers.cancel(noAnswer);
   * ```
   */
  cancel(event: AemEvent<TimerExpiration, unknown>): void {
    event.shutdown();
  }
}
