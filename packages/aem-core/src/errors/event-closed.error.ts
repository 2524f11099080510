import { AemError } from './aem.error';

/**
 * Raised when an operation needs a live event but the event is closed: starting or activating
 * a shut-down event, or a one-shot event's promise whose event was shut down before it fired.
 */
export class EventClosedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_EVENT_CLOSED';

  /**
   * @param eventId - the event.
   * @param operation - what was attempted, e.g. `start` or `activate`.
   */
  constructor(
    readonly eventId: number,
    readonly operation: string,
  ) {
    super(`event ${eventId} is closed: cannot ${operation}`);
  }
}
