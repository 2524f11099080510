import type { Aem } from '../aem';
import type { Backend } from '../backend/backend';
import type { CallContext } from '../event/call-context';
import type { EventFlags } from '../event/event-options';

/**
 * What a call implementation may return: hooks the core invokes on lifecycle transitions of the
 * event it created. All are optional; each runs at most once per transition.
 */
export interface EventSourceHooks<TPayload = unknown> {
  /** The event became active (created with auto-start, or `start()` after `stop()`). */
  start?(): void;
  /** The event was stopped: stop producing activations until `start` (pause reading, disarm). */
  stop?(): void;
  /**
   * An activation of this event is being delivered to the handler (called just before it).
   * This is the source's credit signal, as a ring's consumer position is to a kernel producer:
   * a TCP connection counts what is queued and resumes reading when enough was consumed.
   */
  delivered?(payload: TPayload): void;
  /**
   * An activation of this event was dropped because the event closed before it could be
   * delivered (shutdown discards pending work). With {@link EventSourceHooks.delivered} this
   * accounts for every activation the source queued: each is reported exactly once, as
   * delivered or as discarded — possibly after `close`.
   */
  discarded?(payload: TPayload): void;
  /**
   * The event closed, for any reason (shutdown, one-shot fired, `ctx.end()`, `ctx.fail()`,
   * runtime closed). Release everything the event holds. Called exactly once.
   */
  close?(): void;
}

/**
 * The implementation of one service call: given the event's {@link CallContext}, the caller's
 * arguments and the service's per-runtime state, arrange for `ctx.activate(payload)` to be
 * called when the event happens, and return the hooks that start, stop and release it.
 *
 * Throwing (e.g. an {@link InvalidArgumentError} for bad arguments) refuses the registration:
 * the event is removed and the error reaches the caller of the call.
 */
export type CallImplementation<TState, TArgs, TPayload> = (
  ctx: CallContext<TPayload>,
  args: TArgs,
  state: TState,
) => EventSourceHooks<TPayload> | void;

/** One call of a service: its implementation and the defaults of the events it creates. */
export interface CallSpec<TState, TArgs, TPayload> {
  /**
   * The implementation (see {@link CallImplementation}). Declared as a method so definitions with
   * a concrete state type stay assignable to the generic `ServiceDefinition`.
   */
  run(ctx: CallContext<TPayload>, args: TArgs, state: TState): EventSourceHooks<TPayload> | void;
  /** Flag defaults for events of this call (a timer call may default `keepAlive` to true). */
  readonly defaults?: Partial<EventFlags>;
  /** One line for docs and `Aem.services()`. */
  readonly description?: string;
}

/**
 * Declares one call with its argument and payload types.
 *
 * @example
 * ```ts
 * const every = defineCall<{ ms: number }, number, Clock>((ctx, args, clock) => {
 *   let n = 0;
 *   const tick = () => ctx.activate(++n);
 *   return { start: () => clock.every(args.ms, tick), stop: () => clock.cancel(tick) };
 * });
 * ```
 * @param run - the implementation.
 * @param options - defaults and description.
 * @returns the call spec to put in {@link defineService}'s `calls`.
 */
export function defineCall<TArgs, TPayload, TState = unknown>(
  run: CallImplementation<TState, TArgs, TPayload>,
  options: { defaults?: Partial<EventFlags>; description?: string } = {},
): CallSpec<TState, TArgs, TPayload> {
  return { run, defaults: options.defaults, description: options.description };
}

/** What a service's `setup` receives when the service is loaded into a runtime. */
export interface ServiceHost {
  /** The runtime loading the service. */
  readonly runtime: Aem;
  /** The runtime's backend (its clock, keep-alive references). */
  readonly backend: Backend;
  /** `name@version` of the service being loaded. */
  readonly id: string;
}

/**
 * A call map: call name → spec. The `any` is confined to this constraint: specs are checked
 * against their own declared types where they are defined.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CallMap<TState> = Record<string, CallSpec<TState, any, any>>;

/**
 * A service: a named, versioned set of calls, loadable into a runtime — the seed's event module
 * (`aem-timers`, `aem-ip`). Created with {@link defineService}.
 */
export interface ServiceDefinition<
  TState = unknown,
  TCalls extends CallMap<TState> = CallMap<TState>,
> {
  /** Service name, e.g. `timers`. Lower-case letters, digits, `-`, `_`, `.` and `/`. */
  readonly name: string;
  /** Exact semver version, e.g. `1.2.0`. */
  readonly version: string;
  /** One line for docs and `Aem.services()`. */
  readonly description?: string;
  /** Creates the per-runtime state when the service is loaded (the module's init). */
  setup?(host: ServiceHost): TState;
  /** Releases the per-runtime state when the service is unloaded (the module's exit). */
  teardown?(state: TState): void;
  /** The calls. */
  readonly calls: TCalls;
}

/** The argument type of call `K` of service definition `D`. */
export type CallArgs<D extends ServiceDefinition, K extends keyof D['calls']> =
  D['calls'][K] extends CallSpec<infer _S, infer A, infer _P> ? A : never;

/** The activation payload type of call `K` of service definition `D`. */
export type CallPayload<D extends ServiceDefinition, K extends keyof D['calls']> =
  D['calls'][K] extends CallSpec<infer _S, infer _A, infer P> ? P : never;
