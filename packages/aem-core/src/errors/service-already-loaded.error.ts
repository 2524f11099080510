import { AemError } from './aem.error';

/** Raised by `Aem.load` when the same `name@version` is already loaded in that runtime. */
export class ServiceAlreadyLoadedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_SERVICE_ALREADY_LOADED';

  /**
   * @param service - service name.
   * @param version - the version that is already loaded.
   */
  constructor(
    readonly service: string,
    readonly version: string,
  ) {
    super(`service ${service}@${version} is already loaded`);
  }
}
