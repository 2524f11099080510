import type { Domain } from '@aem/core';
import type { TcpTransport } from './transport/transport';

/**
 * What the state needs of a server it owns (a `TcpServer`; named by its shape, so this file
 * imports neither the server nor the connection, which both use the state).
 *
 * @internal
 */
export interface OwnedServer {
  /** Closes the server and its connections now. */
  _destroy(): void;
}

/** What the state needs of a connection it owns (a `TcpConnection`). @internal */
export interface OwnedConnection {
  /** Closes the connection now (reason `shutdown`, the socket destroyed). */
  _destroyForShutdown(): void;
  /** The service-wide byte total fell under half its limit. */
  _totalRelieved(): void;
}

/**
 * Everything one loaded version of the TCP service owns in one runtime: its servers, its client
 * connections, and the byte total that `maxTotalBufferedBytes` bounds. `teardown` destroys all
 * of it, so unloading the service (or closing the runtime) leaves no socket open.
 *
 * It is the service's per-runtime state (the `TState` of its definition), which the core hands
 * to the {@link Tcp} facade through the binding; applications do not use it directly.
 */
export class TcpServiceState {
  /** @internal */
  readonly servers = new Set<OwnedServer>();
  /** @internal */
  readonly clients = new Set<OwnedConnection>();
  /** Bytes queued to handlers across all connections. */
  bufferedBytes = 0;
  /** Connections paused because `bufferedBytes` went over the limit. */
  private readonly pausedForTotal = new Set<OwnedConnection>();
  private nextConnectionId = 1;

  /** @internal */
  constructor(
    /** `name@version` of the service version owning this state. */
    readonly serviceId: string,
    /** The service version owning this state. */
    readonly version: string,
    /** Limit on `bufferedBytes`: `TcpServiceOptions.maxTotalBufferedBytes`. */
    readonly maxTotalBufferedBytes: number,
    /**
     * @internal Where the sockets come from: `node:net`, or the kernel on the kmod backend.
     */
    readonly transport: TcpTransport,
    /** @internal Creates a domain in the runtime (a connection's). */
    readonly createDomain: (name: string) => Domain,
  ) {}

  /** @internal */
  connectionId(): number {
    return this.nextConnectionId++;
  }

  /** Counts bytes queued to a handler; true when the total is over the limit. @internal */
  addBuffered(bytes: number): boolean {
    this.bufferedBytes += bytes;
    return this.bufferedBytes > this.maxTotalBufferedBytes;
  }

  /** Uncounts delivered (or discarded) bytes and resumes connections paused for the total. @internal */
  removeBuffered(bytes: number): void {
    this.bufferedBytes -= bytes;
    if (this.pausedForTotal.size > 0 && this.bufferedBytes <= this.maxTotalBufferedBytes / 2) {
      const paused = [...this.pausedForTotal];
      this.pausedForTotal.clear();
      for (const connection of paused) connection._totalRelieved();
    }
  }

  /** @internal */
  pauseForTotal(connection: OwnedConnection): void {
    this.pausedForTotal.add(connection);
  }

  /** @internal */
  forget(connection: OwnedConnection): void {
    this.pausedForTotal.delete(connection);
    this.clients.delete(connection);
  }

  /** Destroys every server and connection (service unload or runtime close). @internal */
  destroyAll(): void {
    for (const server of [...this.servers]) server._destroy();
    for (const connection of [...this.clients]) connection._destroyForShutdown();
  }
}
