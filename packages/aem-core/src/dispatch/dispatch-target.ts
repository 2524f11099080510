import type { DomainState } from './domain-state';

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
   * Lifecycle gate read when an activation reaches the head of the queue:
   * `'run'` delivers it, `'hold'` keeps it on the event until restart, `'discard'` drops it
   * (the event is closed; shutdown discards pending work by request).
   */
  _gate(): 'run' | 'hold' | 'discard';
  /** Keeps an activation that arrived while the event was stopped. */
  _hold(payload: unknown, domain: DomainState): void;
  /** Runs the handler; returns what it returned (a promise for async handlers). */
  _deliver(payload: unknown): unknown;
  /** Reports a handler failure (thrown or rejected) that happened in `domain`. */
  _failed(error: unknown, domain: DomainState): void;
}
