import { Container } from 'inversify';
import { AppKitError } from '../errors/app-kit.error';
import { DependencyResolutionError } from '../errors/dependency-resolution.error';
import { MissingInjectError } from '../errors/missing-inject.error';
import { UnboundTokenError } from '../errors/unbound-token.error';
import { describeKey, parameterKeysOf, parameterNamesOf } from './inject-metadata';
import type { InjectionToken, ServiceKey } from './injection-token';

/**
 * The application's dependency-injection container: a small, stable face over inversify 8, so
 * applications never depend on inversify's API (which changes between majors). Values, classes
 * and factories are bound as singletons; a child container (one per handler version, for hot
 * upgrade) sees its parent's bindings.
 *
 * Classes resolved from it declare their constructor parameters with {@link Inject} and are
 * marked with {@link Injectable} (or {@link Handler}, which implies it).
 *
 * @example
 * ```ts
 * import { AppContainer, Inject, Injectable, injectionToken } from '@aem/app-kit';
 *
 * const GREETING = injectionToken<string>('greeting');
 * @Injectable()
 * class Greeter {
 *   constructor(@Inject(GREETING) readonly greeting: string) {}
 * }
 * const container = new AppContainer();
 * container.bindValue(GREETING, 'hello');
 * container.bindClass(Greeter);
 * console.log(container.get(Greeter).greeting); // hello
 * ```
 */
export class AppContainer {
  private readonly container: Container;

  /** @param parent - a container whose bindings this one sees (and may shadow). */
  constructor(parent?: AppContainer) {
    this.container = new Container({ parent: parent?.container, defaultScope: 'Singleton' });
  }

  /**
   * Binds a ready value to a token (replacing an earlier binding of the token here).
   *
   * @param token - the token.
   * @param value - what it resolves to.
   */
  bindValue<T>(token: InjectionToken<T>, value: T): void {
    if (this.container.isCurrentBound(token)) this.container.unbind(token);
    this.container.bind(token).toConstantValue(value);
  }

  /**
   * Binds a class to itself (or to a token) as a singleton, built on first `get`.
   *
   * @throws {@link MissingInjectError} when a constructor parameter names no key.
   * @param cls - an {@link Injectable} class.
   * @param token - resolve it under this token instead of the class itself.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are free
  bindClass<T>(cls: new (...args: any[]) => T, token?: InjectionToken<T>): void {
    // inversify checks the parameters here, in its own words (suggesting decorator metadata).
    missingInject(cls);
    if (token === undefined) this.container.bind(cls).toSelf();
    else this.container.bind(token).to(cls);
  }

  /**
   * Binds a factory, called once on first `get` with this container.
   *
   * @param token - the token.
   * @param factory - builds the value.
   */
  bindFactory<T>(token: InjectionToken<T>, factory: (container: AppContainer) => T): void {
    this.container.bind(token).toDynamicValue(() => factory(this));
  }

  /**
   * Resolves a token or class. Before building a class it checks, through the classes it
   * depends on, that every constructor parameter names a key and that every key is bound, and
   * reports the first problem in the kit's words: which class, which parameter, which token.
   *
   * @throws {@link UnboundTokenError} (`AEM_APP_UNBOUND_TOKEN`) for a key nothing binds;
   *   {@link MissingInjectError} (`AEM_APP_MISSING_INJECT`) for a parameter without `@Inject`;
   *   {@link DependencyResolutionError} (`AEM_APP_RESOLUTION_FAILED`) when a constructor or
   *   factory throws, with the error as `cause`.
   */
  get<T>(key: ServiceKey<T>): T {
    if (!this.container.isBound(key)) throw new UnboundTokenError(describeKey(key));
    this.check(key, new Set());
    try {
      return this.container.get<T>(key);
    } catch (error) {
      if (error instanceof AppKitError) throw error;
      throw new DependencyResolutionError(describeKey(key), error);
    }
  }

  /** True when `key` is bound here or in a parent. */
  has(key: ServiceKey<unknown>): boolean {
    return this.container.isBound(key);
  }

  /** Checks the constructor parameters of `key` (when it is a class) and of what they ask for. */
  private check(key: ServiceKey<unknown>, seen: Set<ServiceKey<unknown>>): void {
    if (typeof key !== 'function' || seen.has(key)) return;
    seen.add(key);
    missingInject(key);
    for (const [index, dependency] of parameterKeysOf(key)) {
      if (!this.container.isBound(dependency))
        throw new UnboundTokenError(describeKey(dependency), key.name, parameterName(key, index));
      this.check(dependency, seen);
    }
  }

  /** A child container: it sees this one's bindings; its own do not leak up. */
  createChild(): AppContainer {
    return new AppContainer(this);
  }
}

function parameterName(cls: { toString(): string }, index: number): string {
  return parameterNamesOf(cls)[index] || `#${index}`;
}

/** Throws for the first constructor parameter of `cls` that names no key. */
function missingInject(cls: { readonly name: string; readonly length: number }): void {
  const keys = parameterKeysOf(cls);
  for (let index = 0; index < cls.length; index++) {
    if (!keys.has(index)) throw new MissingInjectError(cls.name, index, parameterName(cls, index));
  }
}
