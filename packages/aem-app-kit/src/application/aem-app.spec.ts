import { existsSync } from 'node:fs';
import {
  BackendUnavailableError,
  ServiceNotFoundError,
  createAem,
  defineCall,
  defineService,
  type Aem,
  type AemRuntimeError,
} from '@aem/core';
import { delimited, type TcpCloseInfo, type TcpMessage, type TcpServer } from '@aem/tcp';
import type { TimerExpiration, Timers } from '@aem/timers';
import { VirtualClock } from '@aem/timers/testing';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { Inject, Injectable } from '../container/inject.decorator';
import { injectionToken } from '../container/injection-token';
import { CONFIG, ERRORS, LOGGER, RUNTIME, TCP_SERVER, TIMERS } from '../container/tokens';
import { Handler } from '../decorators/handler.decorator';
import { OnClose } from '../decorators/on-close.decorator';
import { OnConnection } from '../decorators/on-connection.decorator';
import { OnMessage } from '../decorators/on-message.decorator';
import { OnTimer } from '../decorators/on-timer.decorator';
import { AppStateError } from '../errors/app-state.error';
import { InvalidConfigError } from '../errors/invalid-config.error';
import { RestartBudgetExceededError } from '../errors/restart-budget-exceeded.error';
import { UpgradeFailedError } from '../errors/upgrade-failed.error';
import type { Session } from '../session/session';
import { defineHandlerModule } from '../upgrade/handler-module';
import { createApp, type AemApp } from './aem-app';
import { LineClient } from './line-client.spec-helper';

