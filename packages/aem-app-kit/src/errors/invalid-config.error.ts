import { AppKitError } from './app-kit.error';

/**
 * A configuration value is unusable: the generated application's `loadConfig` throws it for an
 * environment variable it cannot read (`PORT=abc`), and applications may use it for their own.
 *
 * @example
 * ```ts
 * throw new InvalidConfigError('PORT', 'an integer from 0 to 65535', process.env.PORT);
 * // PORT must be an integer from 0 to 65535, got "abc"
 * ```
 */
export class InvalidConfigError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_INVALID_CONFIG';

  /**
   * @param key - the setting (an environment variable's name, a config path).
   * @param expected - what it must be.
   * @param actual - what it was.
   */
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${key} must be ${expected}, got ${JSON.stringify(actual) ?? String(actual)}`);
  }
}
