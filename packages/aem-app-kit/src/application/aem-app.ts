import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAem, type Aem } from '@aem/core';
import {
  Tcp,
  type TcpCloseInfo,
  type TcpConnection,
  type TcpMessage,
  type TcpServer,
} from '@aem/tcp';
import { Timers, type TimerExpiration } from '@aem/timers';
import type { Logger } from 'pino';
import { Subject, type Observable } from 'rxjs';
import { AppContainer } from '../container/app-container';
import { CONFIG, ERRORS, LOGGER, RUNTIME, TCP, TCP_SERVER, TIMERS } from '../container/tokens';
import { AppStateError } from '../errors/app-state.error';
import { RestartBudgetExceededError } from '../errors/restart-budget-exceeded.error';
import { UpgradeFailedError } from '../errors/upgrade-failed.error';
import { Lifecycle } from '../lifecycle/lifecycle';
import { createLogger } from '../logging/create-logger';
import { openMailbox, type Mailbox } from '../mailbox/mailbox';
import { addressOf, startAdminServer } from '../metrics/admin-server';
import { AppMetrics } from '../metrics/app-metrics';
import { Session } from '../session/session';
import { RestartBudget } from '../supervision/restart-budget';
import {
  defineHandlerModule,
  loadHandlerModule,
  type HandlerModule,
} from '../upgrade/handler-module';
import { HandlerVersion, type BoundHandler } from '../upgrade/handler-version';
import type { AppHealth, AppStatus } from './app-health';
import type { AppOptions } from './app-options';

/**
 * What {@link AemApp.upgrade} reports.
 *
 * @example
 * ```ts
 * const { from, to, migrated, draining } = await app.upgrade(next);
 * ```
 */
export interface UpgradeReport {
  /** The version that was current. */
  readonly from: string;
  /** The new current version. */
  readonly to: string;
  /** Live sessions moved to the new version by its `migrateState`. */
  readonly migrated: number;
  /** Sessions left to finish on older versions. */
  readonly draining: number;
}

