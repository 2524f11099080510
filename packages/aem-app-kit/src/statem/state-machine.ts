import type { AemEvent, Domain } from '@aem/core';
import type { TimerExpiration, Timers } from '@aem/timers';
import type { StateMachineEvent } from './state-machine-event';

/**
 * Options of a named timeout ({@link StateActions.timeout}).
 *
 * @example
 * ```ts
 * m.timeout('retransmit', 500, undefined, { scope: 'state' });
 * ```
 */
export interface NamedTimeoutOptions {
  /**
   * `machine` (default, as `gen_statem`'s generic timeouts): survives state changes until it
   * fires, is re-set or cancelled. `state`: cancelled automatically when the state changes.
   */
  readonly scope?: 'machine' | 'state';
}

/**
 * What a state handler uses to act: read and replace `data`, ask for a transition and arm or
 * cancel timeouts. Transitions and timeouts take effect when the handler returns (as
 * `gen_statem` actions do): a state timeout armed in the same handler as a transition belongs
 * to the new state.
 *
 * @example
 * ```ts
 * (ev, m) => {
 *   if (ev.type === 'event' && ev.event === 'invite') {
 *     m.data.invites++;
 *     m.next('proceeding');
 *     m.stateTimeout(32_000); // timer B, cancelled if we leave 'proceeding' first
 *   }
 * }
 * ```
 * @typeParam S - the state names.
 * @typeParam D - the machine's data.
 */
export interface StateActions<S extends string, D> {
  /** The current state (before any transition this handler asks for). */
  readonly state: S;
  /** The machine's data; assign to replace it. */
  data: D;
  /** Moves to `state` when the handler returns (no-op when it is the current state). */
  next(state: S): void;
  /** Arms (or re-arms) the state timeout; it is cancelled automatically on a state change. */
  stateTimeout(ms: number, payload?: unknown): void;
  /** Cancels the state timeout. */
  cancelStateTimeout(): void;
  /** Arms (or re-arms) the named timeout `name`. */
  timeout(name: string, ms: number, payload?: unknown, options?: NamedTimeoutOptions): void;
  /** Cancels the named timeout `name` (no-op when not armed). */
  cancelTimeout(name: string): void;
  /** Stops the machine after this handler: every timeout is cancelled, `onStop` runs. */
  stop(reason?: string): void;
}

/**
 * One state's handler: receives every {@link StateMachineEvent} while the machine is in that
 * state; may be `async` (the next event waits for it when the machine runs in a domain).
 *
 * @example
 * ```ts
 * const idle: StateHandler<'idle' | 'busy', number, 'go'> = (ev, m) => {
 *   if (ev.type === 'event') m.next('busy');
 * };
 * ```
 */
export type StateHandler<S extends string, D, E> = (
  event: StateMachineEvent<S, E>,
  actions: StateActions<S, D>,
) => void | Promise<void>;

/**
 * The definition and environment of a {@link StateMachine}.
 *
 * @example
 * ```ts
 * const options: StateMachineOptions<'a' | 'b', null, string> = {
 *   timers, initial: 'a', data: null, states: { a: () => {}, b: () => {} },
 * };
 * ```
 */
export interface StateMachineOptions<S extends string, D, E> {
  /** Where timeouts run: the application's timers service. */
  readonly timers: Timers;
  /**
   * The serialization domain the timeouts fire in — give the session's domain so timeouts
   * never race the session's messages. Default: each timeout is its own domain.
   */
  readonly domain?: Domain;
  /** The initial state. */
  readonly initial: S;
  /** The initial data. */
  readonly data: D;
  /** One handler per state. */
  readonly states: { readonly [K in S]: StateHandler<S, D, E> };
  /** Called once when the machine stops (by `stop()`, from a handler or from outside). */
  readonly onStop?: (reason: string, data: D) => void;
  /** Timer events keep the process alive while pending (default `false`: a session does). */
  readonly keepAlive?: boolean;
}

interface ArmedTimeout {
  readonly event: AemEvent<TimerExpiration>;
  readonly scope: 'machine' | 'state';
}

type TimeoutRequest =
  | { readonly kind: 'state'; readonly ms: number; readonly payload: unknown }
  | { readonly kind: 'cancel-state' }
  | {
      readonly kind: 'named';
      readonly name: string;
      readonly ms: number;
      readonly payload: unknown;
      readonly scope: 'machine' | 'state';
    }
  | { readonly kind: 'cancel-named'; readonly name: string };

/**
 * A session state machine in the spirit of Erlang's `gen_statem` (state functions mode), with
 * its timeouts on the AEM timers service: per-machine state and data, a **state timeout**
 * cancelled automatically on every state change, and **named timeouts** (generic timeouts)
 * that survive state changes unless armed with `scope: 'state'`. Re-arming a timeout replaces
 * it; a cancelled timeout never fires, even when its expiry was already queued.
 *
 * Give it the session's domain: its timeouts then run in that domain, one at a time with the
 * session's messages, and {@link StateMachine.send} from a handler of the session needs no lock.
 * This is the shape of SIP transactions and dialogs (RFC 3261 timers B, F, H as state timeouts,
 * retransmissions as named ones).
 *
 * @example
 * ```ts
 * type S = 'calling' | 'proceeding' | 'terminated';
 * const tx = new StateMachine<S, { retries: number }, 'provisional' | 'final'>({
 *   timers, domain: session.domain, initial: 'calling', data: { retries: 0 },
 *   states: {
 *     calling: (ev, m) => {
 *       if (ev.type === 'enter') { m.stateTimeout(32_000); m.timeout('E', 500); }
 *       else if (ev.type === 'timeout') { m.data.retries++; m.timeout('E', 1000); }
 *       else if (ev.type === 'state-timeout') m.next('terminated');
 *       else if (ev.event === 'provisional') { m.cancelTimeout('E'); m.next('proceeding'); }
 *     },
 *     proceeding: (ev, m) => { if (ev.type === 'event' && ev.event === 'final') m.next('terminated'); },
 *     terminated: (ev, m) => { if (ev.type === 'enter') m.stop('done'); },
 *   },
 * });
 * await tx.start();
 * await tx.send('provisional');
 * ```
 * @typeParam S - the state names.
 * @typeParam D - the data.
 * @typeParam E - the events given to {@link StateMachine.send}.
 */
