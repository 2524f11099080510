/**
 * The transport seam of the UDP service: where a socket's datagrams come from and go to.
 * `recvmmsg`/`sendmmsg` through `@aem/kmod/binding` (`mmsg-udp.ts`) or `node:dgram`
 * (`node-transport.ts`) in userspace, the kernel UDP service (`aem_udp.ko`, `kernel-udp.ts`) on
 * the kmod backend; the first and the last share one socket class (`batch-transport.ts`). A
 * `UdpSocket` sees only this interface, so every transport shares every rule above it: limits,
 * domains, batching, counters.
 *
 * @internal
 */
export interface UdpTransport {
  /** `node` (node:dgram), `mmsg` (recvmmsg/sendmmsg in userspace) or `kernel` (aem_udp.ko). */
  readonly name: 'node' | 'mmsg' | 'kernel';
  /**
   * Binds a socket. Rejects with the socket's own error (with Node's `code`: `EADDRINUSE`,
   * `EACCES`, …), which the caller wraps in a `SocketFailedError`.
   */
  bind(options: TransportBindOptions): Promise<TransportSocket>;
}

/** What {@link UdpTransport.bind} needs, checked and defaulted by the caller. @internal */
export interface TransportBindOptions {
  /** An IP literal of `family`. */
  readonly host: string;
  /** `0` picks a free port. */
  readonly port: number;
  readonly family: 4 | 6;
  /** SO_REUSEPORT. */
  readonly reusePort: boolean;
  /** SO_RCVBUF, when set. */
  readonly recvBufferSize?: number;
  /** SO_SNDBUF, when set. */
  readonly sendBufferSize?: number;
}

/** Called once per received datagram; a kernel batch calls it many times in one wake-up. @internal */
export type DatagramReceiver = (
  data: Buffer,
  address: string,
  port: number,
  family: 4 | 6,
  receivedAt: number,
) => void;

/** One datagram of a send batch. @internal */
export interface OutgoingDatagram {
  readonly data: Buffer;
  /** An IP literal. */
  readonly address: string;
  readonly port: number;
}

/** One bound socket of a transport. @internal */
export interface TransportSocket {
  /** The bound local address (the port actually bound when asked for port 0). */
  readonly address: { address: string; port: number; family: 4 | 6 };
  /** Sets the one receiver of the socket's datagrams (replacing the previous one). */
  setReceiver(receiver: DatagramReceiver): void;
  /** Sends one tick's batch. `done(sent, errors, firstError)` runs once, after the batch left. */
  sendBatch(
    batch: readonly OutgoingDatagram[],
    done: (sent: number, errors: number, firstError?: Error) => void,
  ): void;
  /** Datagrams the kernel dropped for this socket (full receive buffer), as far as known. */
  kernelDrops(): number;
  /** Closes the socket; no receiver call after it resolves. Idempotent. */
  close(): Promise<void>;
}
