import { AppKitError } from './app-kit.error';

/**
 * The container could not build a class for another reason than a missing `@Inject` or an
 * unbound token: its constructor (or a factory it depends on) threw, or the dependencies form a
 * cycle. The underlying error is the `cause`.
 *
 * @example
 * ```ts
 * app.start().catch((error) => {
 *   if (error instanceof DependencyResolutionError) console.error(error.key, error.cause);
 * });
 * ```
 */
export class DependencyResolutionError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_RESOLUTION_FAILED';

  /**
   * @param key - what was resolved (a class name or a token's description).
   * @param cause - what failed.
   */
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`could not build ${key}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
