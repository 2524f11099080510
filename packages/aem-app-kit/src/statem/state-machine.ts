import type { AemEvent, Domain } from '@aem/core';
import type { TimerExpiration, Timers } from '@aem/timers';
import { InvalidHandlerError } from '../errors/invalid-handler.error';
import { StateMachineStoppedError } from '../errors/state-machine-stopped.error';
import type { ReplyTo } from './reply-to';
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
 * The payload argument of a timeout action: optional when `T` admits `undefined`, required
 * otherwise (so a machine declared with a payload type always receives one).
 *
 * @example
 * ```ts
 * type A = PayloadArg<'lock'>; // [payload: 'lock']
 * type B = PayloadArg<unknown>; // [payload?: unknown]
 * ```
 * @typeParam T - the payload type.
 */
export type PayloadArg<T> = undefined extends T ? [payload?: T] : [payload: T];

/**
 * What a state handler uses to act: read and replace `data`, ask for a transition, arm or
 * cancel timeouts, postpone the event, reply to a call. Actions take effect when the handler
 * returns (as `gen_statem`'s transition actions do): a state timeout armed in the same handler
 * as a transition belongs to the new state.
 *
 * The three timeout kinds of `gen_statem`:
 * - **state timeout** ({@link StateActions.stateTimeout}): cancelled by a state change;
 * - **event timeout** ({@link StateActions.eventTimeout}): cancelled by any event (a `send`, a
 *   `call` or another timeout) delivered before it fires;
 * - **generic timeouts** ({@link StateActions.timeout}, named): survive state changes and events
 *   until they fire, are re-armed or cancelled (`scope: 'state'` ties one to the state).
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
 * @typeParam T - the timeouts' payload type.
 * @typeParam R - what calls are replied with.
 */
