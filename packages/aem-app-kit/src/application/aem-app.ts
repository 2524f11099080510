import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAem, type Aem } from '@aem/core';
import { Tcp, type TcpServer } from '@aem/tcp';
import { Timers } from '@aem/timers';
import type { BindOptions, UdpSocket } from '@aem/udp';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { CapsulePool } from '../capsule/capsule-pool';
import { AppContainer } from '../container/app-container';
import {
  CAPSULE,
  CONFIG,
  ERRORS,
  LOGGER,
  RUNTIME,
  TCP,
  TCP_SERVER,
  TIMERS,
  UDP,
  UDP_SOCKET,
} from '../container/tokens';
import { AppStateError } from '../errors/app-state.error';
import { InvalidConfigError } from '../errors/invalid-config.error';
import type { RestartBudgetExceededError } from '../errors/restart-budget-exceeded.error';
import { Lifecycle } from '../lifecycle/lifecycle';
import { createLogger } from '../logging/create-logger';
import { openMailbox, type Mailbox } from '../mailbox/mailbox';
import { addressOf, startAdminServer } from '../metrics/admin-server';
import { AppMetrics } from '../metrics/app-metrics';
import { DatagramHost } from '../session/datagram-host';
import { OutboundClient } from '../session/outbound-client';
import type { Session } from '../session/session';
import { SessionHost } from '../session/session-host';
import type { HandlerModule } from '../upgrade/handler-module';
import {
  HandlerVersions,
  type HandlerVersionsContext,
  type UpgradeReport,
} from '../upgrade/handler-versions';
import type { AppHealth, AppStatus } from './app-health';
import type { AppOptions } from './app-options';
import { loadUdp } from './load-udp';

export type { UpgradeReport } from '../upgrade/handler-versions';

/**
 * What `start()` built: everything a started application has. Its fields exist from the
 * moment it does, so no step reads a half-built application.
 */
interface Running extends HandlerVersionsContext {
  readonly runtime: Aem;
  readonly mailbox: Mailbox;
  readonly metrics: AppMetrics;
  readonly servers: TcpServer[];
  readonly sockets: UdpSocket[];
  readonly clients: OutboundClient[];
  admin: Server | undefined;
}

/**
 * A telecom application built from handler classes: the kit owns the runtime, the timers and
 * TCP services, the container, the logger, the metrics, the lifecycle, supervision and hot
 * upgrade. Create one with {@link createApp} (or {@link runApp} for a process entry point).
 *
 * **Lifecycle.** `start()` runs, in order and awaited: runtime → timers → kit mailbox → admin
 * HTTP → TCP listen → UDP bind → handler classes (constructed in module order, `onStart()`
 * awaited in that order) → `@OnTimer` timers → serving (datagrams held by the sockets until
 * then are handled) → outbound clients. `stop()` runs the reverse: the clients stop
 * reconnecting and close, the UDP sockets close (the datagrams they queued handled and the
 * replies flushed first), stop accepting and let live sessions finish (up to
 * `shutdownDeadlineMs`; their `@OnClose` handlers run) → cancel timers → `onStop()` in reverse
 * class order → admin HTTP → runtime closed.
 *
 * **Datagrams.** Each datagram of the `udp` sockets goes to the `@OnDatagram` handlers of the
 * version current when it is dispatched, in its domain (the socket's, or its key's with
 * `domainKey`). A failing datagram handler is logged and counted; the socket keeps serving.
 *
 * **Sessions and supervision.** Every TCP connection — accepted by one of the `tcp` listeners
 * or opened by one of the `clients` (reconnected with back-off when it closes) — is a
 * {@link Session}: one serialization domain, its own state, its handler version. A handler that throws or rejects is logged and
 * counted; past the restart budget (`intensity` failures within `periodMs`, per domain) the
 * supervisor closes that domain — every other session keeps going.
 *
 * **Hot upgrade.** {@link AemApp.upgrade} (or `SIGHUP` / {@link AemApp.reload} when the handlers
 * came from a file) starts a new handler version beside the running one: new sessions go to
 * it, live sessions finish on the version they started on, or move across at their next
 * activation boundary when the new module has `migrateState`. The message event itself never
 * changes, so no activation is lost.
 *
 * @example
 * ```ts
 * import { Handler, OnMessage, createApp, defineHandlerModule } from '@aem/app-kit';
 * import { delimited, type TcpMessage } from '@aem/tcp';
 *
 * @Handler()
 * class Echo {
 *   @OnMessage()
 *   echo({ data, connection }: TcpMessage) {
 *     connection.send(`${data}\n`);
 *   }
 * }
 * const app = createApp({
 *   handlers: defineHandlerModule({ version: '1.0.0', handlers: [Echo] }),
 *   tcp: { port: 7000, framer: delimited({ delimiter: '\n' }) },
 * });
 * await app.start();
 * ```
 */
