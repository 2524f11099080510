import type { Aem, BackendRequest } from '@aem/core';
import type { ListenOptions } from '@aem/tcp';
import type { TimerClock } from '@aem/timers';
import type { BindOptions } from '@aem/udp';
import type { Logger, LoggerOptions } from 'pino';
import type { CapsulePoolOptions } from '../capsule/capsule-pool';
import type { AppContainer } from '../container/app-container';
import type { AdminHttpOptions } from '../metrics/admin-server';
import type { AppClientOptions } from '../session/outbound-client';
import type { RestartBudgetOptions } from '../supervision/restart-budget';
import type { HandlerModule } from '../upgrade/handler-module';

/**
 * Options of {@link createApp}.
 *
 * @example
 * ```ts
 * const options: AppOptions = {
 *   name: 'echo',
 *   handlers: defineHandlerModule({ version: '1.0.0', handlers: [Echo] }),
 *   tcp: { port: 5060, framer: delimited({ delimiter: '\n' }) },
 *   udp: { port: 5060 },
 *   http: { port: 9464 },
 *   restartBudget: { intensity: 3, periodMs: 5000 },
 * };
 * ```
 */
export interface AppOptions {
  /** The application's name (logs, health). Default `aem-app`. */
  readonly name?: string;
  /**
   * The handler code: a module, or the path of a CommonJS file exporting one (then `SIGHUP`
   * and {@link AemApp.reload} load it again from disk for a hot upgrade).
   */
  readonly handlers: HandlerModule | string;
  /** Configuration, injectable as {@link CONFIG}. */
  readonly config?: unknown;
  /** The runtime to use; default a new one, closed when the application stops. */
  readonly runtime?: Aem;
  /**
   * The backend of the runtime the application creates (`createAem({ backend })`): `'auto'` (the
   * default: `kmod` when `/dev/aem` is usable), `'userspace'` or `'kmod'`. With `'kmod'`, `start()`
   * fails with `BackendUnavailableError` (from `@aem/core`, saying why) when the kernel modules
   * cannot be used. Not together with {@link AppOptions.runtime}, which already has a backend.
   */
  readonly backend?: BackendRequest;
  /** The timers' clock; tests pass a `VirtualClock`. Default the real clock. */
  readonly clock?: TimerClock;
  /** A pino logger, or pino options for a new one. Tests pass `{ level: 'silent' }`. */
  readonly logger?: Logger | LoggerOptions;
  /**
   * Listen for TCP connections (each one a session): one listener, or several (the first is
   * {@link TCP_SERVER} and `app.tcpServer`; all are in `app.tcpServers`). Default: no server.
   */
  readonly tcp?: ListenOptions | readonly ListenOptions[];
  /**
   * Bind UDP sockets (`@aem/udp`, an optional peer dependency loaded only when this is given):
   * one, or several (the first is {@link UDP_SOCKET} and `app.udpSocket`; all are in
   * `app.udpSockets`). Each datagram goes to the `@OnDatagram` handlers of the current handler
   * version, in its domain — the socket's, or its key's with `domainKey`. Bound after the TCP
   * listeners, before the handler classes are built (so they can inject the socket); served
   * once the application runs; closed first on stop. Default: none.
   */
  readonly udp?: BindOptions | readonly BindOptions[];
  /**
   * Outbound connections the application keeps up: each is a session served by the same
   * handlers as accepted ones (`session.client` names it), reconnected with back-off when it
   * closes or an attempt fails, until the application stops. Names must be unique.
   */
  readonly clients?: readonly AppClientOptions[];
  /** Serve `/metrics` and `/health` over HTTP. Default: not served. */
  readonly http?: AdminHttpOptions;
  /** Failures tolerated per domain before the supervisor closes it. Default 3 within 5 s. */
  readonly restartBudget?: RestartBudgetOptions;
  /**
   * The worker pool of `@OnMessage({ execution: 'pool' })` handlers ({@link CAPSULE}): size,
   * queue limit, job timeout. Started on first use. Default: 2 workers, 32 queued jobs, 30 s.
   */
  readonly capsule?: CapsulePoolOptions;
  /** How long a graceful stop lets live sessions finish. Default 5,000 ms. */
  readonly shutdownDeadlineMs?: number;
  /** Adds the application's own bindings to the container before the handlers are built. */
  readonly providers?: (container: AppContainer) => void;
}