export interface StateActions<S extends string, D, T = unknown, R = unknown> {
  /** The current state (before any transition this handler asks for). */
  readonly state: S;
  /** The machine's data; assign to replace it. */
  data: D;
  /** Moves to `state` when the handler returns (no-op when it is the current state). */
  next(state: S): void;
  /** Arms (or re-arms) the state timeout; it is cancelled automatically on a state change. */
  stateTimeout(ms: number, ...payload: PayloadArg<T>): void;
  /** Cancels the state timeout. */
  cancelStateTimeout(): void;
  /** Arms the event timeout: it fires unless an event is delivered within `ms`. */
  eventTimeout(ms: number, ...payload: PayloadArg<T>): void;
  /** Arms (or re-arms) the generic timeout `name`. */
  timeout(
    name: string,
    ms: number,
    ...rest: [...PayloadArg<T>, options?: NamedTimeoutOptions]
  ): void;
  /** Cancels the generic timeout `name` (no-op when not armed). */
  cancelTimeout(name: string): void;
  /**
   * Postpones the event being handled (not an `enter`): it is delivered again, in order and
   * before any newer event, after the next state change.
   */
  postpone(): void;
  /** Replies `value` to the {@link StateMachine.call} that `to` came from (once; later ones are ignored). */
  reply(to: ReplyTo<R>, value: R): void;
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
export type StateHandler<S extends string, D, E, T = unknown, R = unknown> = (
  event: StateMachineEvent<S, E, T, R>,
  actions: StateActions<S, D, T, R>,
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
export interface StateMachineOptions<S extends string, D, E, T = unknown, R = unknown> {
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
  readonly states: { readonly [K in S]: StateHandler<S, D, E, T, R> };
  /** Called once when the machine stops (by `stop()`, from a handler or from outside). */
  readonly onStop?: (reason: string, data: D) => void;
  /** Timer events keep the process alive while pending (default `false`: a session does). */
  readonly keepAlive?: boolean;
}

interface ArmedTimeout {
  readonly event: AemEvent<TimerExpiration>;
  readonly scope: 'machine' | 'state';
}

type TimeoutRequest<T> =
  | { readonly kind: 'state' | 'event'; readonly ms: number; readonly payload: T }
  | { readonly kind: 'cancel-state' }
  | {
      readonly kind: 'named';
      readonly name: string;
      readonly ms: number;
      readonly payload: T;
      readonly scope: 'machine' | 'state';
    }
  | { readonly kind: 'cancel-named'; readonly name: string };

/**
 * A session state machine after Erlang's `gen_statem` (state functions mode), with its
 * timeouts on the AEM timers service: per-machine state and data; the three timeout kinds — a
 * **state timeout** cancelled by every state change, an **event timeout** cancelled by any
 * event, **generic (named) timeouts** that survive both unless armed with `scope: 'state'`;
 * **postpone** (an event waits for the next state change, then comes again before newer ones);
 * **calls** answered with a **reply** action ({@link StateMachine.call}). Re-arming a timeout
 * replaces it; a cancelled timeout never fires, even when its expiry was already queued.
 * Timeout payloads have the type `T`, replies the type `R`.
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
 * @typeParam E - the events given to {@link StateMachine.send} and {@link StateMachine.call}.
 * @typeParam T - the timeouts' payload type (default `unknown`).
 * @typeParam R - what calls are replied with (default `unknown`).
 */
export class StateMachine<S extends string, D, E, T = unknown, R = unknown> {
  private current: S;
  private currentData: D;
  private stateTimer: AemEvent<TimerExpiration> | undefined;
  private eventTimer: AemEvent<TimerExpiration> | undefined;
  private readonly named = new Map<string, ArmedTimeout>();
  /** Postponed events, oldest first: delivered again after the next state change. */
  private postponed: Ev<S, E, T, R>[] = [];
  /** Calls not replied to yet: rejected when the machine stops. */
  private readonly calls = new Set<ReplyTo<R>>();
  private stopReason: string | undefined;
  private started = false;

  /** @param options - definition and environment. */
  constructor(private readonly options: StateMachineOptions<S, D, E, T, R>) {
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

  /** Names of the armed timeouts (`state`, `event`, then the generic ones), for tests and health. */
  get armedTimeouts(): string[] {
    const names = [...this.named.keys()];
    if (this.eventTimer !== undefined) names.unshift('event');
    if (this.stateTimer !== undefined) names.unshift('state');
    return names;
  }

  /** Number of postponed events waiting for a state change. */
  get postponedEvents(): number {
    return this.postponed.length;
  }

  /** Enters the initial state: its handler receives `{ type: 'enter', from: undefined }`. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.process({ type: 'enter', from: undefined });
  }

  /**
   * Delivers `event` (a cast): runs the current state's handler now, then applies its actions,
   * the new state's `enter` and any postponed events a state change releases. Call it from a
   * handler of the machine's domain (so it cannot race the timeouts). Ignored once the machine
   * stopped.
   *
   * @returns once the handler (and what it set off) finished.
   */
  async send(event: E): Promise<void> {
    if (!this.started) await this.start();
    await this.process({ type: 'event', event });
  }

  /**
   * Delivers `event` as a call: the handler (now, or later if it postpones the event) answers
   * with `m.reply(ev.from, value)`, which resolves the returned promise.
   *
   * @example
   * ```ts
   * const length = await lock.call({ type: 'code-length' });
   * ```
   * @returns the reply.
   * @throws (rejects) {@link StateMachineStoppedError} when the machine stops (or had
   *   stopped) before replying.
   */
  async call(event: E): Promise<R> {
    if (!this.started) await this.start();
    if (this.stopReason !== undefined) throw new StateMachineStoppedError(this.stopReason);
    let settle!: ReplyTo<R>['_settle'];
    const reply = new Promise<R>((resolve, reject) => {
      settle = (outcome) => ('value' in outcome ? resolve(outcome.value) : reject(outcome.error));
    });
    const from: ReplyTo<R> = {
      _settle: (outcome) => {
        if (!this.calls.delete(from)) return;
        settle(outcome);
      },
    };
    this.calls.add(from);
    await this.process({ type: 'event', event, from });
    return reply;
  }

  /** Stops the machine: cancels every timeout, rejects unanswered calls, calls `onStop`. Idempotent. */
  stop(reason = 'stopped'): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.cancelStateTimer();
    this.cancelEventTimer();
    for (const armed of this.named.values()) armed.event.shutdown();
    this.named.clear();
    this.postponed = [];
    for (const call of [...this.calls])
      call._settle({ error: new StateMachineStoppedError(reason) });
    this.options.onStop?.(reason, this.currentData);
  }

  /** Delivers `first`, then the `enter` and released postponed events each state change brings. */
  private async process(first: Ev<S, E, T, R>): Promise<void> {
    const queue: Ev<S, E, T, R>[] = [first];
    for (
      let event = queue.shift();
      event !== undefined && this.stopReason === undefined;
      event = queue.shift()
    ) {
      const from = await this.step(event);
      if (from !== undefined) {
        // gen_statem: after a state change the postponed events come first, after `enter`.
        queue.unshift({ type: 'enter', from: from.state }, ...this.postponed);
        this.postponed = [];
      }
    }
  }

  /** Runs one handler and applies its actions; returns the old state when the state changed. */
  private async step(event: Ev<S, E, T, R>): Promise<{ state: S } | undefined> {
    if (this.stopReason !== undefined) return undefined;
    if (event.type !== 'enter') this.cancelEventTimer(); // any event cancels the event timeout
    const from = this.current;
    let target: S = from;
    let stopWith: string | undefined;
    let postpone = false;
    const requests: TimeoutRequest<T>[] = [];
    const replies: [ReplyTo<R>, R][] = [];
    const readData = (): D => this.currentData;
    const writeData = (value: D): void => void (this.currentData = value);
    const actions: StateActions<S, D, T, R> = {
      state: from,
      get data() {
        return readData();
      },
      set data(value: D) {
        writeData(value);
      },
      next: (state) => void (target = state),
      stateTimeout: (ms, ...payload) =>
        void requests.push({ kind: 'state', ms, payload: payload[0] as T }),
      cancelStateTimeout: () => void requests.push({ kind: 'cancel-state' }),
      eventTimeout: (ms, ...payload) =>
        void requests.push({ kind: 'event', ms, payload: payload[0] as T }),
      timeout: (name, ms, ...rest) =>
        void requests.push({
          kind: 'named',
          name,
          ms,
          payload: rest[0] as T,
          scope: (rest[1] as NamedTimeoutOptions | undefined)?.scope ?? 'machine',
        }),
      cancelTimeout: (name) => void requests.push({ kind: 'cancel-named', name }),
      postpone: () => {
        if (event.type === 'enter')
          throw new InvalidHandlerError(`state ${from}`, 'an enter event cannot be postponed');
        postpone = true;
      },
      reply: (to, value) => void replies.push([to, value]),
      stop: (reason = 'stopped') => void (stopWith = reason),
    };
    await this.options.states[from](event, actions);
    if (this.stopReason !== undefined) return undefined;
    if (postpone) this.postponed.push(event);
    const changed = target !== from;
    if (changed) {
      // The automatic cancellations: what belonged to the old state goes with it.
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
    for (const [to, value] of replies) to._settle({ value });
    if (stopWith !== undefined) {
      this.stop(stopWith);
      return undefined;
    }
    return changed ? { state: from } : undefined;
  }

  private apply(request: TimeoutRequest<T>): void {
    switch (request.kind) {
      case 'state': {
        this.cancelStateTimer();
        const event = this.arm(request.ms, () => {
          if (this.stateTimer !== event) return undefined; // superseded: never fire late
          this.stateTimer = undefined;
          return this.process({ type: 'state-timeout', payload: request.payload });
        });
        this.stateTimer = event;
        return;
      }
      case 'event': {
        this.cancelEventTimer();
        const event = this.arm(request.ms, () => {
          if (this.eventTimer !== event) return undefined;
          this.eventTimer = undefined;
          return this.process({ type: 'event-timeout', payload: request.payload });
        });
        this.eventTimer = event;
        return;
      }
      case 'cancel-state':
        this.cancelStateTimer();
        return;
      case 'named': {
        const { name, payload } = request;
        this.named.get(name)?.event.shutdown();
        const event = this.arm(request.ms, () => {
          if (this.named.get(name)?.event !== event) return undefined;
          this.named.delete(name);
          return this.process({ type: 'timeout', name, payload });
        });
        this.named.set(name, { event, scope: request.scope });
        return;
      }
      case 'cancel-named':
        this.named.get(request.name)?.event.shutdown();
        this.named.delete(request.name);
        return;
    }
  }

  /** One timeout on the timers service, in the machine's domain. */
  private arm(ms: number, fire: () => Promise<void> | undefined): AemEvent<TimerExpiration> {
    const { timers, domain, keepAlive = false } = this.options;
    return timers.after(ms, fire, { domain, keepAlive });
  }

  private cancelStateTimer(): void {
    this.stateTimer?.shutdown();
    this.stateTimer = undefined;
  }

  private cancelEventTimer(): void {
    this.eventTimer?.shutdown();
    this.eventTimer = undefined;
  }
}

type Ev<S extends string, E, T, R> = StateMachineEvent<S, E, T, R>;
