import type { AddressInfo } from 'node:net';

/**
 * The slice of `net.Socket` a {@link TcpConnection} uses. `node:net` sockets have it as they
 * are; the kmod transport implements it on the kernel TCP service.
 *
 * @internal
 */
export interface TransportSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  /** Bytes accepted by `write` and not yet handed to the kernel. */
  readonly writableLength: number;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  readonly allowHalfOpen: boolean;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  setNoDelay(noDelay?: boolean): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  /** Queues bytes (strings as UTF-8). */
  write(data: Buffer | string): boolean;
  cork(): void;
  uncork(): void;
  end(): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The slice of `net.Server` a {@link TcpServer} uses. @internal */
export interface TransportServer {
  address(): AddressInfo | string | null;
  readonly listening: boolean;
  close(callback?: (error?: Error) => void): unknown;
  on(event: 'connection', listener: (socket: TransportSocket) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Where a TCP service's sockets come from: `node:net` on the userspace backend, the kernel TCP
 * service (`aem_tcp.ko`) on the kmod backend. Both reject with the socket's own error (with
 * `code`), which the caller wraps.
 *
 * @internal
 */
export interface TcpTransport {
  /** `node` or `kmod`. */
  readonly kind: 'node' | 'kmod';
  /** A listening server; connections come paused. */
  listen(options: {
    port: number;
    host?: string;
    backlog: number;
    reusePort?: boolean;
  }): Promise<TransportServer>;
  /** A connected client socket. */
  connect(options: { port: number; host: string }): Promise<TransportSocket>;
}
