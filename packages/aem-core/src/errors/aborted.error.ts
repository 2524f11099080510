import { AemError } from './aem.error';

/**
 * Rejection of a one-shot event's promise when its `AbortSignal` fires. The event is shut down
 * first. `name` is `'AbortError'` (as for `fetch` and `node:timers/promises`), so generic
 * `error.name === 'AbortError'` checks work; `cause` is the signal's `reason`.
 */
export class AbortedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_ABORTED';

  /**
   * @param eventId - the event that was shut down; `undefined` when the signal was already
   *   aborted and no event was registered.
   * @param reason - `signal.reason`.
   */
  constructor(
    readonly eventId: number | undefined,
    reason: unknown,
  ) {
    super(eventId === undefined ? 'aborted before registration' : `event ${eventId} was aborted`, {
      cause: reason,
    });
    this.name = 'AbortError';
  }
}