export class AemApp {
  /** The application's container (runtime, services, config, logger and handlers bound). */
  readonly container = new AppContainer();
  /** The application's name. */
  readonly name: string;
  private statusNow: AppStatus = 'created';
  private running: Running | undefined;
  private capsule: CapsulePool | undefined;
  private readonly sessions = new SessionHost();
  private readonly versions: HandlerVersions;
  private readonly datagramHost: DatagramHost;
  private lifecycle: Lifecycle | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * @param options - see {@link AppOptions}. Prefer {@link createApp}.
   * @throws {@link InvalidConfigError} when two `clients` share a name, or when both `runtime`
   *   and `backend` are given.
   */
  constructor(private readonly options: AppOptions) {
    this.name = options.name ?? 'aem-app';
    this.versions = new HandlerVersions(options.handlers);
    this.datagramHost = new DatagramHost({
      current: () => this.versions.current(),
      failed: (version, where, error) => this.sessions.failed(version, where, error),
      versionEmptied: (version) => this.versions.retire(version, this.logger),
    });
    if (options.runtime !== undefined && options.backend !== undefined)
      throw new InvalidConfigError(
        'backend',
        'left out when a runtime is given (the runtime has its backend)',
        options.backend,
      );
    const names = new Set<string>();
    for (const [i, client] of (options.clients ?? []).entries()) {
      if (names.has(client.name))
        throw new InvalidConfigError(`clients[${i}].name`, 'unique among the clients', client.name);
      names.add(client.name);
    }
  }

  /** The lifecycle status. */
  get status(): AppStatus {
    return this.statusNow;
  }

  /** The runtime (after `start()`). */
  get runtime(): Aem {
    return this.need('read the runtime').runtime;
  }

  /** The logger (after `start()`). */
  get logger(): Logger {
    return this.need('read the logger').logger;
  }

  /** The metrics and their registry (after `start()`). */
  get metrics(): AppMetrics {
    return this.need('read the metrics').metrics;
  }

  /** The (first) TCP server, when `tcp` is configured and the application started. */
  get tcpServer(): TcpServer | undefined {
    return this.running?.servers[0];
  }

  /** Every TCP server, in the order of the `tcp` option. */
  get tcpServers(): readonly TcpServer[] {
    return this.running?.servers ?? [];
  }

  /** The (first) UDP socket, when `udp` is configured and the application started. */
  get udpSocket(): UdpSocket | undefined {
    return this.running?.sockets[0];
  }

  /** Every UDP socket, in the order of the `udp` option. */
  get udpSockets(): readonly UdpSocket[] {
    return this.running?.sockets ?? [];
  }

  /** The admin HTTP address (`/metrics`, `/health`), when `http` is configured. */
  get httpAddress(): AddressInfo | undefined {
    const admin = this.running?.admin;
    return admin === undefined ? undefined : addressOf(admin);
  }

