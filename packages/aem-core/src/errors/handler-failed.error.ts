import { AemError } from './aem.error';

/**
 * What `Aem.errors` emits when a handler throws or its promise rejects. The process never
 * crashes for it; the event lives on unless its `onError` policy is `'shutdown'`.
 *
 * It says where the failure happened — event id, service, call, domain — and keeps the thrown
 * value as `cause`.
 */
export class HandlerFailedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_HANDLER_FAILED';

  /**
   * @param eventId - the event whose handler failed.
   * @param service - `name@version` of the event's service.
   * @param call - the call that registered the event.
   * @param domain - the name of the domain the activation ran in.
   * @param cause - what the handler threw or rejected with.
   */
  constructor(
    readonly eventId: number,
    readonly service: string,
    readonly call: string,
    readonly domain: string,
    cause: unknown,
  ) {
    super(
      `handler of event ${eventId} (${service} ${call}, domain "${domain}") failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}
