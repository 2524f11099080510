import { AppContainer } from './app-container';
import { Inject, Injectable } from './inject.decorator';
import { injectionToken } from './injection-token';

describe('AppContainer', () => {
  const NAME = injectionToken<string>('test:name');
  const COUNTER = injectionToken<{ n: number }>('test:counter');

  @Injectable()
  class Greeter {
    constructor(@Inject(NAME) readonly name: string) {}
  }

  it('resolves values, classes (singletons) and factories', () => {
    const container = new AppContainer();
    container.bindValue(NAME, 'alice');
    container.bindClass(Greeter);
    let built = 0;
    container.bindFactory(COUNTER, () => ({ n: ++built }));
    expect(container.get(Greeter).name).toBe('alice');
    expect(container.get(Greeter)).toBe(container.get(Greeter));
    expect(container.get(COUNTER)).toBe(container.get(COUNTER));
    expect(built).toBe(1);
    expect(container.has(NAME)).toBe(true);
  });

  it('gives a child its parent’s bindings; the child’s own stay there', () => {
    const parent = new AppContainer();
    parent.bindValue(NAME, 'parent');
    const child = parent.createChild();
    child.bindClass(Greeter);
    expect(child.get(Greeter).name).toBe('parent');
    expect(parent.has(Greeter)).toBe(false);
  });

  it('rebinding a value replaces it', () => {
    const container = new AppContainer();
    container.bindValue(NAME, 'a');
    container.bindValue(NAME, 'b');
    expect(container.get(NAME)).toBe('b');
  });

  it('tokens are namespaced symbols, one per name', () => {
    expect(injectionToken('x')).toBe(Symbol.for('aem:x'));
  });
});
