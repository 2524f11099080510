/** Addresses of a kernel-path socket (`getsockname` / `getpeername`). */
export interface KernelTcpAddresses {
  /** Local address, e.g. `127.0.0.1`. */
  readonly localAddress: string;
  /** Local port. */
  readonly localPort: number;
  /** Peer address (empty for a listening socket). */
  readonly remoteAddress: string;
  /** Peer port (0 for a listening socket). */
  readonly remotePort: number;
  /** Address family of the socket. */
  readonly family: 'IPv4' | 'IPv6';
}

/**
 * One record of the kernel TCP service (`aem_tcp.ko`), decoded: what happened on an attached
 * socket. Records of one socket arrive in order; consecutive `data` records of one drain come
 * coalesced into one buffer.
 */
export type KernelTcpEvent =
  /** A listener accepted a connection: its fd is already in this process's fd table. */
  | {
      /** `accept`. */
      readonly type: 'accept';
      /** The new connection's fd (non-blocking, close-on-exec). */
      readonly fd: number;
      /** The peer's address. */
      readonly remoteAddress: string;
      /** The peer's port. */
      readonly remotePort: number;
    }
  /** Bytes received, in order (a copy: the handler may keep it). */
  | {
      /** `data`. */
      readonly type: 'data';
      /** The bytes. */
      readonly data: Buffer;
    }
  /** A connecting socket (attached with `'connecting'`) is established. */
  | {
      /** `connected`. */
      readonly type: 'connected';
    }
  /** After a write returned `EAGAIN` (or wrote short), the socket has room again. */
  | {
      /** `writable`. */
      readonly type: 'writable';
    }
  /** The peer's FIN, after its last bytes. */
  | {
      /** `peer-closed`. */
      readonly type: 'peer-closed';
    }
  /** The connection failed (`ECONNRESET`, `ECONNREFUSED`, …), or `EMFILE` on a listener. */
  | {
      /** `error`. */
      readonly type: 'error';
      /** The positive errno. */
      readonly errno: number;
      /** Its name, e.g. `ECONNRESET`. */
      readonly code: string;
    };

/**
 * Asynchronous sockets provided by the kernel (the `aem_tcp` module), offered by the `kmod`
 * backend to the TCP service. Accepted connections and received bytes arrive as ring records,
 * drained in batches with the other services' records; sending stays a `write`/`writev` on the
 * fd. Every fd it returns is non-blocking and close-on-exec.
 */
export interface KernelTcp {
  /**
   * Creates a listening socket on a numeric host (`''` for every IPv4 address).
   *
   * @returns its fd.
   * @throws an `Error` with `code` (`EADDRINUSE`, `EACCES`, …) and `errno`.
   */
  listen(host: string, port: number, backlog: number): number;
  /**
   * Starts a non-blocking connect to a numeric host.
   *
   * @returns the connecting socket's fd (attach it with `'connecting'`).
   * @throws an `Error` with `code` when the connect fails at once.
   */
  connect(host: string, port: number): number;
  /**
   * Attaches an event to socket `fd` and starts it: a `'listener'` reports `accept`, a
   * `'connection'` (or `'connecting'`, which first reports `connected`) reports `data`,
   * `writable`, `peer-closed` and `error`. `onEvent` runs during the ring drain.
   *
   * @returns the kernel event id.
   */
  attach(
    fd: number,
    kind: 'listener' | 'connection' | 'connecting',
    onEvent: (event: KernelTcpEvent) => void,
  ): number;
  /** Pauses reading (or accepting): bytes stay in the socket and TCP's window closes. */
  pause(id: number): void;
  /**
   * Resumes reading; on a connection also re-arms the `writable` report, reporting at once if
   * the socket has room (call it after `EAGAIN`).
   */
  resume(id: number): void;
  /** Detaches and releases the event (the socket's own callbacks are restored). Idempotent. */
  detach(id: number): void;
  /** `write()`: bytes written, or a negative errno (`-11` is `EAGAIN`). */
  write(fd: number, data: Uint8Array): number;
  /** `writev()` of up to 64 pieces: bytes written, or a negative errno. */
  writev(fd: number, chunks: readonly Uint8Array[]): number;
  /** `shutdown(SHUT_WR)`: sends FIN after what was written. */
  shutdown(fd: number): void;
  /** `close()`. Detach the fd's event first: an attached event keeps the socket open. */
  close(fd: number): void;
  /** The socket's local and peer addresses. */
  addresses(fd: number): KernelTcpAddresses;
  /** Name of an errno (`104` → `ECONNRESET`). */
  errnoName(errno: number): string;
  /** Events attached and not detached. */
  readonly attached: number;
}
