import type { Aem, ServiceBinding } from '@aem/core';
import type { TcpConnection } from './tcp-connection';
import type { TcpServer } from './tcp-server';
import type { TcpServiceDefinition } from './tcp-service';
import type { TcpTransport } from './transport/transport';

/**
 * Everything one loaded version of the TCP service owns in one runtime: its servers, its client
 * connections, and the byte total that `maxTotalBufferedBytes` bounds. `teardown` destroys all
 * of it, so unloading the service (or closing the runtime) leaves no socket open.
 *
 * It is the service's per-runtime state (the `TState` of its definition); applications do not
 * use it directly — the {@link Tcp} facade does.
 */
export class TcpServiceState {
  /** @internal */
  readonly servers = new Set<TcpServer>();
  /** @internal */
  readonly clients = new Set<TcpConnection>();
  /** Bytes queued to handlers across all connections. */
  bufferedBytes = 0;
  /** Connections paused because `bufferedBytes` went over the limit. */
  private readonly pausedForTotal = new Set<TcpConnection>();
  private nextConnectionId = 1;
  private binding: ServiceBinding<TcpServiceDefinition> | undefined;

  /** @internal */
  constructor(
    /** The runtime the service version is loaded in. */
    readonly runtime: Aem,
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
  ) {}

  /** A binding to this exact version, to register the events of its servers and connections. @internal */
  get self(): ServiceBinding<TcpServiceDefinition> {
    return (this.binding ??= this.runtime.bind<TcpServiceDefinition>('tcp', this.version));
  }

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
  pauseForTotal(connection: TcpConnection): void {
    this.pausedForTotal.add(connection);
  }

  /** @internal */
  forget(connection: TcpConnection): void {
    this.pausedForTotal.delete(connection);
    this.clients.delete(connection);
  }

  /** Destroys every server and connection (service unload or runtime close). @internal */
  destroyAll(): void {
    for (const server of [...this.servers]) server._destroy();
    for (const connection of [...this.clients]) connection._shutdown();
  }
}
