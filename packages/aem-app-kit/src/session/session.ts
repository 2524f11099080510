import type { Domain } from '@aem/core';
import type { TcpConnection } from '@aem/tcp';
import type { RestartBudget } from '../supervision/restart-budget';
import type { HandlerVersion } from '../upgrade/handler-version';

/**
 * One serialization domain of the application — today a TCP connection, accepted by one of
 * its listeners or opened by one of its `clients` (then `client` names it) — with its
 * per-domain state. Every handler of the session runs in its domain, one at a time, so `state` needs no
 * lock. The session stays on the handler version it started on (unless the upgrade's
 * `migrateState` moved it), which is how live calls finish on old code during a hot upgrade.
 *
 * @example
 * ```ts
 * @OnMessage()
 * onMessage({ data }: TcpMessage, session: Session<{ lines: number }>) {
 *   session.state.lines++;
 *   if (data.toString() === 'quit') session.close();
 * }
 * ```
 * @typeParam S - the state type (what the module's `initialState()` returns).
 */
export class Session<S = unknown> {
  /** The error that made the supervisor close this session, if it did. */
  closeError: Error | undefined = undefined;
  /** @internal */ _version: HandlerVersion;
  /** @internal */ readonly _budget: RestartBudget;
  /** @internal True once the connection closed and `@OnClose` was scheduled. */ _ended = false;

  /** @internal Sessions are made by the application. */
  constructor(
    /** Application-unique session id. */
    readonly id: number,
    /** The serialization domain every handler of this session runs in. */
    readonly domain: Domain,
    /** The TCP connection, for connection sessions. */
    readonly connection: TcpConnection | undefined,
    /** Per-session state: free for the handlers to read and replace. */
    public state: S,
    version: HandlerVersion,
    budget: RestartBudget,
    /** The `clients` entry that opened this connection; `undefined` for an accepted one. */
    readonly client?: string,
  ) {
    this._version = version;
    this._budget = budget;
  }

  /** The handler version serving this session. */
  get version(): string {
    return this._version.version;
  }

  /**
   * Closes the session's connection gracefully (queued replies are sent first); the
   * `@OnClose` handlers run afterwards.
   */
  close(): void {
    this.connection?.close();
  }
}