/**
 * A telecom application built from handler classes: the kit owns the runtime, the timers and
 * TCP services, the container, the logger, the metrics, the lifecycle, supervision and hot
 * upgrade. Create one with {@link createApp} (or {@link runApp} for a process entry point).
 *
 * **Lifecycle.** `start()` runs, in order and awaited: runtime → timers → kit mailbox → admin
 * HTTP → TCP listen → handler classes (constructed in module order, `onStart()` awaited in
 * that order) → `@OnTimer` timers → serving. `stop()` runs the reverse: stop accepting and let
 * live sessions finish (up to `shutdownDeadlineMs`; their `@OnClose` handlers run) → cancel
 * timers → `onStop()` in reverse class order → admin HTTP → runtime closed.
 *
 * **Sessions and supervision.** Every TCP connection is a {@link Session}: one serialization
 * domain, its own state, its handler version. A handler that throws or rejects is logged and
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
  private runtimeRef: Aem | undefined;
  private loggerRef: Logger | undefined;
  private timersRef: Timers | undefined;
  private mailbox: Mailbox | undefined;
  private server: TcpServer | undefined;
  private admin: Server | undefined;
  private metricsRef: AppMetrics | undefined;
  private current: HandlerVersion | undefined;
  private readonly versions: HandlerVersion[] = [];
  private readonly sessions = new Map<TcpConnection, Session>();
  private readonly supervision = new Subject<RestartBudgetExceededError>();
  private lifecycle: Lifecycle | undefined;
  private nextSessionId = 1;
  private handlerErrors = 0;
  private domainsClosed = 0;
  private upgrading: Promise<unknown> = Promise.resolve();
  private serving!: Promise<void>;
  /** True once `serving` resolved: handlers then run without waiting for it. */
  private isServing = false;
  private startServing!: () => void;
  private stopping: Promise<void> | undefined;
  private sessionsGone: (() => void) | undefined;

  /** @param options - see {@link AppOptions}. Prefer {@link createApp}. */
  constructor(private readonly options: AppOptions) {
    this.name = options.name ?? 'aem-app';
  }

  /** The lifecycle status. */
  get status(): AppStatus {
    return this.statusNow;
  }

  /** The runtime (after `start()`). */
  get runtime(): Aem {
    return this.need(this.runtimeRef, 'read the runtime');
  }

  /** The logger (after `start()`). */
  get logger(): Logger {
    return this.need(this.loggerRef, 'read the logger');
  }

  /** The metrics and their registry (after `start()`). */
  get metrics(): AppMetrics {
    return this.need(this.metricsRef, 'read the metrics');
  }

  /** The TCP server, when `tcp` is configured and the application started. */
  get tcpServer(): TcpServer | undefined {
    return this.server;
  }

  /** The admin HTTP address (`/metrics`, `/health`), when `http` is configured. */
  get httpAddress(): AddressInfo | undefined {
    return this.admin === undefined ? undefined : addressOf(this.admin);
  }

  /** Domains the supervisor closed, as they are closed. */
  get supervisionEvents(): Observable<RestartBudgetExceededError> {
    return this.supervision.asObservable();
  }

  /** The version serving new sessions. */
  get version(): string | undefined {
    return this.current?.version;
  }

  /** The live sessions. */
  get liveSessions(): readonly Session[] {
    return [...this.sessions.values()];
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
    this.serving = new Promise((resolve) => {
      this.startServing = () => {
        this.isServing = true;
        resolve();
      };
    });
    const logger = createLogger(this.options.logger, this.name);
    this.loggerRef = logger;
    this.lifecycle = new Lifecycle(
      [
        { name: 'runtime', start: () => this.startRuntime(), stop: () => this.stopRuntime() },
        { name: 'timers', start: () => this.startTimers() },
        {
          name: 'mailbox',
          start: () =>
            void (this.mailbox = openMailbox(this.runtime, (e) =>
              this.failed(undefined, 'kit job', e),
            )),
          stop: () => this.mailbox?.close(),
        },
        { name: 'http', start: () => this.startHttp(), stop: () => this.stopHttp() },
        { name: 'tcp', start: () => this.listen() },
        { name: 'handlers', start: () => this.startHandlers(), stop: () => this.stopHandlers() },
        {
          name: 'timers:handlers',
          start: () => this.startAppTimers(this.current as HandlerVersion),
          stop: () => this.stopAppTimers(),
        },
        { name: 'serve', start: () => this.startServing(), stop: () => this.drain() },
      ],
      (step, error) => logger.error({ err: error, step }, 'stop step failed'),
    );
    try {
      await this.lifecycle.start();
    } catch (error) {
      this.statusNow = 'failed';
      this.startServing(); // releases handlers parked on `serving`; the runtime is closed
      logger.error({ err: error }, 'start failed');
      throw error;
    }
    this.statusNow = 'running';
    logger.info(
      { version: this.version, tcpPort: this.server?.address.port, http: this.httpAddress?.port },
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
      this.loggerRef?.info({ sessions: this.sessions.size }, 'stopping');
      await this.lifecycle?.stop();
      this.statusNow = 'stopped';
      this.loggerRef?.info('application stopped');
      this.supervision.complete();
    })();
    return this.stopping;
  }

  /** A health snapshot (also served at `GET /health`). */
  health(): AppHealth {
    return {
      name: this.name,
      status: this.statusNow,
      versions: [...this.versions]
        .reverse()
        .map(({ version, status, sessions }) => ({ version, status, sessions })),
      sessions: this.sessions.size,
      connections: this.server?.stats().connections ?? 0,
      handlerErrors: this.handlerErrors,
      domainsClosed: this.domainsClosed,
      ...(this.server ? { tcpPort: this.server.address.port } : {}),
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
  upgrade(module?: HandlerModule): Promise<UpgradeReport> {
    const run = this.upgrading.then(() => this.doUpgrade(module));
    this.upgrading = run.catch(() => undefined);
    return run;
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
      const logger = this.loggerRef;
      if (logger === undefined) return exit(code);
      logger.flush(() => exit(code));
    };
    const onStop = (signal: NodeJS.Signals): void => {
      if (signalled) return exit(1);
      signalled = true;
      this.loggerRef?.info({ signal }, 'signal: graceful stop');
      this.stop().then(
        () => flushThenExit(0),
        (error: unknown) => {
          this.loggerRef?.error({ err: error }, 'stop failed');
          flushThenExit(1);
        },
      );
    };
    const onHup = (): void => {
      this.loggerRef?.info('SIGHUP: reloading handlers');
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

  private startRuntime(): void {
    const runtime = this.options.runtime ?? createAem();
    this.runtimeRef = runtime;
    runtime.errors.subscribe((error) =>
      this.loggerRef?.error({ err: error, code: error.code }, 'runtime error'),
    );
    const c = this.container;
    c.bindValue(RUNTIME, runtime);
    c.bindValue(LOGGER, this.logger);
    c.bindValue(CONFIG, this.options.config ?? {});
    c.bindValue(ERRORS, runtime.errors);
    this.metricsRef = new AppMetrics({
      stats: () => runtime.stats(),
      pendingTimers: () =>
        runtime
          .services()
          .filter((info) => info.name === 'timers')
          .reduce((sum, info) => sum + info.liveEvents, 0),
      connections: () => this.server?.stats().connections ?? 0,
      versions: () => this.health().versions,
      busyDomains: () =>
        [...this.sessions.values()]
          .filter((session) => session.domain.queued > 0)
          .sort((a, b) => b.domain.queued - a.domain.queued)
          .slice(0, 20)
          .map((session) => ({ domain: session.domain.name, queued: session.domain.queued })),
    });
  }

  private stopRuntime(): void {
    // Closing the runtime shuts down every event left: timers are cancelled, sockets closed.
    if (this.options.runtime === undefined) this.runtimeRef?.close();
  }

  private startTimers(): void {
    const timers = Timers.load(this.runtime, { clock: this.options.clock });
    this.timersRef = timers;
    this.container.bindValue(TIMERS, timers);
    this.container.bindFactory(TCP, () => Tcp.from(this.runtime));
  }

  private async startHttp(): Promise<void> {
    if (this.options.http === undefined) return;
    this.admin = await startAdminServer(this.options.http, this.metrics.registry, () =>
      this.health(),
    );
  }

  private async stopHttp(): Promise<void> {
    const admin = this.admin;
    if (admin === undefined) return;
    admin.closeAllConnections();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    if (this.options.tcp === undefined) return;
    const server = await Tcp.from(this.runtime).listen(this.options.tcp);
    this.server = server;
    this.container.bindValue(TCP_SERVER, server);
    // Registered at once so no connection is accepted unseen; they wait for `serving`.
    server.onConnection((connection) => this.connected(connection));
    // The message path is the hot one: once serving, a synchronous handler runs without a
    // promise, so the connection's domain goes straight on to its next message. A server
    // without a framer has no messages (@aem/tcp refuses onMessage there).
    if (this.options.tcp.framer === undefined) return;
    server.onMessage((message) =>
      this.isServing ? this.message(message) : this.messageLater(message),
    );
  }

  private async startHandlers(): Promise<void> {
    this.options.providers?.(this.container);
    const module =
      typeof this.options.handlers === 'string'
        ? loadHandlerModule(this.options.handlers)
        : defineHandlerModule(this.options.handlers);
    const version = new HandlerVersion(module, this.container.createChild());
    this.versions.push(version);
    try {
      await version.start();
    } catch (error) {
      // The hooks that did start are stopped: this step's own stop never runs.
      await version.stop((e) => this.logger.error({ err: e }, 'onStop failed'));
      throw error;
    }
    version.status = 'current';
    this.current = version;
  }

  private async stopHandlers(): Promise<void> {
    for (const version of [...this.versions].reverse())
      if (version.status !== 'retired')
        await version.stop((error) => this.logger.error({ err: error }, 'onStop failed'));
  }

  private startAppTimers(version: HandlerVersion): void {
    const timers = this.timersRef as Timers;
    for (const handler of version.handlers.timer) {
      const budget = new RestartBudget(this.options.restartBudget);
      const run = async (expiration: TimerExpiration): Promise<void> => {
        try {
          await handler.call(expiration);
        } catch (error) {
          this.failed(version, handler.name, error);
          if (budget.fail(this.now())) {
            this.logger.error(
              { handler: handler.name },
              'timer handler over its restart budget: stopped',
            );
            event.shutdown();
          }
        }
      };
      const event = handler.once
        ? timers.after(handler.ms as number, run)
        : timers.every(handler.ms as number, run);
      version.timers.push({ event, budget });
    }
  }

  private stopAppTimers(): void {
    for (const version of this.versions) {
      for (const { event } of version.timers) event.shutdown();
      version.timers = [];
    }
  }

  /** Stop accepting; let live sessions finish (their close handlers run); bounded. */
  private async drain(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const deadlineMs = this.options.shutdownDeadlineMs ?? 5_000;
    await server.close({ deadlineMs });
    if (this.sessions.size > 0) {
      // Connections are closed; their @OnClose jobs are queued in their domains.
      await Promise.race([
        new Promise<void>((resolve) => (this.sessionsGone = resolve)),
        (this.timersRef as Timers).sleep(deadlineMs, { keepAlive: false }),
      ]);
    }
  }

  /* Sessions */

  private async connected(connection: TcpConnection): Promise<void> {
    await this.serving;
    const version = this.current as HandlerVersion;
    const state = version.module.initialState?.() ?? {};
    const session = new Session(
      this.nextSessionId++,
      connection.domain,
      connection,
      state,
      version,
      new RestartBudget(this.options.restartBudget),
    );
    version.sessions++;
    this.sessions.set(connection, session);
    void connection.closed.then((info) =>
      this.mailbox?.post(() => this.sessionClosed(session, info), connection.domain),
    );
    await this.runAll(version, 'connection', session, session);
  }

  private async sessionClosed(session: Session, info: TcpCloseInfo): Promise<void> {
    if (session._ended) return;
    session._ended = true;
    const version = session._version as HandlerVersion;
    try {
      await this.runAll(version, 'close', session, session, info);
    } finally {
      this.sessions.delete(session.connection as TcpConnection);
      version.sessions--;
      if (version.status === 'draining' && version.sessions === 0) await this.retire(version);
      if (this.sessions.size === 0) this.sessionsGone?.();
    }
  }

  private message(message: TcpMessage): void | Promise<void> {
    const session = this.sessions.get(message.connection);
    if (session === undefined || session.closeError !== undefined) return;
    return this.runAll(session._version as HandlerVersion, 'message', session, message, session);
  }

  private async messageLater(message: TcpMessage): Promise<void> {
    await this.serving;
    await this.message(message);
  }

  /**
   * Runs the handlers of one kind in order; a failure stops the rest for this activation.
   * Synchronous while the handlers are: the first one that returns a promise hands the rest to
   * {@link AemApp.runRest}, so the result is a promise only when some handler was async.
   */
  private runAll(
    version: HandlerVersion,
    kind: 'connection' | 'message' | 'close',
    session: Session,
    ...args: unknown[]
  ): void | Promise<void> {
    const handlers = version.handlers[kind];
    for (let i = 0; i < handlers.length; i++) {
      if (session.closeError !== undefined && kind !== 'close') return;
      let result: unknown;
      try {
        result = handlers[i].call(...args);
      } catch (error) {
        this.supervise(session, version, handlers[i], error);
        return;
      }
      if (isPromiseLike(result)) return this.runRest(result, i, version, kind, session, args);
    }
  }

  private async runRest(
    pending: PromiseLike<unknown>,
    index: number,
    version: HandlerVersion,
    kind: 'connection' | 'message' | 'close',
    session: Session,
    args: unknown[],
  ): Promise<void> {
    const handlers = version.handlers[kind];
    for (let i = index; i < handlers.length; i++) {
      if (i > index && session.closeError !== undefined && kind !== 'close') return;
      try {
        await (i === index ? pending : handlers[i].call(...args));
      } catch (error) {
        this.supervise(session, version, handlers[i], error);
        return;
      }
    }
  }

  private supervise(
    session: Session,
    version: HandlerVersion,
    handler: BoundHandler,
    error: unknown,
  ): void {
    this.failed(version, handler.name, error, session);
    const budget = session._budget;
    if (!budget.fail(this.now()) || session.closeError !== undefined) return;
    const exceeded = new RestartBudgetExceededError(
      session.domain.name,
      budget.recent,
      budget.intensity,
      budget.periodMs,
      error,
    );
    session.closeError = exceeded;
    this.domainsClosed++;
    this.metricsRef?.domainsClosed.inc();
    this.logger.warn(
      { session: session.id, domain: session.domain.name, err: exceeded },
      'domain closed by the supervisor',
    );
    session.connection?.destroy();
    this.supervision.next(exceeded);
  }

  private failed(
    version: HandlerVersion | undefined,
    where: string,
    error: unknown,
    session?: Session,
  ): void {
    this.handlerErrors++;
    this.metricsRef?.handlerErrors.inc({ version: version?.version ?? 'kit' });
    this.loggerRef?.error(
      { err: error, handler: where, version: version?.version, session: session?.id },
      'handler failed',
    );
  }

  /* Hot upgrade */

  private async doUpgrade(given: HandlerModule | undefined): Promise<UpgradeReport> {
    if (this.statusNow !== 'running') throw new AppStateError('upgrade', this.statusNow);
    const old = this.current as HandlerVersion;
    let version: HandlerVersion;
    let to = given?.version ?? 'unknown';
    try {
      let module: HandlerModule;
      if (given !== undefined) module = defineHandlerModule(given);
      else if (typeof this.options.handlers === 'string')
        module = loadHandlerModule(this.options.handlers);
      else throw new Error('no module given and the handlers option is not a file path');
      to = module.version;
      if (this.versions.some((v) => v.version === module.version && v.status !== 'retired'))
        throw new Error(`version ${module.version} is already loaded`);
      const candidate = new HandlerVersion(module, this.container.createChild());
      version = candidate;
      await candidate.start().catch(async (error: unknown) => {
        await candidate.stop(() => undefined);
        throw error;
      });
    } catch (error) {
      const failure = new UpgradeFailedError(old.version, to, error);
      this.logger.error({ err: failure, from: old.version, to }, 'upgrade refused');
      throw failure;
    }
    this.versions.push(version);
    version.status = 'current';
    this.current = version;
    this.startAppTimers(version);
    for (const { event } of old.timers) event.shutdown();
    old.timers = [];
    let migrated = 0;
    const migrate = version.module.migrateState;
    if (migrate !== undefined) {
      const moves: Promise<void>[] = [];
      for (const session of this.sessions.values()) {
        if (session._version === version || session._ended) continue;
        moves.push(
          new Promise<void>((resolve) => {
            const posted = this.mailbox?.post(() => {
              try {
                const from = session._version as HandlerVersion;
                if (session._ended || from === version) return;
                session.state = migrate(session.state, from.version);
                from.sessions--;
                version.sessions++;
                session._version = version;
                migrated++;
              } finally {
                resolve();
              }
            }, session.domain);
            if (!posted) resolve();
          }),
        );
      }
      await Promise.all(moves);
    }
    for (const v of this.versions) {
      if (v === version || v.status === 'retired') continue;
      v.status = 'draining';
      if (v.sessions === 0) await this.retire(v);
    }
    const draining = this.versions
      .filter((v) => v.status === 'draining')
      .reduce((sum, v) => sum + v.sessions, 0);
    this.logger.info(
      { from: old.version, to: version.version, migrated, draining },
      'hot upgrade done',
    );
    return { from: old.version, to: version.version, migrated, draining };
  }

  private async retire(version: HandlerVersion): Promise<void> {
    await version.stop((error) => this.logger.error({ err: error }, 'onStop failed'));
    this.logger.info({ version: version.version }, 'handler version retired');
  }

  private now(): number {
    return (this.options.clock ?? this.runtime.backend).now();
  }

  private need<T>(value: T | undefined, operation: string): T {
    if (value === undefined) throw new AppStateError(operation, this.statusNow);
    return value;
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
 * // main.ts
 * runApp({ name: 'echo', handlers: require.resolve('./handlers'), tcp: { port: 7000 } })
 *   .catch(() => process.exit(1));
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

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
