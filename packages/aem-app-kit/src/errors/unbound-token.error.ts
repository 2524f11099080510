import { AppKitError } from './app-kit.error';

/**
 * A class the container builds asks for a token (or class) that nothing bound: neither the kit
 * (`RUNTIME`, `TIMERS`, …, see the README's _Container_) nor the application's `providers`.
 *
 * @example
 * ```ts
 * createApp({ handlers, providers: (c) => c.bindValue(DB, openDb()) }); // the fix
 * ```
 */
export class UnboundTokenError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_UNBOUND_TOKEN';

  /**
   * @param token - the token's description (`aem:db`) or the class name asked for.
   * @param className - the class whose constructor asked for it; `undefined` for a direct `get`.
   * @param parameter - the parameter's name (or `#<index>`) when a constructor asked.
   */
  constructor(
    readonly token: string,
    readonly className?: string,
    readonly parameter?: string,
  ) {
    super(
      className === undefined
        ? `nothing is bound to ${token}; bind it in the app's providers (container.bindValue/bindClass/bindFactory)`
        : `${className}: constructor parameter ${parameter} asks for ${token}, which nothing binds; ` +
            `bind it in the app's providers (container.bindValue/bindClass/bindFactory)`,
    );
  }
}
