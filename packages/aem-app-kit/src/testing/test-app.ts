import type { ListenOptions } from '@aem/tcp';
import { VirtualClock } from '@aem/timers/testing';
import type { BindOptions } from '@aem/udp';
import { createApp, type AemApp } from '../application/aem-app';
import type { AppOptions } from '../application/app-options';
import type { HandlerClass } from '../decorators/handler-metadata';
import { AppStateError } from '../errors/app-state.error';
import { TestClient } from './test-client';
import { TestDatagramClient } from './test-datagram-client';

/**
 * Options of {@link startTestApp}: the application's own options, less what the test harness
 * decides (the clock; the TCP and UDP addresses: loopback, a free port).
 *
 * @example
 * ```ts
 * const options: TestAppOptions = { handlers, config, tcp: { framer: delimited({ delimiter: '\n' }) } };
 * ```
 */
export interface TestAppOptions extends Omit<AppOptions, 'clock' | 'tcp' | 'udp'> {
  /** Serve TCP (on 127.0.0.1, a free port) with these options. */
  readonly tcp?: Omit<ListenOptions, 'port' | 'host'>;
  /** Bind one UDP socket (on 127.0.0.1, a free port) with these options. */
  readonly udp?: Omit<BindOptions, 'port' | 'host'>;
}

/**
 * An application started in-process on a virtual clock, with clients to drive it. Made by
 * {@link startTestApp}; {@link TestApp.stop} stops it (graceful stop, clients closed).
 *
 * @example
 * ```ts
 * const testApp = await startTestApp({ handlers, tcp: { framer: delimited({ delimiter: '\n' }) } });
 * const client = await testApp.connect();
 * await testApp.advance(10_000); // the login timeout fires
 * await testApp.stop();
 * ```
 */
export class TestApp {
  private readonly clients: (TestClient | TestDatagramClient)[] = [];

  /**
   * @param app - the running application.
   * @param clock - its timers' clock.
   * @param framer - its framer, for the clients.
   */
  constructor(
    readonly app: AemApp,
    readonly clock: VirtualClock,
    private readonly framer: ListenOptions['framer'],
  ) {}

  /** The application's TCP port. @throws `Error` when it serves no TCP. */
  get port(): number {
    const server = this.app.tcpServer;
    if (server === undefined) throw new Error('the application under test has no tcp option');
    return server.address.port;
  }

  /** The application's UDP port. @throws `Error` when it has no UDP socket. */
  get udpPort(): number {
    const socket = this.app.udpSocket;
    if (socket === undefined) throw new Error('the application under test has no udp option');
    return socket.address.port;
  }

  /**
   * The instance of a handler class that serves new sessions (the current handler version's).
   *
   * @example
   * ```ts
   * expect(testApp.handler(ReportHandler).runs).toBe(2);
   * ```
   * @param cls - a handler class of the application's handler module.
   * @returns its instance.
   * @throws `UnboundTokenError` when the class is not in the current handler module.
   */
  handler<T>(cls: HandlerClass<T>): T {
    const container = this.app._currentContainer;
    if (container === undefined) throw new AppStateError('read a handler', this.app.status);
    return container.get(cls);
  }

  /** Opens a client connection (closed by {@link TestApp.stop}). */
  async connect(): Promise<TestClient> {
    const client = await TestClient.open(this.port, this.framer);
    this.clients.push(client);
    return client;
  }

  /** Opens a UDP client of the application's socket (closed by {@link TestApp.stop}). */
  async datagramClient(): Promise<TestDatagramClient> {
    const client = await TestDatagramClient.open(this.udpPort);
    this.clients.push(client);
    return client;
  }

  /**
   * Moves the virtual clock forward by `ms` — every timer due on the way fires, in order — then
   * lets the activations that queued run (a few event-loop turns).
   */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await settle();
  }

  /**
   * Advances the virtual clock `stepMs` at a time, letting activations and I/O run between
   * steps, until `done()` is true — for a reply that waits on a timer armed only once a
   * message arrived (`await timers.sleep(1)` in a handler).
   *
   * @example
   * ```ts
   * client.send('hello\n');
   * await testApp.advanceUntil(() => client.pending > 0);
   * ```
   * @param done - checked after each step.
   * @param stepMs - virtual ms per step; default 1.
   * @param maxMs - virtual ms to give up after; default 60,000.
   * @returns the virtual ms advanced.
   * @throws (rejects) an `Error` when `done()` is still false after `maxMs`.
   */
  async advanceUntil(done: () => boolean, stepMs = 1, maxMs = 60_000): Promise<number> {
    let advanced = 0;
    await settle();
    while (!done()) {
      if (advanced >= maxMs) throw new Error(`advanceUntil: not done after ${maxMs} virtual ms`);
      await this.advance(stepMs);
      advanced += stepMs;
    }
    return advanced;
  }

  /** Lets queued activations and I/O callbacks run (a few event-loop turns). */
  settle(): Promise<void> {
    return settle();
  }

  /** Closes the clients still open and stops the application gracefully. */
  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    await this.app.stop();
  }
}

/**
 * Starts an application in-process for a test: on a {@link VirtualClock} (timers fire when the
 * test advances it), TCP and UDP on 127.0.0.1 with a free port each, no admin HTTP unless
 * asked, and a silent logger unless one is given.
 *
 * @example
 * ```ts
 * import { startTestApp } from '@aem/app-kit/testing';
 * const testApp = await startTestApp({ handlers: chatHandlers, tcp: { framer: delimited({ delimiter: '\n' }) } });
 * const alice = await testApp.connect();
 * alice.send('login alice\n');
 * expect(await alice.receiveText()).toBe('login?');
 * await testApp.stop();
 * ```
 * @param options - the application's options (see {@link TestAppOptions}).
 * @returns the started application.
 * @throws (rejects) whatever `app.start()` rejects with.
 */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const clock = new VirtualClock();
  const { tcp, udp, ...rest } = options;
  const app = createApp({
    logger: { level: 'silent' },
    ...rest,
    clock,
    ...(tcp === undefined ? {} : { tcp: { ...tcp, host: '127.0.0.1', port: 0 } }),
    ...(udp === undefined ? {} : { udp: { ...udp, host: '127.0.0.1', port: 0 } }),
  });
  await app.start();
  return new TestApp(app, clock, tcp?.framer);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
