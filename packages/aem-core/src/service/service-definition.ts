import type { Backend } from '../backend/backend';
import type { Domain, DomainOptions } from '../dispatch/domain';
import type { CallContext } from '../event/call-context';
import type { EventFlags } from '../event/event-options';
import type { EventSourceHooks } from './event-source-hooks';

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

/**
 * What a service's `setup` receives when the service is loaded into a runtime: the few things
 * of the runtime a service builds its state from. Deliberately not the runtime itself: the
 * state `setup` returns reaches the service's clients through {@link ServiceBinding.state}, so a
 * service needs no registry of its own, and the core's types do not depend on its services.
 *
 * @example
 * ```ts
 * setup: (host) => ({ clock: host.backend, domain: host.createDomain(`${host.id} control`) }),
 * ```
 */
export interface ServiceHost {
  /** The runtime's backend (its clock, keep-alive references, kernel channel). */
  readonly backend: Backend;
  /** `name@version` of the service being loaded. */
  readonly id: string;
  /** Creates a serialization domain in the runtime (see `Aem.createDomain`). */
  createDomain(name: string, options?: DomainOptions): Domain;
}

/**
 * A call map: call name → spec. The `any` is confined to this constraint: specs are checked
 * against their own declared types where they are defined.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CallMap<TState> = Record<string, CallSpec<TState, any, any>>;

/**
 * A service: a named, versioned set of calls, loadable into a runtime — the original AEM's event module
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
  /**
   * Creates the per-runtime state when the service is loaded (the module's init). The core
   * keeps it with the loaded version and hands it to every call implementation and to every
   * binding ({@link ServiceBinding.state}).
   */
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

/** The per-runtime state type of service definition `D` (what its `setup` returns). */
export type ServiceState<D extends ServiceDefinition> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  D extends ServiceDefinition<infer S, any> ? S : never;