  /** Domains the supervisor closed, as they are closed. */
  get supervisionEvents(): Observable<RestartBudgetExceededError> {
    return this.sessions.events;
  }

  /** The version serving new sessions. */
  get version(): string | undefined {
    return this.versions.currentName;
  }

  /** @internal The container of the version serving new sessions (read by `@aem/app-kit/testing`). */
  get _currentContainer(): AppContainer | undefined {
    return this.versions.currentContainer;
  }

  /** The live sessions. */
  get liveSessions(): readonly Session[] {
    return this.sessions.live;
  }

  /**
   * Starts the application (see the lifecycle in {@link AemApp}). If a step fails, the steps
   * already started are stopped in reverse and the error is rethrown (status `failed`).
   *
   * @throws {@link AppStateError} unless the status is `created`.
   */
  async start(): Promise<void> {
    if (this.statusNow !== 'created') throw new AppStateError('start', this.statusNow);
    this.statusNow = 'starting';
    let runtime: Aem;
    let running: Running;
    try {
      // Throws BackendUnavailableError when `backend: 'kmod'` cannot be used: nothing started.
      runtime = this.options.runtime ?? createAem({ backend: this.options.backend ?? 'auto' });
    } catch (error) {
      this.statusNow = 'failed';
      throw error;
    }
    try {
      running = this.build(runtime);
    } catch (error) {
      // Loading the timers or the kit's mailbox into the runtime failed (a foreign service
      // under their name): nothing else started.
      this.statusNow = 'failed';
      if (this.options.runtime === undefined) runtime.close();
      throw error;
    }
    const { logger } = running;
    this.lifecycle = new Lifecycle(
      [
        {
          name: 'runtime',
          start: () => this.bindRuntime(running),
          // Closing the runtime shuts down every event left: timers cancelled, sockets closed.
          stop: () => (this.options.runtime === undefined ? running.runtime.close() : undefined),
        },
        { name: 'timers', start: () => this.container.bindValue(TIMERS, running.timers) },
        { name: 'mailbox', start: () => undefined, stop: () => running.mailbox.close() },
        { name: 'http', start: () => this.startHttp(running), stop: () => this.stopHttp(running) },
        // Stopped after the sessions drained (steps stop in reverse): what is still in the pool
        // then belongs to sessions past the deadline, so it is failed at once, never awaited.
        {
          name: 'capsule',
          start: () =>
            this.container.bindFactory(
              CAPSULE,
              () =>
                (this.capsule ??= new CapsulePool({ name: this.name, ...this.options.capsule })),
            ),
          stop: () => this.capsule?.close({ force: true }),
        },
        { name: 'tcp', start: () => this.listen(running) },
        {
          name: 'udp',
          start: () => this.bind(running),
          // Normally closed by the drain already; this closes them when a later step failed.
          stop: () => Promise.all(running.sockets.map((socket) => socket.close())),
        },
        {
          name: 'handlers',
          start: () => {
            this.options.providers?.(this.container);
            return this.versions.start(running);
          },
          stop: () => this.versions.stop(logger),
        },
        {
          name: 'timers:handlers',
          start: () => this.versions.startTimers(running),
          stop: () => this.versions.stopTimers(),
        },
        {
          name: 'serve',
          start: () => {
            this.sessions.serve();
            this.serveDatagrams(running);
          },
          stop: () => this.drain(running),
        },
        {
          name: 'clients',
          start: () => this.connectClients(running),
          stop: () => Promise.all(running.clients.map((client) => client.stop())),
        },
      ],
      (step, error) => logger.error({ err: error, step }, 'stop step failed'),
    );
    try {
      await this.lifecycle.start();
    } catch (error) {
      this.statusNow = 'failed';
      this.sessions.serve(); // releases handlers parked on `serving`; the runtime is closed
      const step = this.lifecycle.failedStep;
      logger.error({ err: error, step }, `start failed at step ${step}`);
      throw error;
    }
    this.statusNow = 'running';
    logger.info(
      {
        version: this.version,
        tcpPort: this.tcpServer?.address.port,
        udpPort: this.udpSocket?.address.port,
        http: this.httpAddress?.port,
      },
      'application started',
    );
  }

