import type { DomainState } from './domain-state';

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
