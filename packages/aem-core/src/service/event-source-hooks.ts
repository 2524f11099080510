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
