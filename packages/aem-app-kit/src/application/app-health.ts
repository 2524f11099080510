import type { CapsulePoolStats } from '../capsule/capsule-pool';

/**
 * Lifecycle status of an application.
 *
 * @example
 * ```ts
 * if (app.status === 'running') console.log('serving');
 * ```
 */
export type AppStatus = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * One handler version in {@link AppHealth}.
 *
 * @example
 * ```ts
 * const v: VersionHealth = { version: '1.0.0', status: 'current', sessions: 12 };
 * ```
 */
export interface VersionHealth {
  /** The module's version. */
  readonly version: string;
  /** `current` serves new sessions; `draining` finishes its live ones. */
  readonly status: 'starting' | 'current' | 'draining' | 'retired';
  /** Live sessions on it. */
  readonly sessions: number;
}

/**
 * What `app.health()` and `GET /health` report.
 *
 * @example
 * ```ts
 * const { status, versions } = app.health();
 * console.log(status, versions.map((v) => `${v.version}:${v.sessions}`).join(' '));
 * ```
 */
export interface AppHealth {
  /** The application's name. */
  readonly name: string;
  /** Lifecycle status; only `running` is healthy. */
  readonly status: AppStatus;
  /** The handler versions loaded, current first. */
  readonly versions: readonly VersionHealth[];
  /** Live sessions, all versions. */
  readonly sessions: number;
  /** Open TCP connections. */
  readonly connections: number;
  /** Handler failures since start. */
  readonly handlerErrors: number;
  /** Domains closed by the supervisor since start. */
  readonly domainsClosed: number;
  /** The TCP port, when listening. */
  readonly tcpPort?: number;
  /** The (first) UDP socket's port, when bound. */
  readonly udpPort?: number;
  /** The outbound clients (`clients` option), in order. */
  readonly clients?: readonly ClientHealth[];
  /**
   * The capsule pool's load and outcomes (see {@link CapsulePoolStats}), once a handler with
   * `execution: 'pool'` started it; absent before.
   */
  readonly capsule?: CapsulePoolStats;
}

/**
 * One outbound client in {@link AppHealth}.
 *
 * @example
 * ```ts
 * const down = app.health().clients?.filter((client) => !client.connected);
 * ```
 */
export interface ClientHealth {
  /** The client's name. */
  readonly name: string;
  /** Whether its connection is up now. */
  readonly connected: boolean;
  /** Connection attempts so far (the first included). */
  readonly attempts: number;
}
