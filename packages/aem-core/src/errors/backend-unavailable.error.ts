import { AemError } from './aem.error';

/**
 * Raised by `createAem` when the requested backend cannot be used here; `reason` says why
 * (module not loaded, `/dev/aem` missing, native binding not built, not implemented yet).
 */
export class BackendUnavailableError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_BACKEND_UNAVAILABLE';

  /**
   * @param backend - the backend that was requested.
   * @param reason - why it cannot be used.
   */
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`backend "${backend}" is unavailable: ${reason}`);
  }
}
