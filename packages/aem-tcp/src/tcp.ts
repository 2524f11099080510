import {
  InvalidArgumentError,
  RuntimeClosedError,
  resolveLimits,
  type Aem,
  type ServiceBinding,
} from '@aem/core';
import { SocketFailedError } from './errors/socket-failed.error';
import { scheduleOn } from './fallback-clock';
import type { FramerFactory } from './framers/framer';
import { IdleSweeper } from './idle-sweeper';
import { EMPTY } from './connection/empty-list';
import { TcpConnection, type ConnectionOwner } from './tcp-connection';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './tcp-limits';
import { TcpServer } from './tcp-server';
import { TCP_SERVICE_NAME, tcpService, type TcpServiceDefinition } from './tcp-service';
import { TcpServiceState } from './tcp-service-state';
import type { TlsClientOptions, TlsServerOptions } from './tls-options';
import { tlsTransport } from './transport/tls-transport';

/** Options shared by {@link Tcp.listen} and {@link Tcp.connect}. */
export interface ConnectionOptions {
  /**
   * Makes one framer per connection. Without one, the connections carry raw chunks only
   * (`onData` / `data`).
   */
  readonly framer?: FramerFactory;
  /** Overrides of {@link DEFAULT_CONNECTION_LIMITS}. */
  readonly limits?: Partial<ConnectionLimits>;
  /**
   * Close a connection after this long without bytes in either direction (between 1 and 1.25
   * times the value). Needs the `timers` service loaded in the runtime. Default: none.
   */
  readonly idleTimeoutMs?: number;
}

/** Options of {@link Tcp.listen}. */
export interface ListenOptions extends ConnectionOptions {
  /** Port; `0` picks a free one (read it from `server.address.port`). */
  readonly port: number;
  /** Address to bind. Default: all interfaces, as `net.Server.listen`. */
  readonly host?: string;
  /** Listen backlog. Default 511. */
  readonly backlog?: number;
  /**
   * `SO_REUSEPORT`: several processes (cluster workers) each bind their own socket to the port
   * and the kernel spreads new connections over them. In a cluster worker the socket is the
   * worker's own (not the primary's shared handle). Userspace backend only: on the kmod backend
   * `listen` rejects with {@link @aem/core!InvalidArgumentError}. Default `false`.
   */
  readonly reusePort?: boolean;
  /** Most connections open at once; more are closed at once and counted. Default 10,000. */
  readonly maxConnections?: number;
  /**
   * Serve TLS (over `node:tls`, on either backend): connections are reported once their
   * handshake is done; failed handshakes are counted in `stats().tlsHandshakeFailures`.
   */
  readonly tls?: TlsServerOptions;
}

/** Options of {@link Tcp.connect}. */
export interface ConnectOptions extends ConnectionOptions {
  /** Port to connect to. */
  readonly port: number;
  /** Host to connect to. Default `127.0.0.1`. */
  readonly host?: string;
  /** Connect over TLS; the server's certificate is verified. */
  readonly tls?: TlsClientOptions;
}

/**
 * The TCP service's client API on one runtime: {@link Tcp.listen} and {@link Tcp.connect}.
 * Get one with {@link Tcp.from}.
 *
 * @example
 * ```ts
 * import { createAem } from '@aem/core';
 * import { Tcp, lengthPrefixed } from '@aem/tcp';
 *
 * const runtime = createAem();
 * const tcp = Tcp.from(runtime);
 * const server = await tcp.listen({ host: '127.0.0.1', port: 0, framer: lengthPrefixed({ width: 2 }) });
 * server.onMessage(({ data, connection }) => void connection.send(frame(data)));
 * ```
 */
export class Tcp {
  private constructor(
    private readonly runtime: Aem,
    /** The service binding in use. */
    readonly binding: ServiceBinding<TcpServiceDefinition>,
    private readonly state: TcpServiceState,
  ) {}

  /**
   * The TCP API of `runtime`: binds the newest loaded `tcp` service satisfying `range`,
   * loading {@link tcpService} first when no version is loaded.
   *
   * @param runtime - the AEM runtime.
   * @param range - semver range of the service version. Default `^1`.
   */
  static from(runtime: Aem, range = '^1'): Tcp {
    if (!runtime.services().some((service) => service.name === TCP_SERVICE_NAME))
      runtime.load(tcpService);
    const binding = runtime.bind<TcpServiceDefinition>(TCP_SERVICE_NAME, range);
    const state: unknown = binding.state;
    if (!(state instanceof TcpServiceState))
      throw new InvalidArgumentError(
        'runtime',
        `a runtime where ${binding.id} was loaded by @aem/tcp`,
        runtime,
      );
    return new Tcp(runtime, binding, state);
  }

