import { inject, injectable } from 'inversify';
import type { ServiceKey } from './injection-token';

/**
 * Marks a class as constructible by the {@link AppContainer}. (Handler classes use
 * {@link Handler}, which implies it.)
 *
 * @example
 * ```ts
 * @Injectable()
 * class RouteTable {
 *   constructor(@Inject(CONFIG) config: AppConfig) {}
 * }
 * ```
 * @returns a class decorator.
 */
export function Injectable(): ClassDecorator {
  return (target) => {
    injectable()(target);
  };
}

/**
 * Declares what a constructor parameter (or a property) is resolved to. Needed on every
 * constructor parameter: the workspace does not emit decorator metadata.
 *
 * @example
 * ```ts
 * @Handler()
 * class Echo {
 *   constructor(@Inject(TIMERS) private readonly timers: Timers) {}
 * }
 * ```
 * @param key - a token ({@link RUNTIME}, {@link TIMERS}, …, or your own from
 *   {@link injectionToken}) or a class.
 * @returns a parameter or property decorator.
 */
export function Inject<T>(key: ServiceKey<T>): ParameterDecorator & PropertyDecorator {
  return inject(key) as ParameterDecorator & PropertyDecorator;
}
