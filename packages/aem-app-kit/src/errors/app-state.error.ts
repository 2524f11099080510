import { AppKitError } from './app-kit.error';

/**
 * An operation was asked of an application in a status that does not allow it: `start()` twice,
 * `upgrade()` before `start()` or after `stop()`.
 *
 * @example
 * ```ts
 * await app.stop();
 * await app.upgrade(next).catch((error) => console.log(error.code)); // AEM_APP_STATE
 * ```
 */
export class AppStateError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_STATE';

  /**
   * @param operation - what was asked.
   * @param status - the application's status at the time.
   */
  constructor(
    readonly operation: string,
    readonly status: string,
  ) {
    super(`cannot ${operation}: the application is ${status}`);
  }
}