export class StateMachine<S extends string, D, E> {
  private current: S;
  private currentData: D;
  private stateTimer: AemEvent<TimerExpiration> | undefined;
  private readonly named = new Map<string, ArmedTimeout>();
  private stopReason: string | undefined;
  private started = false;

  /** @param options - definition and environment. */
  constructor(private readonly options: StateMachineOptions<S, D, E>) {
    this.current = options.initial;
    this.currentData = options.data;
  }

  /** The current state. */
  get state(): S {
    return this.current;
  }

  /** The current data. */
  get data(): D {
    return this.currentData;
  }

  /** Why the machine stopped, or `undefined` while it runs. */
  get stopped(): string | undefined {
    return this.stopReason;
  }

  /** Names of the armed timeouts (`state` for the state timeout), for tests and health. */
  get armedTimeouts(): string[] {
    const names = [...this.named.keys()];
    return this.stateTimer === undefined ? names : ['state', ...names];
  }

  /** Enters the initial state: its handler receives `{ type: 'enter', from: undefined }`. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.run({ type: 'enter', from: undefined });
  }

  /**
   * Runs the current state's handler for `event` now, then applies its transition and
   * timeouts. Call it from a handler of the machine's domain (so it cannot race the timeouts).
   * Ignored once the machine stopped.
   *
   * @returns once the handler (and the new state's `enter`, if any) finished.
   */
  async send(event: E): Promise<void> {
    if (!this.started) await this.start();
    await this.run({ type: 'event', event });
  }

  /** Stops the machine: cancels every timeout and calls `onStop`. Idempotent. */
  stop(reason = 'stopped'): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.stateTimer?.shutdown();
    this.stateTimer = undefined;
    for (const armed of this.named.values()) armed.event.shutdown();
    this.named.clear();
    this.options.onStop?.(reason, this.currentData);
  }

  private async run(event: StateMachineEvent<S, E>): Promise<void> {
    if (this.stopReason !== undefined) return;
    const from = this.current;
    let target: S = from;
    let stopWith: string | undefined;
    const requests: TimeoutRequest[] = [];
    const readData = (): D => this.currentData;
    const writeData = (value: D): void => void (this.currentData = value);
    const actions: StateActions<S, D> = {
      state: from,
      get data() {
        return readData();
      },
      set data(value: D) {
        writeData(value);
      },
      next: (state) => void (target = state),
      stateTimeout: (ms, payload) => void requests.push({ kind: 'state', ms, payload }),
      cancelStateTimeout: () => void requests.push({ kind: 'cancel-state' }),
      timeout: (name, ms, payload, options = {}) =>
        void requests.push({ kind: 'named', name, ms, payload, scope: options.scope ?? 'machine' }),
      cancelTimeout: (name) => void requests.push({ kind: 'cancel-named', name }),
      stop: (reason = 'stopped') => void (stopWith = reason),
    };
    await this.options.states[from](event, actions);
    if (this.stopReason !== undefined) return;
    const changed = target !== from;
    if (changed) {
      // The one automatic cancellation: what belonged to the old state goes with it.
      this.cancelStateTimer();
      for (const [name, armed] of this.named) {
        if (armed.scope === 'state') {
          armed.event.shutdown();
          this.named.delete(name);
        }
      }
      this.current = target;
    }
    for (const request of requests) this.apply(request);
    if (stopWith !== undefined) {
      this.stop(stopWith);
      return;
    }
    if (changed) await this.run({ type: 'enter', from });
  }

  private apply(request: TimeoutRequest): void {
    const { timers, domain, keepAlive = false } = this.options;
    switch (request.kind) {
      case 'state': {
        this.cancelStateTimer();
        const event: AemEvent<TimerExpiration> = timers.after(
          request.ms,
          () => {
            if (this.stateTimer !== event) return; // superseded: never fire late
            this.stateTimer = undefined;
            return this.run({ type: 'state-timeout', payload: request.payload });
          },
          { domain, keepAlive },
        );
        this.stateTimer = event;
        return;
      }
      case 'cancel-state':
        this.cancelStateTimer();
        return;
      case 'named': {
        const { name, payload } = request;
        this.named.get(name)?.event.shutdown();
        const event: AemEvent<TimerExpiration> = timers.after(
          request.ms,
          () => {
            if (this.named.get(name)?.event !== event) return;
            this.named.delete(name);
            return this.run({ type: 'timeout', name, payload });
          },
          { domain, keepAlive },
        );
        this.named.set(name, { event, scope: request.scope });
        return;
      }
      case 'cancel-named':
        this.named.get(request.name)?.event.shutdown();
        this.named.delete(request.name);
        return;
    }
  }

  private cancelStateTimer(): void {
    this.stateTimer?.shutdown();
    this.stateTimer = undefined;
  }
}
