import { Handler } from '../decorators/handler.decorator';
import { handlerMethodsOf } from '../decorators/handler-metadata';
import { OnClose } from '../decorators/on-close.decorator';
import { OnConnection } from '../decorators/on-connection.decorator';
import { OnMessage } from '../decorators/on-message.decorator';
import { OnTimer } from '../decorators/on-timer.decorator';
import { InvalidHandlerError } from '../errors/invalid-handler.error';
import { defineHandlerModule } from './handler-module';

describe('handler declarations', () => {
  @Handler()
  class Base {
    @OnConnection()
    open(): void {}
  }
  @Handler()
  class Full extends Base {
    @OnMessage()
    message(): void {}
    @OnClose()
    close(): void {}
    @OnTimer(1000, { once: true })
    later(): void {}
  }
  class Plain {}

  it('reads the decorated methods, base class first', () => {
    expect(handlerMethodsOf(Full)).toEqual([
      { kind: 'connection', method: 'open' },
      { kind: 'message', method: 'message' },
      { kind: 'close', method: 'close' },
      { kind: 'timer', method: 'later', ms: 1000, once: true },
    ]);
  });

  it('refuses a class without @Handler() and a bad timer period', () => {
    expect(() => handlerMethodsOf(Plain)).toThrow(InvalidHandlerError);
    expect(() => OnTimer(0)).toThrow(expect.objectContaining({ code: 'AEM_APP_INVALID_HANDLER' }));
    expect(() => OnTimer(Infinity)).toThrow(InvalidHandlerError);
  });

  it('defineHandlerModule validates version, handlers and classes', () => {
    const module = defineHandlerModule({ version: '1.0.0', handlers: [Full] });
    expect(module.version).toBe('1.0.0');
    expect(() => defineHandlerModule({ version: '', handlers: [] })).toThrow('module.version');
    expect(() =>
      defineHandlerModule({ version: '1', handlers: undefined as unknown as [] }),
    ).toThrow('module.handlers');
    expect(() => defineHandlerModule({ version: '1', handlers: [Plain] })).toThrow(
      'is not marked with @Handler()',
    );
    // Issue #16 point 5: a wrong import (undefined) failed with "cannot read properties of undefined".
    expect(() =>
      defineHandlerModule({ version: '1', handlers: [Full, undefined as unknown as typeof Full] }),
    ).toThrow('module.handlers[1]: is undefined, not a @Handler() class (check its import)');
  });
});