  /**
   * Stops gracefully (see the lifecycle in {@link AemApp}): stop accepting, let live sessions
   * finish up to `shutdownDeadlineMs`, cancel timers, `onStop()` hooks in reverse order, close
   * the runtime. Idempotent; resolves when everything stopped.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.statusNow === 'created') {
        this.statusNow = 'stopped';
        return;
      }
      this.statusNow = 'stopping';
      this.running?.logger.info({ sessions: this.sessions.size }, 'stopping');
      await this.lifecycle?.stop();
      this.statusNow = 'stopped';
      this.running?.logger.info('application stopped');
      this.sessions.complete();
    })();
    return this.stopping;
  }

  /** A health snapshot (also served at `GET /health`). */
  health(): AppHealth {
    const port = this.tcpServer?.address.port;
    const udpPort = this.udpSocket?.address.port;
    return {
      name: this.name,
      status: this.statusNow,
      versions: this.versions.health,
      sessions: this.sessions.size,
      connections: this.connections(),
      handlerErrors: this.sessions.handlerErrors,
      domainsClosed: this.sessions.domainsClosed,
      ...(port === undefined ? {} : { tcpPort: port }),
      ...(udpPort === undefined ? {} : { udpPort }),
      ...(this.options.clients === undefined
        ? {}
        : { clients: this.running?.clients.map((client) => client.health) ?? [] }),
      ...(this.capsule === undefined ? {} : { capsule: this.capsule.stats() }),
    };
  }

  /**
   * Hot upgrade: starts `module` beside the running version (its classes constructed in a new
   * child container, `onStart()` awaited), makes it current for new sessions, moves the
   * `@OnTimer` timers to it, and — when it has `migrateState` — moves every live session to it
   * at that session's next activation boundary (awaited). Older versions finish their live
   * sessions and retire (their `onStop()` runs) when the last one closes. Upgrades run one at
   * a time.
   *
   * @param module - the new handler module; default: the `handlers` file loaded again.
   * @returns what moved.
   * @throws (rejects) {@link UpgradeFailedError} when the module is invalid, its version is
   *   already loaded or its `onStart()` fails — the running version is untouched;
   *   {@link AppStateError} unless running.
   */
  async upgrade(module?: HandlerModule): Promise<UpgradeReport> {
    const running = this.running;
    if (this.statusNow !== 'running' || running === undefined)
      throw new AppStateError('upgrade', this.statusNow);
    return this.versions.upgrade(module, running);
  }

  /**
   * Reloads the handler file from disk and upgrades to it (what `SIGHUP` does). Needs the
   * `handlers` option to be a path.
   *
   * @throws (rejects) as {@link AemApp.upgrade}.
   */
  reload(): Promise<UpgradeReport> {
    return this.upgrade(undefined);
  }

