import type { Tcp } from '@aem/tcp';
import type { Timers } from '@aem/timers';
import { Handler } from '../decorators/handler.decorator';
import { DependencyResolutionError } from '../errors/dependency-resolution.error';
import { MissingInjectError } from '../errors/missing-inject.error';
import { UnboundTokenError } from '../errors/unbound-token.error';
import { AppContainer } from './app-container';
import { Inject, Injectable } from './inject.decorator';
import { injectionToken } from './injection-token';
import { TCP, TIMERS, configToken } from './tokens';

// Issue #16 point 4: inversify's own errors suggested emitDecoratorMetadata for a missing
// @Inject and printed `No bindings found for service: "Symbol(aem:db)"`.
describe('AppContainer errors', () => {
  const DB = injectionToken<{ query(): string }>('test:db');
  const NAME = injectionToken<string>('test:name');

  it('names the class and parameter that lacks @Inject', () => {
    @Injectable()
    class Repo {
      constructor(
        @Inject(NAME) readonly name: string,
        readonly db: unknown,
      ) {}
    }
    const container = new AppContainer();
    container.bindValue(NAME, 'x');
    const error = catchError(() => container.bindClass(Repo));
    expect(error).toBeInstanceOf(MissingInjectError);
    expect(error).toMatchObject({
      code: 'AEM_APP_MISSING_INJECT',
      className: 'Repo',
      index: 1,
      parameter: 'db',
    });
    expect((error as Error).message).toContain('does not use emitDecoratorMetadata');
  });

  it('names the handler, parameter and token nothing binds', () => {
    @Handler()
    class Billing {
      constructor(@Inject(DB) readonly db: { query(): string }) {}
    }
    const container = new AppContainer();
    container.bindClass(Billing);
    const error = catchError(() => container.get(Billing));
    expect(error).toBeInstanceOf(UnboundTokenError);
    expect(error).toMatchObject({
      code: 'AEM_APP_UNBOUND_TOKEN',
      token: 'aem:test:db',
      className: 'Billing',
      parameter: 'db',
    });
    expect((error as Error).message).not.toContain('Symbol(');
  });

  it('checks the classes a class depends on', () => {
    @Injectable()
    class Inner {
      constructor(@Inject(DB) readonly db: unknown) {}
    }
    @Injectable()
    class Outer {
      constructor(@Inject(Inner) readonly inner: Inner) {}
    }
    const container = new AppContainer();
    container.bindClass(Inner);
    container.bindClass(Outer);
    expect(catchError(() => container.get(Outer))).toMatchObject({
      className: 'Inner',
      token: 'aem:test:db',
    });
  });

  it('reports a direct get of an unbound token', () => {
    expect(catchError(() => new AppContainer().get(DB))).toMatchObject({
      code: 'AEM_APP_UNBOUND_TOKEN',
      token: 'aem:test:db',
      className: undefined,
    });
  });

  it('wraps a throwing constructor, keeping the cause', () => {
    const boom = new Error('no disk');
    @Injectable()
    class Broken {
      constructor() {
        throw boom;
      }
    }
    const container = new AppContainer();
    container.bindClass(Broken);
    const error = catchError(() => container.get(Broken));
    expect(error).toBeInstanceOf(DependencyResolutionError);
    expect(error).toMatchObject({ code: 'AEM_APP_RESOLUTION_FAILED', key: 'Broken' });
    expect((error as Error).cause).toBe(boom);
  });

  it('builds a class declared with a checked inject list', () => {
    const CONFIG_T = configToken<{ greeting: string }>();
    @Injectable({ inject: [NAME, CONFIG_T] })
    class Greeter {
      constructor(
        readonly name: string,
        readonly config: { greeting: string },
      ) {}
    }
    const container = new AppContainer();
    container.bindValue(NAME, 'alice');
    container.bindValue(CONFIG_T, { greeting: 'hi' });
    container.bindClass(Greeter);
    expect(container.get(Greeter)).toMatchObject({ name: 'alice', config: { greeting: 'hi' } });
  });

  it('type-checks the inject list against the constructor (compiled, not run)', () => {
    const check = (): void => {
      // @ts-expect-error TCP resolves to a Tcp, not a Timers (issue #16: this compiled)
      @Handler({ inject: [TCP] })
      class Wrong {
        constructor(readonly timers: Timers) {}
      }
      @Handler({ inject: [TIMERS, TCP] })
      class Right {
        constructor(
          readonly timers: Timers,
          readonly tcp: Tcp,
        ) {}
      }
      void [Wrong, Right];
    };
    expect(typeof check).toBe('function');
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
