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
    super(`cannot ${operation}: the application is ${status}${STATUS_HINTS[status] ?? ''}`);
  }
}

/** What to do about a status, said after it. */
const STATUS_HINTS: Readonly<Record<string, string>> = {
  created: ' (not started: await app.start() first)',
  starting: ' (await app.start() first)',
  stopping: ' (a stopped application cannot be restarted: create a new one)',
  stopped: ' (a stopped application cannot be restarted: create a new one)',
  failed: ' (its start failed: see the error start() rejected with)',
};