  /**
   * Installs process signal handlers: `SIGTERM` and `SIGINT` stop gracefully then exit with
   * code 0 (1 if the stop failed; a second signal exits at once with 1); `SIGHUP` reloads the
   * handler file (a failed reload is logged, the running version keeps serving).
   *
   * @param exit - how to exit; default `process.exit`.
   * @returns a function removing the handlers.
   */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let signalled = false;
    // pino may buffer: the last lines ("application stopped") must reach the output first.
    const flushThenExit = (code: number): void => {
      const logger = this.running?.logger;
      if (logger === undefined) return exit(code);
      logger.flush(() => exit(code));
    };
    const onStop = (signal: NodeJS.Signals): void => {
      if (signalled) return exit(1);
      signalled = true;
      this.running?.logger.info({ signal }, 'signal: graceful stop');
      this.stop().then(
        () => flushThenExit(0),
        (error: unknown) => {
          this.running?.logger.error({ err: error }, 'stop failed');
          flushThenExit(1);
        },
      );
    };
    const onHup = (): void => {
      this.running?.logger.info('SIGHUP: reloading handlers');
      this.reload().catch(() => undefined); // logged by upgrade
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
    return () => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
    };
  }

  /* Lifecycle steps */

  /** The running record: runtime, logger, timers, mailbox and metrics, made before any step. */
  private build(runtime: Aem): Running {
    const { options } = this;
    const logger = createLogger(options.logger, this.name);
    const now = (): number => (options.clock ?? runtime.backend).now();
    const running: Running = {
      runtime,
      logger,
      container: this.container,
      timers: Timers.load(runtime, { clock: options.clock }),
      mailbox: openMailbox(runtime, (e) => this.sessions.failed(undefined, 'kit job', e)),
      metrics: new AppMetrics({
        stats: () => runtime.stats(),
        pendingTimers: () =>
          runtime
            .services()
            .filter((info) => info.name === 'timers')
            .reduce((sum, info) => sum + info.liveEvents, 0),
        connections: () => this.connections(),
        versions: () => this.versions.health,
        busyDomains: () =>
          this.sessions.live
            .filter((session) => session.domain.queued > 0)
            .sort((a, b) => b.domain.queued - a.domain.queued)
            .slice(0, 20)
            .map((session) => ({ domain: session.domain.name, queued: session.domain.queued })),
        capsulePools: () => (this.capsule === undefined ? [] : [this.capsule.stats()]),
      }),
      sessions: this.sessions,
      restartBudget: options.restartBudget,
      now,
      servers: [],
      sockets: [],
      clients: [],
      admin: undefined,
    };
    this.running = running;
    this.sessions.attach({
      ...running,
      current: () => this.versions.current(),
      versionEmptied: (version) => this.versions.retire(version, logger),
    });
    return running;
  }

  private bindRuntime({ runtime, logger }: Running): void {
    runtime.errors.subscribe((error) =>
      logger.error({ err: error, code: error.code }, 'runtime error'),
    );
    const c = this.container;
    c.bindValue(RUNTIME, runtime);
    c.bindValue(LOGGER, logger);
    c.bindValue(CONFIG, this.options.config ?? {});
    c.bindValue(ERRORS, runtime.errors);
    c.bindFactory(TCP, () => Tcp.from(runtime));
  }

  private async startHttp(running: Running): Promise<void> {
    if (this.options.http === undefined) return;
    running.admin = await startAdminServer(
      this.options.http,
      running.metrics.registry,
      () => this.health(),
      this.options.name ?? 'aem-app',
    );
  }

  private async stopHttp({ admin }: Running): Promise<void> {
    if (admin === undefined) return;
    admin.closeAllConnections();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
  }

  private async listen(running: Running): Promise<void> {
    const { tcp } = this.options;
    const listeners = tcp === undefined ? [] : Array.isArray(tcp) ? tcp : [tcp];
    for (const options of listeners) {
      const server = await Tcp.from(running.runtime).listen(options);
      running.servers.push(server);
      // Registered at once so no connection is accepted unseen; they wait for `serving`.
      server.onConnection((connection) => this.sessions.connected(connection));
      // A listener without a framer has no messages (@aem/tcp refuses onMessage there).
      if (options.framer !== undefined)
        server.onMessage((message) => this.sessions.message(message));
    }
    if (running.servers.length > 0) this.container.bindValue(TCP_SERVER, running.servers[0]);
  }

  /** Binds the `udp` sockets (their datagrams wait in the sockets until `serveDatagrams`). */
  private async bind(running: Running): Promise<void> {
    const { udp } = this.options;
    if (udp === undefined) return;
    const list: readonly BindOptions[] = Array.isArray(udp) ? udp : [udp as BindOptions];
    const client = loadUdp().Udp.from(running.runtime);
    this.container.bindValue(UDP, client);
    for (const options of list) running.sockets.push(await client.bind(options));
    if (running.sockets.length > 0) this.container.bindValue(UDP_SOCKET, running.sockets[0]);
  }

  /** Hands each socket's datagrams (those held since the bind first) to the handlers. */
  private serveDatagrams(running: Running): void {
    if (running.sockets.length > 0 && this.versions.current().handlers.datagram.length === 0) {
      // Not an error (a handler may read UDP_SOCKET's datagrams() itself), but never silent.
      running.logger.warn(
        { udpPort: running.sockets[0].address.port },
        'udp sockets bound but the handler module has no @OnDatagram handler',
      );
    }
    const host = this.datagramHost;
    for (const socket of running.sockets) socket.onDatagram((datagram) => host.datagram(datagram));
  }

  private connectClients(running: Running): void {
    const tcp = Tcp.from(running.runtime);
    for (const options of this.options.clients ?? []) {
      const client = new OutboundClient(
        options,
        tcp,
        running.timers,
        (connection) => {
          if (options.framer !== undefined)
            connection.onMessage((message) => this.sessions.message(message));
          void this.sessions.connected(connection, options.name);
        },
        running.logger,
      );
      running.clients.push(client);
      client.start();
    }
  }

  /**
   * Stop accepting and receiving; let live sessions finish (their close handlers run); bounded.
   * A UDP socket closes once the datagrams it queued were handled and its replies flushed, or
   * at the deadline (the runtime's close then tears it down).
   */
  private async drain({ servers, sockets, timers }: Running): Promise<void> {
    const deadlineMs = this.options.shutdownDeadlineMs ?? 5_000;
    const closeSockets = async (): Promise<void> => {
      if (sockets.length === 0) return;
      await Promise.race([
        Promise.all(sockets.map((socket) => socket.close())),
        timers.sleep(deadlineMs, { keepAlive: false }),
      ]);
    };
    await Promise.all([closeSockets(), ...servers.map((server) => server.close({ deadlineMs }))]);
    // Connections are closed; their @OnClose jobs are queued in their domains.
    await this.sessions.drained(() => timers.sleep(deadlineMs, { keepAlive: false }));
  }

  private connections(): number {
    return this.tcpServers.reduce((sum, server) => sum + server.stats().connections, 0);
  }

  private need(operation: string): Running {
    if (this.running === undefined) throw new AppStateError(operation, this.statusNow);
    return this.running;
  }
}

