import { AppKitError } from './app-kit.error';

/**
 * A handler class or handler module is not usable: no handler decorator on a class, a timer
 * with a bad period, a module without `version` or `handlers`.
 *
 * @example
 * ```ts
 * try {
 *   defineHandlerModule({ version: '', handlers: [] });
 * } catch (error) {
 *   console.log((error as InvalidHandlerError).code); // AEM_APP_INVALID_HANDLER
 * }
 * ```
 */
export class InvalidHandlerError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_INVALID_HANDLER';

  /**
   * @param subject - what was checked (a class name, `module.version`, …).
   * @param problem - what is wrong with it.
   */
  constructor(
    readonly subject: string,
    readonly problem: string,
  ) {
    super(`${subject}: ${problem}`);
  }
}