const silent = { level: 'silent' } as const;
const tcp = { host: '127.0.0.1', port: 0, framer: delimited({ delimiter: '\n' }) };
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('AemApp', () => {
  const apps: AemApp[] = [];
  const clients: LineClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    for (const app of apps.splice(0)) await app.stop();
  });
  const track = (app: AemApp): AemApp => (apps.push(app), app);
  const open = async (app: AemApp): Promise<LineClient> => {
    const client = await LineClient.open(app.tcpServer?.address.port as number);
    clients.push(client);
    return client;
  };

  describe('container and decorator wiring', () => {
    it('injects the runtime, services, config, logger, server and streams into handlers', async () => {
      const GREETING = injectionToken<string>('test:greeting');
      @Injectable()
      class Greeter {
        constructor(@Inject(GREETING) readonly greeting: string) {}
      }
      const seen: Record<string, unknown> = {};
      @Handler()
      class Probe {
        constructor(
          @Inject(RUNTIME) runtime: Aem,
          @Inject(TIMERS) timers: Timers,
          @Inject(CONFIG) config: { answer: number },
          @Inject(LOGGER) logger: Logger,
          @Inject(TCP_SERVER) server: TcpServer,
          @Inject(ERRORS) errors: Observable<AemRuntimeError>,
          @Inject(Greeter) greeter: Greeter,
        ) {
          Object.assign(seen, { runtime, timers, config, logger, server, errors, greeter });
        }
        @OnMessage()
        hello({ connection }: TcpMessage) {
          connection.send(`${(seen.greeter as Greeter).greeting}\n`);
        }
      }
      const app = track(
        createApp({
          handlers: { version: '1.0.0', handlers: [Probe] },
          config: { answer: 42 },
          logger: silent,
          tcp,
          providers: (container) => {
            container.bindValue(GREETING, 'hi');
            container.bindClass(Greeter);
          },
        }),
      );
      await app.start();
      expect(seen.runtime).toBe(app.runtime);
      expect(seen.config).toEqual({ answer: 42 });
      expect(seen.logger).toBe(app.logger);
      expect(seen.server).toBe(app.tcpServer);
      expect((seen.timers as Timers).binding.name).toBe('timers');
      expect(typeof (seen.errors as Observable<unknown>).subscribe).toBe('function');
      const client = await open(app);
      client.send('x');
      await client.waitFor(1);
      expect(client.lines).toEqual(['hi']);
    });

    it('runs connection, message and close handlers with per-session state', async () => {
      const closes: string[] = [];
      @Handler()
      class Counter {
        @OnConnection()
        hello(session: Session<{ n: number }>) {
          session.connection?.send(`hello ${session.state.n}\n`);
        }
        @OnMessage()
        async count({ connection }: TcpMessage, session: Session<{ n: number }>) {
          await flush(); // an async handler: the next message of this session waits for it
          session.state.n++;
          connection.send(`n=${session.state.n}\n`);
        }
        @OnClose()
        bye(session: Session<{ n: number }>, info: TcpCloseInfo) {
          closes.push(`${session.state.n}:${info.reason}`);
        }
      }
      const app = track(
        createApp({
          handlers: { version: '1.0.0', handlers: [Counter], initialState: () => ({ n: 0 }) },
          logger: silent,
          tcp,
        }),
      );
      await app.start();
      const [a, b] = [await open(app), await open(app)];
      for (let i = 0; i < 3; i++) a.send('x');
      b.send('x');
      await a.waitFor(4);
      await b.waitFor(2);
      expect(a.lines).toEqual(['hello 0', 'n=1', 'n=2', 'n=3']);
      expect(b.lines).toEqual(['hello 0', 'n=1']);
      await a.close();
      while (closes.length === 0) await flush();
      expect(closes).toEqual(['3:peer']);
      expect(app.health().sessions).toBe(1);
    });
  });

  describe('lifecycle', () => {
    it('starts hooks in module order, stops them in reverse, and reports health', async () => {
      const order: string[] = [];
      const make = (name: string) => {
        @Handler()
        class Hooked {
          async onStart() {
            await flush();
            order.push(`start:${name}`);
          }
          async onStop() {
            await flush();
            order.push(`stop:${name}`);
          }
        }
        return Hooked;
      };
      const app = createApp({
        name: 'hooks',
        handlers: { version: '1.0.0', handlers: [make('a'), make('b'), make('c')] },
        logger: silent,
      });
      expect(app.status).toBe('created');
      await app.start();
      expect(app.health()).toMatchObject({
        name: 'hooks',
        status: 'running',
        versions: [{ version: '1.0.0', status: 'current', sessions: 0 }],
      });
      await app.stop();
      expect(order).toEqual(['start:a', 'start:b', 'start:c', 'stop:c', 'stop:b', 'stop:a']);
      expect(app.status).toBe('stopped');
      expect(app.runtime.closed).toBe(true);
      await expect(app.start()).rejects.toBeInstanceOf(AppStateError);
    });

    it('creates its runtime on the backend asked for', async () => {
      const app = track(
        createApp({
          handlers: { version: '1', handlers: [] },
          logger: silent,
          backend: 'userspace',
        }),
      );
      await app.start();
      expect(app.runtime.backendSelection).toMatchObject({
        requested: 'userspace',
        kind: 'userspace',
      });
    });

    // Where the kernel modules are not loaded (the host): start fails, saying why, and no
    // runtime is left behind. Inside the test VM this case cannot be built, so it is skipped.
    (existsSync('/dev/aem') ? it.skip : it)(
      'fails to start with BackendUnavailableError when backend "kmod" cannot be used',
      async () => {
        const app = createApp({
          handlers: { version: '1', handlers: [] },
          logger: silent,
          backend: 'kmod',
        });
        await expect(app.start()).rejects.toBeInstanceOf(BackendUnavailableError);
        expect(app.status).toBe('failed');
      },
    );

    it('refuses a backend next to a runtime of its own', () => {
      const runtime = createAem({ backend: 'userspace' });
      try {
        expect(() =>
          createApp({ handlers: { version: '1', handlers: [] }, runtime, backend: 'kmod' }),
        ).toThrow(InvalidConfigError);
      } finally {
        runtime.close();
      }
    });

    it('rolls back what started when an onStart hook fails', async () => {
      const order: string[] = [];
      @Handler()
      class Good {
        onStart() {
          order.push('start:good');
        }
        onStop() {
          order.push('stop:good');
        }
      }
      @Handler()
      class Bad {
        onStart() {
          throw new Error('no database');
        }
      }
      const app = createApp({ handlers: { version: '1', handlers: [Good, Bad] }, logger: silent });
      await expect(app.start()).rejects.toThrow('no database');
      expect(app.status).toBe('failed');
      expect(order).toEqual(['start:good', 'stop:good']);
      expect(app.runtime.closed).toBe(true);
    });

    it('a runtime whose timers service is foreign fails the start (status failed)', async () => {
      const runtime = createAem();
      runtime.load(
        defineService({
          name: 'timers',
          version: '1.0.0',
          calls: { after: defineCall(() => undefined) },
        }),
      );
      const app = createApp({ handlers: { version: '1', handlers: [] }, runtime, logger: silent });
      await expect(app.start()).rejects.toThrow(ServiceNotFoundError);
      expect(app.status).toBe('failed');
      runtime.close();
    });

    it('drains live sessions on stop: in-flight messages are answered before the close', async () => {
      @Handler()
      class Slow {
        @OnMessage()
        async reply({ connection, data }: TcpMessage) {
          for (let i = 0; i < 20; i++) await flush();
          connection.send(`done ${data}\n`);
        }
      }
      const app = createApp({ handlers: { version: '1', handlers: [Slow] }, logger: silent, tcp });
      await app.start();
      const client = await open(app);
      client.send('a');
      client.send('b');
      while (app.liveSessions.length === 0 || app.runtime.stats().queuedActivations === 0)
        await flush();
      await app.stop();
      await client.closed;
      expect(client.lines).toEqual(['done a', 'done b']);
    });

    it('runs @OnTimer handlers on the timers service (virtual clock) and cancels them on stop', async () => {
      const clock = new VirtualClock();
      const ticks: number[] = [];
      @Handler()
      class Heartbeat {
        @OnTimer(100)
        beat({ count }: TimerExpiration) {
          ticks.push(count);
        }
        @OnTimer(250, { once: true })
        once() {
          ticks.push(-1);
        }
      }
      const app = createApp({
        handlers: { version: '1', handlers: [Heartbeat] },
        logger: silent,
        clock,
      });
      await app.start();
      clock.advance(300);
      await flush();
      // Each timer event is its own domain: the periodic one's activations run in order, the
      // one-shot interleaves with them.
      expect(ticks.filter((t) => t > 0)).toEqual([1, 2, 3]);
      expect(ticks.filter((t) => t < 0)).toEqual([-1]);
      await app.stop();
      expect(clock.armedAlarms).toBe(0);
    });
  });

  describe('supervision', () => {
    it('closes a domain that exceeds its restart budget; other sessions keep being served', async () => {
      @Handler()
      class Fragile {
        @OnMessage()
        handle({ data, connection }: TcpMessage) {
          if (data.toString() === 'boom') throw new Error('boom');
          connection.send(`ok ${data}\n`);
        }
      }
      const app = track(
        createApp({
          handlers: { version: '1', handlers: [Fragile] },
          logger: silent,
          tcp,
          restartBudget: { intensity: 2, periodMs: 60_000 },
        }),
      );
      const closed: RestartBudgetExceededError[] = [];
      await app.start();
      app.supervisionEvents.subscribe((error) => closed.push(error));
      const [bad, good] = [await open(app), await open(app)];
      bad.send('boom');
      bad.send('boom'); // two failures: within the budget, the session lives on
      bad.send('1');
      await bad.waitFor(1);
      expect(bad.lines).toEqual(['ok 1']);
      bad.send('boom'); // the third within the period: over budget
      await bad.closed;
      expect(closed).toHaveLength(1);
      expect(closed[0]).toBeInstanceOf(RestartBudgetExceededError);
      expect(closed[0]).toMatchObject({
        code: 'AEM_APP_RESTART_BUDGET',
        failures: 3,
        intensity: 2,
      });
      good.send('2');
      await good.waitFor(1);
      expect(good.lines).toEqual(['ok 2']);
      expect(app.health()).toMatchObject({ handlerErrors: 3, domainsClosed: 1, status: 'running' });
    });
  });

  describe('hot upgrade', () => {
    const versioned = (version: string, stops: string[]) => {
      @Handler()
      class Replier {
        onStop() {
          stops.push(version);
        }
        @OnMessage()
        async reply({ data, connection }: TcpMessage, session: Session<{ n: number }>) {
          await flush(); // the activation stays in flight across event-loop turns
          session.state.n++;
          connection.send(`${version}:${data}:${session.state.n}\n`);
        }
      }
      return Replier;
    };

    it('sends new sessions to the new version while live ones finish on the old; none lost', async () => {
      const stops: string[] = [];
      const app = track(
        createApp({
          handlers: {
            version: 'v1',
            handlers: [versioned('v1', stops)],
            initialState: () => ({ n: 0 }),
          },
          logger: silent,
          tcp,
        }),
      );
      await app.start();
      const old = await open(app);
      for (let i = 0; i < 50; i++) old.send(String(i));
      await old.waitFor(5); // activations are in flight
      const report = await app.upgrade({
        version: 'v2',
        handlers: [versioned('v2', stops)],
        initialState: () => ({ n: 100 }),
      });
      expect(report).toEqual({ from: 'v1', to: 'v2', migrated: 0, draining: 1 });
      const fresh = await open(app);
      fresh.send('x');
      for (let i = 50; i < 60; i++) old.send(String(i)); // after the upgrade, still v1
      await old.waitFor(60);
      await fresh.waitFor(1);
      expect(old.lines).toEqual(Array.from({ length: 60 }, (_, i) => `v1:${i}:${i + 1}`));
      expect(fresh.lines).toEqual(['v2:x:101']);
      expect(app.health().versions).toEqual([
        { version: 'v2', status: 'current', sessions: 1 },
        { version: 'v1', status: 'draining', sessions: 1 },
      ]);
      await old.close();
      while (stops.length === 0) await flush();
      expect(stops).toEqual(['v1']); // retired with its last session
      expect(app.health().versions.map((v) => `${v.version}:${v.status}`)).toEqual([
        'v2:current',
        'v1:retired',
      ]);
    });

    it('moves live sessions across with migrateState, between two of their activations', async () => {
      const app = track(
        createApp({
          handlers: {
            version: 'v1',
            handlers: [versioned('v1', [])],
            initialState: () => ({ n: 0 }),
          },
          logger: silent,
          tcp,
        }),
      );
      await app.start();
      const client = await open(app);
      for (let i = 0; i < 20; i++) client.send(String(i));
      await client.waitFor(3);
      const report = await app.upgrade({
        version: 'v2',
        handlers: [versioned('v2', [])],
        migrateState: (state) => ({ n: (state as { n: number }).n * 1000 }),
      });
      expect(report).toMatchObject({ migrated: 1, draining: 0 });
      // The migration ran in the session's domain, behind the messages already queued there:
      // those finished on v1, and everything after it runs on v2 with the migrated state.
      client.send('last');
      await client.waitFor(21);
      expect(client.lines.slice(0, 20)).toEqual(
        Array.from({ length: 20 }, (_, i) => `v1:${i}:${i + 1}`),
      );
      expect(client.lines[20]).toBe('v2:last:20001');
      expect(app.health().versions.map((v) => `${v.version}:${v.status}:${v.sessions}`)).toEqual([
        'v2:current:1',
        'v1:retired:0',
      ]);
    });

    it('refuses a version whose onStart fails, and keeps serving the old one', async () => {
      @Handler()
      class Broken {
        onStart() {
          throw new Error('bad config');
        }
      }
      const app = track(
        createApp({
          handlers: {
            version: 'v1',
            handlers: [versioned('v1', [])],
            initialState: () => ({ n: 0 }),
          },
          logger: silent,
          tcp,
        }),
      );
      await app.start();
      await expect(app.upgrade({ version: 'v2', handlers: [Broken] })).rejects.toBeInstanceOf(
        UpgradeFailedError,
      );
      await expect(app.upgrade({ version: 'v1', handlers: [] })).rejects.toThrow('already loaded');
      expect(app.version).toBe('v1');
      const client = await open(app);
      client.send('a');
      await client.waitFor(1);
      expect(client.lines).toEqual(['v1:a:1']);
    });
  });

  describe('metrics and health over HTTP', () => {
    it('serves /metrics and /health', async () => {
      @Handler()
      class Echo {
        @OnMessage()
        echo({ data, connection }: TcpMessage) {
          connection.send(`${data}\n`);
        }
      }
      const app = track(
        createApp({
          handlers: defineHandlerModule({ version: '1.2.3', handlers: [Echo] }),
          logger: silent,
          tcp,
          http: { port: 0 },
        }),
      );
      await app.start();
      const client = await open(app);
      client.send('a');
      await client.waitFor(1);
      const base = `http://127.0.0.1:${app.httpAddress?.port}`;
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'running',
        sessions: 1,
        connections: 1,
        versions: [{ version: '1.2.3', status: 'current', sessions: 1 }],
      });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/^aem_activations_total [1-9]/m);
      expect(text).toMatch(/^aem_tcp_connections 1$/m);
      expect(text).toMatch(/^aem_handler_version_sessions\{version="1.2.3",status="current"\} 1$/m);
      expect(text).toMatch(/^aem_pending_timers \d+$/m);
      expect(text).toContain('aem_handler_errors_total');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    });
  });
});
