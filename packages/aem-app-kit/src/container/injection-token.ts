/**
 * A typed DI token: a `symbol` that remembers the type of what it resolves to, so
 * `container.get(RUNTIME)` is an `Aem` without a cast.
 *
 * @example
 * ```ts
 * const CLOCK: InjectionToken<TimerClock> = injectionToken<TimerClock>('clock');
 * ```
 * @typeParam T - the type bound to the token.
 */
export type InjectionToken<T> = symbol & {
  /** Never set: carries the bound value's type `T` for the type checker. */
  readonly __aemTokenType?: T;
};

/**
 * Anything the container can resolve: a typed token or a class.
 *
 * @example
 * ```ts
 * const key: ServiceKey<Timers> = TIMERS;
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are free
export type ServiceKey<T> = InjectionToken<T> | (abstract new (...args: any[]) => T);

/**
 * Creates a typed DI token named `aem:<name>` (one per name in the process: `Symbol.for`).
 *
 * @example
 * ```ts
 * import { injectionToken } from '@aem/app-kit';
 * export const ROUTES = injectionToken<RouteTable>('sip-uas:routes');
 * ```
 * @param name - a name unique in the application.
 * @returns the token.
 */
export function injectionToken<T>(name: string): InjectionToken<T> {
  return Symbol.for(`aem:${name}`) as InjectionToken<T>;
}
