import { AemError } from './aem.error';

/** Raised by any operation on an `Aem` runtime after `close()` was called. */
export class RuntimeClosedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_RUNTIME_CLOSED';

  /** @param operation - what was attempted. */
  constructor(readonly operation: string) {
    super(`the AEM runtime is closed: cannot ${operation}`);
  }
}
