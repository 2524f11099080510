import type { ParkedActivations } from './parked-activations';

/** {@link DispatchTarget._gate}: the event is active. @internal */
export const GATE_RUN = 0;
/** {@link DispatchTarget._gate}: the event is idle or stopped. @internal */
export const GATE_HOLD = 1;
/** {@link DispatchTarget._gate}: the event is closed. @internal */
export const GATE_DISCARD = 2;

/**
 * What the dispatcher needs from an event. Kept minimal so the dispatcher can be tested and
 * reasoned about without the registry.
 *
 * @internal
 */
export interface DispatchTarget {
  /** Current priority, 0 (lowest) to 7 (highest). */
  readonly _priority: number;
  /** The domain the event's activations run in unless an activation names another. */
  readonly _domain: DomainState;
  /**
   * Lifecycle gate read when an activation reaches the head of the queue (a field, not a
   * method: it is read once per activation): {@link GATE_RUN} delivers it, {@link GATE_HOLD}
   * keeps it on the event until restart, {@link GATE_DISCARD} drops it (the event is closed;
   * shutdown discards pending work by request).
   */
  readonly _gate: number;
  /** Activations of this event queued anywhere in the dispatcher (ready, parked or held). */
  _pending: number;
  /** Keeps an activation that arrived while the event was stopped. */
  _hold(payload: unknown, domain: DomainState): void;
  /** Tells the source an activation was dropped because the event closed first. */
  _discarded(payload: unknown): void;
  /** Runs the handler; returns what it returned (a promise for async handlers). */
  _deliver(payload: unknown): unknown;
  /** Reports a handler failure (thrown or rejected) that happened in `domain`. */
  _failed(error: unknown, domain: DomainState): void;
}

/**
 * The dispatcher's bookkeeping for one serialization domain. Implemented by {@link Domain}
 * (a shared, named domain) and by each event for its own implicit domain, so an event without
 * an explicit domain costs no extra object.
 *
 * Invariants the dispatcher maintains:
 * - `_busy` is true exactly while an async handler of this domain has not settled.
 * - `_queued` counts this domain's activations that are ready, parked or held, and is what
 *   `_maxQueue` bounds.
 * - While the domain is free and `_parked` is non-empty, exactly one wake-up token for the
 *   domain is in the ready queue (`_tokenQueued`); activations of a domain that has parked work
 *   park behind it, so a domain's activations never overtake each other.
 *
 * @internal
 */
export interface DomainState {
  /** Name used in errors and metrics. */
  readonly _name: string;
  /** True while an async handler of this domain is running. */
  _busy: boolean;
  /** Activations of this domain queued anywhere in the dispatcher. */
  _queued: number;
  /** Activations that found the domain busy; created on first use. */
  _parked: ParkedActivations<DispatchTarget> | null;
  /** True while a wake-up token for this domain sits in the ready queue. */
  _tokenQueued: boolean;
  /** Limit on `_queued`. */
  readonly _maxQueue: number;
}
