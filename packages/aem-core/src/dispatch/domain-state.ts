import type { ParkedActivations } from './parked-activations';

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
  _parked: ParkedActivations | null;
  /** True while a wake-up token for this domain sits in the ready queue. */
  _tokenQueued: boolean;
  /** Limit on `_queued`. */
  readonly _maxQueue: number;
}
