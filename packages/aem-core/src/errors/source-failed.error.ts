import { AemError } from './aem.error';

/**
 * The reason an event closed because its source (the service behind it) failed — a socket
 * error, say. Observable forms error with it, promise forms reject with it, and callback forms
 * see it on `Aem.errors`.
 */
export class SourceFailedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_SOURCE_FAILED';

  /**
   * @param eventId - the event that closed.
   * @param service - `name@version` of its service.
   * @param call - the call that registered it.
   * @param cause - the failure the service reported.
   */
  constructor(
    readonly eventId: number,
    readonly service: string,
    readonly call: string,
    cause: unknown,
  ) {
    super(
      `event ${eventId} (${service} ${call}) failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
