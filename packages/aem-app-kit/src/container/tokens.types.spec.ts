// Type-level tests of the DI tokens: `tsc -p tsconfig.spec.json` (the test script's first step)
// fails if a token stops carrying its type.
import type { Aem } from '@aem/core';
import type { TcpServer } from '@aem/tcp';
import type { Timers } from '@aem/timers';
import type { Logger } from 'pino';
import { AppContainer } from './app-container';
import { injectionToken } from './injection-token';
import { LOGGER, RUNTIME, TCP_SERVER, TIMERS } from './tokens';

describe('DI token types', () => {
  it('resolve to the type they were declared with', () => {
    const container = new AppContainer();
    const check = (): void => {
      const runtime: Aem = container.get(RUNTIME);
      const timers: Timers = container.get(TIMERS);
      const server: TcpServer = container.get(TCP_SERVER);
      const logger: Logger = container.get(LOGGER);
      // @ts-expect-error a Timers is not an Aem
      const wrong: Aem = container.get(TIMERS);
      const PORT = injectionToken<number>('test:port');
      // @ts-expect-error a number token takes no string
      container.bindValue(PORT, 'x');
      void [runtime, timers, server, logger, wrong];
    };
    expect(typeof check).toBe('function'); // compiled, not run: nothing is bound
  });
});
