import type { TcpCloseInfo, TcpConnection, TcpMessage } from '@aem/tcp';
import type { Logger } from 'pino';
import { Subject, type Observable } from 'rxjs';
import { RestartBudgetExceededError } from '../errors/restart-budget-exceeded.error';
import type { Mailbox } from '../mailbox/mailbox';
import type { AppMetrics } from '../metrics/app-metrics';
import { RestartBudget, type RestartBudgetOptions } from '../supervision/restart-budget';
import type { BoundHandler, HandlerVersion } from '../upgrade/handler-version';
import { isPromiseLike } from './is-promise-like';
import { Session } from './session';

/** @internal What the {@link SessionHost} needs from the running application. */
export interface SessionHostContext {
  readonly logger: Logger;
  readonly mailbox: Mailbox;
  readonly metrics: AppMetrics;
  readonly restartBudget: RestartBudgetOptions | undefined;
  /** The clock restart budgets count on (the timers' clock). */
  now(): number;
  /** The version serving new sessions. */
  current(): HandlerVersion;
  /** Called once a draining version's last session closed. */
  versionEmptied(version: HandlerVersion): Promise<void>;
}

/**
 * @internal The application's sessions and their supervision: a session per connection
 * (accepted or opened by a client), its handlers run in its domain, each failure charged to its
 * restart budget, the domain closed past it. Handlers wait for {@link SessionHost.serve} (a
 * connection accepted during start-up is served once the application runs).
 */
export class SessionHost {
  /** Handler failures, all sessions and timers together. */
  handlerErrors = 0;
  /** Domains closed by the supervisor. */
  domainsClosed = 0;
  private readonly sessions = new Map<TcpConnection, Session>();
  private readonly supervision = new Subject<RestartBudgetExceededError>();
  private nextSessionId = 1;
  private serving: Promise<void>;
  /** True once `serving` resolved: handlers then run without waiting for it. */
  private isServing = false;
  private startServing!: () => void;
  private sessionsGone: (() => void) | undefined;
  private context: SessionHostContext | undefined;

  constructor() {
    this.serving = new Promise((resolve) => {
      this.startServing = () => {
        this.isServing = true;
        resolve();
      };
    });
  }

  /** Domains the supervisor closed, as they are closed. */
  get events(): Observable<RestartBudgetExceededError> {
    return this.supervision.asObservable();
  }

  /** The live sessions. */
  get live(): readonly Session[] {
    return [...this.sessions.values()];
  }

  /** Number of live sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Gives the host what it needs to run handlers (once the application built it). */
  attach(context: SessionHostContext): void {
    this.context = context;
  }

  /** Lets the sessions be served (parked connections and messages go on). */
  serve(): void {
    this.startServing();
  }

  /** Completes {@link SessionHost.events}. */
  complete(): void {
    this.supervision.complete();
  }

  /** Resolves when no session is left, or once the promise `deadline()` makes resolves. */
  async drained(deadline: () => Promise<void>): Promise<void> {
    if (this.sessions.size === 0) return;
    await Promise.race([new Promise<void>((resolve) => (this.sessionsGone = resolve)), deadline()]);
  }

  /** A connection was accepted (or a client connected): make it a session, run `@OnConnection`. */
  async connected(connection: TcpConnection, client?: string): Promise<void> {
    await this.serving;
    const context = this.context;
    if (context === undefined) return; // the start failed: the runtime closes the connection
    const version = context.current();
    const session = new Session(
      this.nextSessionId++,
      connection.domain,
      connection,
      version.module.initialState?.() ?? {},
      version,
      new RestartBudget(context.restartBudget),
      client,
    );
    version.sessions++;
    this.sessions.set(connection, session);
    void connection.closed.then((info) =>
      context.mailbox.post(() => this.closed(connection, session, info), connection.domain),
    );
    await this.runAll(version, 'connection', session, session);
  }

  /** The message path (the hot one): synchronous while the handlers are. */
  message(message: TcpMessage): void | Promise<void> {
    if (!this.isServing) return this.messageLater(message);
    const session = this.sessions.get(message.connection);
    if (session === undefined || session.closeError !== undefined) return;
    return this.runAll(session._version, 'message', session, message, session);
  }

  /**
   * Moves every live session not on `version` to it, each in its own domain after what is
   * queued there, with `migrate`.
   *
   * @returns how many moved.
   */
  async migrate(
    version: HandlerVersion,
    migrate: (state: unknown, fromVersion: string) => unknown,
  ): Promise<number> {
    const mailbox = this.context?.mailbox;
    let migrated = 0;
    const moves: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      if (session._version === version || session._ended) continue;
      moves.push(
        new Promise<void>((resolve) => {
          const posted = mailbox?.post(() => {
            try {
              const from = session._version;
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
    return migrated;
  }

  /** Logs and counts a failure (of a handler, or of a kit job when `version` is undefined). */
  failed(
    version: HandlerVersion | undefined,
    where: string,
    error: unknown,
    session?: Session,
  ): void {
    this.handlerErrors++;
    this.context?.metrics.handlerErrors.inc({ version: version?.version ?? 'kit' });
    this.context?.logger.error(
      { err: error, handler: where, version: version?.version, session: session?.id },
      version === undefined ? 'kit job failed' : 'handler failed',
    );
  }

  private async messageLater(message: TcpMessage): Promise<void> {
    await this.serving;
    await this.message(message);
  }

  private async closed(
    connection: TcpConnection,
    session: Session,
    info: TcpCloseInfo,
  ): Promise<void> {
    if (session._ended) return;
    session._ended = true;
    const version = session._version;
    try {
      await this.runAll(version, 'close', session, session, info);
    } finally {
      this.sessions.delete(connection);
      version.sessions--;
      if (version.status === 'draining' && version.idle)
        await this.context?.versionEmptied(version);
      if (this.sessions.size === 0) this.sessionsGone?.();
    }
  }

  /**
   * Runs the handlers of one kind in order; a failure stops the rest for this activation.
   * Synchronous while the handlers are: the first one that returns a promise hands the rest to
   * {@link SessionHost.runRest}, so the result is a promise only when some handler was async.
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
    const context = this.context;
    const budget = session._budget;
    if (context === undefined || !budget.fail(context.now()) || session.closeError !== undefined)
      return;
    const exceeded = new RestartBudgetExceededError(
      session.domain.name,
      budget.recent,
      budget.intensity,
      budget.periodMs,
      error,
    );
    session.closeError = exceeded;
    this.domainsClosed++;
    context.metrics.domainsClosed.inc();
    context.logger.warn(
      { session: session.id, domain: session.domain.name, err: exceeded },
      'domain closed by the supervisor',
    );
    session.connection?.destroy();
    this.supervision.next(exceeded);
  }
}
