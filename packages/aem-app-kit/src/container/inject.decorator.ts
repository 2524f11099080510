import { inject, injectable } from 'inversify';
import { recordParameterKey } from './inject-metadata';
import type { InjectionToken, ServiceKey } from './injection-token';

/**
 * The types a list of keys resolves to, position by position: `[typeof TIMERS, typeof LOGGER]`
 * gives `[Timers, Logger]`.
 *
 * @example
 * ```ts
 * type Deps = InjectedTypes<[typeof TIMERS, typeof LOGGER]>; // [Timers, Logger]
 * ```
 * @typeParam K - a tuple of tokens and classes.
 */
export type InjectedTypes<K extends readonly ServiceKey<unknown>[]> = {
  -readonly [I in keyof K]: K[I] extends InjectionToken<infer T>
    ? T
    : K[I] extends abstract new (...args: never[]) => infer T
      ? T
      : never;
};

/**
 * Options of {@link Injectable} and `Handler`: the constructor's parameters, in order, as a
 * list of keys — **type-checked** against the constructor (a parameter `@Inject` cannot be:
 * TypeScript gives a parameter decorator no view of the parameter's type).
 *
 * @example
 * ```ts
 * @Injectable({ inject: [TIMERS, LOGGER] })
 * class Pinger {
 *   constructor(readonly timers: Timers, readonly logger: Logger) {}
 * }
 * ```
 * @typeParam K - the keys, in parameter order.
 */
export interface InjectOptions<K extends readonly ServiceKey<unknown>[]> {
  /** One key per constructor parameter, in order. */
  readonly inject: K;
}

/**
 * A class decorator that only accepts a class whose constructor takes what `K` resolves to.
 *
 * @example
 * ```ts
 * const decorate: TypedClassDecorator<[typeof TIMERS]> = Injectable({ inject: [TIMERS] });
 * ```
 * @typeParam K - the keys, in parameter order.
 */
export type TypedClassDecorator<K extends readonly ServiceKey<unknown>[]> = <
  C extends abstract new (...args: InjectedTypes<K>) => unknown,
>(
  target: C,
) => void;

/** @internal Applies `@Inject(key)` to each constructor parameter of `target`, in order. */
export function injectParameters(target: object, keys: readonly ServiceKey<unknown>[]): void {
  keys.forEach((key, index) => {
    recordParameterKey(target, index, key);
    (inject(key) as ParameterDecorator)(target, undefined, index);
  });
}

/**
 * Marks a class as constructible by the {@link AppContainer}. (Handler classes use
 * `Handler`, which implies it.) With `{ inject: [...] }` the constructor's parameters are
 * declared in one list that the compiler checks against their types; otherwise each parameter
 * carries its own {@link Inject}.
 *
 * @example
 * ```ts
 * @Injectable()
 * class RouteTable {
 *   constructor(@Inject(CONFIG) config: AppConfig) {}
 * }
 *
 * @Injectable({ inject: [TIMERS] })
 * class Retransmitter {
 *   constructor(private readonly timers: Timers) {} // @Injectable({ inject: [TCP] }) would not compile
 * }
 * ```
 * @returns a class decorator.
 */
export function Injectable(): ClassDecorator;
/**
 * @param options - the constructor's parameters as keys, type-checked.
 * @returns a class decorator accepting only a matching constructor.
 */
export function Injectable<const K extends readonly ServiceKey<unknown>[]>(
  options: InjectOptions<K>,
): TypedClassDecorator<K>;
export function Injectable(
  options?: InjectOptions<readonly ServiceKey<unknown>[]>,
): (target: object) => void {
  return (target) => {
    if (options !== undefined) injectParameters(target, options.inject);
    injectable()(target as never);
  };
}

/**
 * Declares what a constructor parameter (or a property) is resolved to. Needed on every
 * constructor parameter unless the class lists them in `@Injectable({ inject })` /
 * `@Handler({ inject })`: the kit does not use decorator metadata, and a parameter without
 * one is reported by name ({@link MissingInjectError}) when the class is built. The compiler
 * cannot check the token against the parameter's type here (a TypeScript limit); the `inject`
 * list form is checked.
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
  const decorate = inject(key) as ParameterDecorator & PropertyDecorator;
  return (target: object, property: string | symbol | undefined, index?: number) => {
    // A constructor parameter: `target` is the class itself and `property` undefined.
    if (typeof index === 'number' && property === undefined) recordParameterKey(target, index, key);
    (decorate as (t: object, p: string | symbol | undefined, i?: number) => void)(
      target,
      property,
      index,
    );
  };
}
