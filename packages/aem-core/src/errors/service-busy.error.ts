import { AemError } from './aem.error';

/**
 * Raised by `Aem.unload` when the version still has live events and the caller did not ask to
 * drain them. Nothing is unloaded; `liveEvents` says how many registrations hold it.
 */
export class ServiceBusyError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_SERVICE_BUSY';

  /**
   * @param service - service name.
   * @param version - the version that was asked to unload.
   * @param liveEvents - number of events of that version that are not closed.
   */
  constructor(
    readonly service: string,
    readonly version: string,
    readonly liveEvents: number,
  ) {
    super(
      `cannot unload ${service}@${version}: ${liveEvents} live event(s) still use it ` +
        `(shut them down first, or unload with { drain: true } to wait for them)`,
    );
  }
}
