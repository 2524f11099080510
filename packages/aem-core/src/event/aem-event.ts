import type { Domain } from '../dispatch/domain';
import {
  GATE_DISCARD,
  GATE_HOLD,
  GATE_RUN,
  type DispatchTarget,
  type DomainState,
} from '../dispatch/dispatch-target';
import type { ParkedActivations } from '../dispatch/parked-activations';
import { checkPriority } from '../dispatch/priority';
import { EventClosedError } from '../errors/event-closed.error';
import { HandlerFailedError } from '../errors/handler-failed.error';
import { SourceFailedError } from '../errors/source-failed.error';
import type { AemError } from '../errors/aem.error';
import type { Backend } from '../backend/backend';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { EventSourceHooks } from '../service/event-source-hooks';
import type { EventFlags, HandlerErrorPolicy } from './event-options';
import type { EventCloseReason, EventState } from './event-state';

/**
 * A handler: receives the activation's payload — everything it needs: the bytes, the
 * connection, the expiration count — and the event itself (its id, `context`, domain).
 * Returning a promise makes the handler async: the next activation of its domain waits for it.
 */
export type EventHandler<TPayload, TContext = unknown> = (
  payload: TPayload,
  event: AemEvent<TPayload, TContext>,
) => void | PromiseLike<void>;

/**
 * What an event needs from the runtime that owns it. Implemented by the runtime's registry
 * entry for the event's service version.
 *
 * @internal
 */
export interface EventHost {
  readonly dispatcher: Dispatcher;
  readonly backend: Backend;
  /** `name@version` of the service. */
  readonly serviceId: string;
  /** Sends a failure to `Aem.errors`. */
  reportError(error: AemError): void;
  /** Called once when an event closes, after its source was released. */
  eventClosed(event: AemEvent): void;
}

/** Listener notified once when an event closes. @internal */
export type CloseListener = (reason: EventCloseReason, error: unknown) => void;

/**
 * One registration of a handler through a service call — the original AEM's event (`eid`,
 * `event_struct`). Returned by `ServiceBinding.call`; the Observable and Promise forms create
 * one per subscription or promise.
 *
 * Control it with {@link AemEvent.start}, {@link AemEvent.stop}, {@link AemEvent.shutdown} and
 * {@link AemEvent.priority} (the original AEM's `aem_evctl` `EVJOBSTART`, `EVJOBSTOP`, `EVJOBSHTDN`,
 * `EVJOBPRIO`). See {@link EventState} for the lifecycle.
 *
 * An event without an explicit {@link Domain} is its own serialization domain.
 *
 * @typeParam TPayload - what each activation carries to the handler.
 * @typeParam TContext - the `context` data given at registration.
 */
// Structurally a DispatchTarget and a DomainState (its own implicit domain); no `implements`
// clause so the internal interfaces stay out of the public type surface.
export class AemEvent<TPayload = unknown, TContext = unknown> {
  /** @internal */ _priority: number;
  /** @internal */ readonly _domain: DomainState;
  /** @internal */ _busy = false;
  /** @internal */ _queued = 0;
  /** @internal */ _parked: ParkedActivations<DispatchTarget> | null = null;
  /** @internal */ _tokenQueued = false;
  /** @internal */ readonly _maxQueue: number;
  /** @internal Kept equal to the gate of {@link AemEvent.state}. */ _gate = GATE_HOLD;
  /** @internal */ _pending = 0;
  /**
   * @internal The one flag the delivery fast path reads: set for a one-shot event, and by
   * `ctx.end()` (close with reason `ended` once `_pending` drops to zero).
   */
  _closesOnDelivery: boolean;

  private stateNow: EventState = 'idle';
  private hooks: EventSourceHooks | void = undefined;
  /** `hooks.delivered`, cached: it is checked once per activation. */
  private deliveredHook: ((payload: unknown) => void) | null = null;
  /** `hooks.discarded`; kept after close, since discards are reported after it. */
  private discardedHook: ((payload: unknown) => void) | null = null;
  /** Activations that reached the dispatcher's head while the event was idle or stopped. */
  private held: { payload: unknown; domain: DomainState }[] | null = null;
  private closeListeners: CloseListener[] | null = null;
  private reason: EventCloseReason | undefined;
  private closedPromise: Promise<EventCloseReason> | undefined;
  private delivered = 0;

  /**
   * @internal Events are created by service calls, never directly.
   */
  constructor(
    /** Runtime-unique event id (the original AEM's `eid`). */
    readonly id: number,
    /** Name of the call that registered the event. */
    readonly call: string,
    private readonly handler: EventHandler<TPayload, TContext>,
    /** The event's flags. */
    readonly flags: EventFlags,
    priority: number,
    /** The explicit domain given at registration, if any. */
    readonly domain: Domain | undefined,
    /** Data given at registration, for the handler. */
    readonly context: TContext,
    private readonly onError: HandlerErrorPolicy,
    private readonly host: EventHost,
    maxQueue: number,
  ) {
    this._priority = checkPriority(priority);
    this._closesOnDelivery = flags.oneShot;
    this._domain = domain ?? this;
    this._maxQueue = maxQueue;
  }

  /** `name@version` of the service the event belongs to. */
  get service(): string {
    return this.host.serviceId;
  }

  /** Name of the event's serialization domain (`event:<id>` for its implicit domain). */
  get domainName(): string {
    return this._domain._name;
  }

  /** @internal Name of the event's implicit domain. */
  get _name(): string {
    return `event:${this.id}`;
  }