/**
 * Creates an application (not started). See {@link AemApp}.
 *
 * @example
 * ```ts
 * const app = createApp({ name: 'echo', handlers, tcp: { port: 7000, framer: delimited() } });
 * await app.start();
 * ```
 * @param options - see {@link AppOptions}.
 */
export function createApp(options: AppOptions): AemApp {
  return new AemApp(options);
}

/**
 * The entry point of an application process: creates and starts the application and installs
 * the signal handlers (`SIGTERM`/`SIGINT` graceful stop then exit 0, `SIGHUP` reload).
 *
 * @example
 * ```ts
 * // main.ts, CommonJS: require.resolve, and no top-level await
 * runApp({ name: 'echo', handlers: require.resolve('./handlers'), tcp: { port: 7000 } }).catch(
 *   (error: unknown) => {
 *     console.error(`echo did not start: ${error instanceof Error ? error.message : error}`);
 *     process.exitCode = 1;
 *   },
 * );
 * ```
 * @param options - see {@link AppOptions}.
 * @returns the running application.
 */
export async function runApp(options: AppOptions): Promise<AemApp> {
  const app = createApp(options);
  app.handleSignals();
  try {
    await app.start();
  } catch (error) {
    process.exitCode = 1;
    throw error;
  }
  return app;
}
