import { AemError } from './aem.error';

/**
 * Raised by `Aem.bind` when no loaded version of a service satisfies the requested semver range.
 *
 * `available` lists the versions that are loaded (and not unloading), newest first, so the
 * message tells the user what they could bind instead.
 */
export class ServiceNotFoundError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_SERVICE_NOT_FOUND';

  /**
   * @param service - the service name that was asked for.
   * @param range - the semver range that was asked for.
   * @param available - versions of that service currently bindable, newest first.
   */
  constructor(
    readonly service: string,
    readonly range: string,
    readonly available: readonly string[],
  ) {
    super(
      available.length === 0
        ? `service "${service}" is not loaded`
        : `no loaded version of service "${service}" satisfies "${range}" (loaded: ${available.join(', ')})`,
    );
  }
}
