import { AemError } from './aem.error';

/**
 * Raised by a service call when the runtime already holds `limits.maxEvents` live events.
 * The new event is not created.
 */
export class EventLimitError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_EVENT_LIMIT';

  /**
   * @param limit - the configured `limits.maxEvents`.
   * @param service - `name@version` of the service whose call was refused.
   * @param call - the call name.
   */
  constructor(
    readonly limit: number,
    readonly service: string,
    readonly call: string,
  ) {
    super(
      `${service} ${call}(): the runtime already has ${limit} live event(s) (limits.maxEvents)`,
    );
  }
}
