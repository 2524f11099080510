import { AppKitError } from './app-kit.error';

/**
 * A constructor parameter of a class the container builds has no `@Inject(token)` (nor an entry
 * in the `inject` list of `@Injectable`/`@Handler`). The kit never reads decorator metadata
 * (`emitDecoratorMetadata` stays off), so every parameter names its token.
 *
 * @example
 * ```ts
 * try {
 *   container.get(Greeter);
 * } catch (error) {
 *   if (error instanceof MissingInjectError) console.log(error.className, error.parameter); // Greeter name
 * }
 * ```
 */
export class MissingInjectError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_MISSING_INJECT';

  /**
   * @param className - the class being built.
   * @param index - the parameter's position (0-based).
   * @param parameter - the parameter's name when it can be read, else `#<index>`.
   */
  constructor(
    readonly className: string,
    readonly index: number,
    readonly parameter: string,
  ) {
    super(
      `${className}: constructor parameter ${parameter} (position ${index}) has no @Inject(token); ` +
        `add @Inject(TOKEN) to it or list it in @Injectable({ inject: [...] }) / @Handler({ inject: [...] }) ` +
        `(the kit does not use emitDecoratorMetadata)`,
    );
  }
}