  /** Current lifecycle state. */
  get state(): EventState {
    return this.stateNow;
  }

  /** Why the event closed; `undefined` while it is not closed. */
  get closeReason(): EventCloseReason | undefined {
    return this.reason;
  }

  /** Number of activations delivered to the handler so far. */
  get activations(): number {
    return this.delivered;
  }

  /**
   * Priority from `0` (lowest) to `7` (highest). Setting it affects activations queued from
   * then on (the original AEM's `EVJOBPRIO`).
   *
   * @throws `InvalidArgumentError` for anything but an integer 0–7.
   */
  get priority(): number {
    return this._priority;
  }

  /** Sets the priority; see the getter. */
  set priority(value: number) {
    this._priority = checkPriority(value);
  }

  /**
   * Resolves with the close reason once the event is closed. Created on first access, so an
   * event nobody waits on costs no promise.
   */
  get closed(): Promise<EventCloseReason> {
    if (this.closedPromise === undefined) {
      this.closedPromise =
        this.reason !== undefined
          ? Promise.resolve(this.reason)
          : new Promise((resolve) => this._onClose((reason) => resolve(reason)));
    }
    return this.closedPromise;
  }

  /**
   * Starts (or restarts) the event: its source is told to produce activations, and activations
   * held while it was idle or stopped are queued again in their original order. No-op when
   * already active.
   *
   * @throws {@link EventClosedError} when the event is closed.
   */
  start(): void {
    const state = this.stateNow;
    if (state === 'active') return;
    if (state === 'closed') throw new EventClosedError(this.id, 'start');
    this.stateNow = 'active';
    this._gate = GATE_RUN;
    if (this.flags.keepAlive) this.host.backend.ref();
    const held = this.held;
    if (held !== null) {
      this.held = null;
      for (const { payload, domain } of held) this.host.dispatcher.requeue(this, payload, domain);
    }
    this.hooks?.start?.();
  }

  /**
   * Stops the event: its source is told to pause; activations that still arrive are held and
   * delivered after {@link AemEvent.start}. No-op unless active.
   */
  stop(): void {
    if (this.stateNow !== 'active') return;
    this.stateNow = 'stopped';
    this._gate = GATE_HOLD;
    if (this.flags.keepAlive) this.host.backend.unref();
    this.hooks?.stop?.();
  }

  /**
   * Closes the event for good: the source is released, activations not yet delivered are
   * discarded (by request — this is the one way pending work is dropped), and the event's
   * forms complete. Idempotent.
   */
  shutdown(): void {
    this._close('shutdown', undefined);
  }

  /** @internal Attaches the source hooks returned by the call implementation. */
  _attach(hooks: EventSourceHooks<TPayload> | void): void {
    this.hooks = hooks as EventSourceHooks | void;
    const delivered = hooks ? hooks.delivered : undefined;
    this.deliveredHook =
      delivered === undefined ? null : (delivered.bind(hooks) as (payload: unknown) => void);
    const discarded = hooks ? hooks.discarded : undefined;
    this.discardedHook =
      discarded === undefined ? null : (discarded.bind(hooks) as (payload: unknown) => void);
  }

  /** @internal Registers a listener called once when the event closes. */
  _onClose(listener: CloseListener): void {
    if (this.reason !== undefined) return;
    (this.closeListeners ??= []).push(listener);
  }

  /** @internal Closes the event; the first reason wins. */
  _close(reason: EventCloseReason, error: unknown): void {
    if (this.stateNow === 'closed') return;
    const wasActive = this.stateNow === 'active';
    this.stateNow = 'closed';
    this._gate = GATE_DISCARD;
    this.reason = reason;
    if (wasActive && this.flags.keepAlive) this.host.backend.unref();
    const held = this.held;
    if (held !== null) {
      this.held = null;
      for (const { payload, domain } of held) {
        this._pending--;
        this.host.dispatcher.forgetHeld(domain);
        this._discarded(payload);
      }
    }
    const hooks = this.hooks;
    this.hooks = undefined;
    this.deliveredHook = null;
    try {
      hooks?.close?.();
    } finally {
      this.host.eventClosed(this as AemEvent);
      const listeners = this.closeListeners;
      this.closeListeners = null;
      if (listeners !== null) for (const listener of listeners) listener(reason, error);
    }
  }

  /** @internal */
  _discarded(payload: unknown): void {
    if (this.discardedHook === null) return;
    try {
      this.discardedHook(payload);
    } catch (error) {
      this.host.reportError(new SourceFailedError(this.id, this.service, this.call, error));
    }
  }

  /** @internal */
  _hold(payload: unknown, domain: DomainState): void {
    (this.held ??= []).push({ payload, domain });
  }

  /** @internal */
  _deliver(payload: unknown): unknown {
    this.delivered++;
    if (this.deliveredHook !== null) this.deliveredHook(payload);
    if (!this._closesOnDelivery) return this.handler(payload as TPayload, this);
    try {
      return this.handler(payload as TPayload, this);
    } finally {
      if (this.flags.oneShot) this._close('one-shot', undefined);
      else if (this._pending === 0) this._close('ended', undefined);
    }
  }

  /** @internal */
  _failed(error: unknown, domain: DomainState): void {
    this.host.reportError(
      new HandlerFailedError(this.id, this.service, this.call, domain._name, error),
    );
    if (this.onError === 'shutdown') this._close('handler-failed', error);
  }
}
