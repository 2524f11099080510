import { Container } from 'inversify';
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
   * @param cls - an {@link Injectable} class.
   * @param token - resolve it under this token instead of the class itself.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are free
  bindClass<T>(cls: new (...args: any[]) => T, token?: InjectionToken<T>): void {
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
   * Resolves a token or class.
   *
   * @throws whatever the container reports for an unbound key or a failing constructor.
   */
  get<T>(key: ServiceKey<T>): T {
    return this.container.get<T>(key);
  }

  /** True when `key` is bound here or in a parent. */
  has(key: ServiceKey<unknown>): boolean {
    return this.container.isBound(key);
  }

  /** A child container: it sees this one's bindings; its own do not leak up. */
  createChild(): AppContainer {
    return new AppContainer(this);
  }
}