  /**
   * Where this runtime's plain TCP sockets come from: `'kernel'` (`aem_tcp.ko`, on the kmod
   * backend with the module loaded) or `'node'` (`node:net`: the userspace backend, or the kmod
   * backend without `aem_tcp.ko`). TLS always runs over `node:tls`, on either. Fixed for the
   * runtime's life. An application that must run on the kernel path checks it before listening,
   * since the kmod backend falls back to `node:net`.
   *
   * @example
   * ```ts
   * if (Tcp.from(runtime).transport !== 'kernel') throw new Error('load aem_tcp.ko');
   * ```
   */
  get transport(): 'node' | 'kernel' {
    return this.state.transport.kind === 'kmod' ? 'kernel' : 'node';
  }

  /**
   * Starts a server. Resolves once it is listening.
   *
   * @throws (rejects) {@link SocketFailedError} (`EADDRINUSE`, `EACCES`, …),
   *   {@link @aem/core!InvalidArgumentError}, {@link TimersUnavailableError}, and
   *   {@link @aem/core!RuntimeClosedError} after `runtime.close()` (before any port is bound).
   */
  async listen(options: ListenOptions): Promise<TcpServer> {
    if (this.runtime.closed) throw new RuntimeClosedError('listen on a TCP port');
    const limits = connectionLimits(options.limits);
    const maxConnections = options.maxConnections ?? 10_000;
    checkPort(options.port);
    if (
      options.reusePort === true &&
      options.tls === undefined &&
      this.state.transport.kind === 'kmod'
    )
      throw new InvalidArgumentError(
        'options.reusePort',
        'false on the kmod backend (the kernel TCP path binds one socket per port)',
        true,
      );
    if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
      throw new InvalidArgumentError(
        'options.maxConnections',
        'a positive integer',
        maxConnections,
      );
    }
    const sweeper =
      options.idleTimeoutMs === undefined
        ? null
        : new IdleSweeper(this.runtime, options.idleTimeoutMs);
    const target = `${options.host ?? '*'}:${options.port}`;
    let server;
    try {
      const transport =
        options.tls === undefined ? this.state.transport : tlsTransport({ server: options.tls });
      server = await transport.listen({
        port: options.port,
        ...(options.host === undefined ? {} : { host: options.host }),
        backlog: options.backlog ?? 511,
        reusePort: options.reusePort ?? false,
      });
    } catch (error) {
      sweeper?.close();
      throw new SocketFailedError('listen', target, error);
    }
    server.on('error', (error) =>
      process.emitWarning(`@aem/tcp server ${target}: ${error.message}`, { type: 'AemWarning' }),
    );
    return new TcpServer({
      server,
      state: this.state,
      events: this.binding,
      framer: options.framer ?? null,
      limits,
      maxConnections,
      sweeper,
      schedule: scheduleOn(this.runtime),
    });
  }

  /**
   * Opens a client connection. Resolves once connected; the connection reads as soon as a
   * consumer registers (`onMessage`, `messages`, `onData`, `data`).
   *
   * @throws (rejects) {@link SocketFailedError} (`ECONNREFUSED`, …), and
   *   {@link @aem/core!RuntimeClosedError} after `runtime.close()`.
   */
  async connect(options: ConnectOptions): Promise<TcpConnection> {
    if (this.runtime.closed) throw new RuntimeClosedError('open a TCP connection');
    const limits = connectionLimits(options.limits);
    checkPort(options.port);
    const host = options.host ?? '127.0.0.1';
    const sweeper =
      options.idleTimeoutMs === undefined
        ? null
        : new IdleSweeper(this.runtime, options.idleTimeoutMs);
    let socket;
    try {
      const transport =
        options.tls === undefined ? this.state.transport : tlsTransport({ client: options.tls });
      socket = await transport.connect({ port: options.port, host });
    } catch (error) {
      sweeper?.close();
      throw new SocketFailedError('connect', `${host}:${options.port}`, error);
    }
    const owner: ConnectionOwner = {
      messageSinks: EMPTY,
      _domainName: () => `tcp:${host}:${options.port}#${socket.localPort}`,
      _connectionClosed: () => sweeper?.close(),
    };
    const connection = new TcpConnection(this.state.connectionId(), {
      socket,
      state: this.state,
      events: this.binding,
      owner,
      framer: options.framer ?? null,
      limits,
      sweeper,
    });
    this.state.clients.add(connection);
    return connection;
  }
}

function connectionLimits(overrides: Partial<ConnectionLimits> | undefined): ConnectionLimits {
  const limits = resolveLimits(DEFAULT_CONNECTION_LIMITS, overrides, 'options.limits');
  if (limits.writeHighWaterMark < 16_384) {
    throw new InvalidArgumentError(
      'options.limits.writeHighWaterMark',
      'at least 16384 (the socket’s own mark)',
      limits.writeHighWaterMark,
    );
  }
  return limits;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('options.port', 'an integer from 0 to 65535', port);
}
