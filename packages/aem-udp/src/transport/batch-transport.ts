import type { KernelUdp, KernelUdpSink } from './kernel-udp';
import type {
  DatagramReceiver,
  OutgoingDatagram,
  TransportBindOptions,
  TransportSocket,
  UdpTransport,
} from './transport';

/** A send batch handed to the socket and not yet wholly handled. */
interface PendingBatch {
  readonly batch: readonly OutgoingDatagram[];
  readonly done: (sent: number, errors: number, firstError?: Error) => void;
  /** Datagrams handled so far, from the first. */
  next: number;
  sent: number;
  errors: number;
  firstError: Error | undefined;
}

/** The receiver until the socket sets one. */
const NO_RECEIVER: DatagramReceiver = () => undefined;

/** An `Error` like node's socket errors: `code`, `errno`, `syscall`, and the peer. */
function sendError(
  kernel: KernelUdp,
  errno: number,
  datagram: OutgoingDatagram | undefined,
): Error {
  const code = kernel.errnoName(errno);
  const error = new Error(`send ${code}`) as Error & Record<string, unknown>;
  error.code = code;
  error.errno = -errno;
  error.syscall = 'send';
  if (datagram !== undefined) {
    error.address = datagram.address;
    error.port = datagram.port;
  }
  return error;
}

/**
 * A socket on a batch transport ({@link KernelUdp}): the kernel UDP service (`aem_udp.ko`),
 * whose datagrams come as ring records, a burst per wake-up, with no system call per datagram,
 * or the userspace `mmsg` binding (a burst per `recvmmsg`); either way a tick's send batch leaves
 * in one system call per 1,024 datagrams.
 *
 * Sending keeps the batches in order: when the socket's send buffer fills, the kernel stops the
 * batch (`blocked`) and the rest waits, with the batches after it, for the kernel's `writable`
 * record. Each batch's `done` runs once, when its last datagram was handled; closing the socket
 * settles what is still waiting as errors.
 *
 * @internal
 */
class BatchUdpSocket implements TransportSocket, KernelUdpSink {
  readonly address: { address: string; port: number; family: 4 | 6 };
  private readonly id: number;
  private receiver: DatagramReceiver = NO_RECEIVER;
  private pending: PendingBatch[] = [];
  private blocked = false;
  /** The socket's sk_drops as the kernel last reported it. */
  private dropCount = 0;
  private closed = false;

  constructor(
    private readonly kernel: KernelUdp,
    private readonly fd: number,
  ) {
    const local = kernel.address(fd);
    this.address = {
      address: local.localAddress,
      port: local.localPort,
      family: local.family === 'IPv6' ? 6 : 4,
    };
    this.id = kernel.attach(fd, this);
  }

  /** The receiver, called by the kernel's record decoder (the sink's `datagram`). */
  readonly datagram: DatagramReceiver = (data, address, port, family, receivedAt) =>
    this.receiver(data, address, port, family, receivedAt);

  setReceiver(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  sendBatch(
    batch: readonly OutgoingDatagram[],
    done: (sent: number, errors: number, firstError?: Error) => void,
  ): void {
    if (this.closed) {
      done(0, batch.length, sendError(this.kernel, 9 /* EBADF */, undefined));
      return;
    }
    this.pending.push({ batch, done, next: 0, sent: 0, errors: 0, firstError: undefined });
    if (!this.blocked) this.pump();
  }

  kernelDrops(): number {
    return this.closed ? this.dropCount : (this.kernel.drops?.(this.address) ?? this.dropCount);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      // The event holds the socket: detach first (no record of it is delivered after), then
      // close the fd.
      this.kernel.detach(this.id);
      this.kernel.close(this.fd);
      this.failPending(undefined);
    }
    return Promise.resolve();
  }

  /* KernelUdpSink: the kernel's records for this socket. */

  drops(total: number): void {
    this.dropCount = total;
  }

  writable(): void {
    this.blocked = false;
    if (!this.closed) this.pump();
  }

  error(errno: number, code: string): void {
    // As node:dgram reports a receive error after bind: a warning, the socket goes on.
    process.emitWarning(
      `@aem/udp socket ${this.address.address}:${this.address.port}: ${code} (errno ${errno})`,
      { type: 'AemWarning' },
    );
  }

  /** Sends the waiting batches in order until they are done or the send buffer is full. */
  private pump(): void {
    const kernel = this.kernel;
    try {
      while (this.pending.length > 0) {
        const p = this.pending[0];
        while (p.next < p.batch.length) {
          const r = kernel.send(this.id, p.batch, p.next);
          p.sent += r.sent;
          p.errors += r.errors;
          if (r.errors > 0 && p.firstError === undefined) {
            p.firstError = sendError(kernel, r.firstErrno, p.batch[p.next + r.firstFailed]);
          }
          p.next += r.done;
          if (r.blocked) {
            this.blocked = true;
            return;
          }
          // Not blocked yet nothing handled: only a dying process sees it; never spin.
          if (r.done === 0) throw sendError(kernel, 5 /* EIO */, p.batch[p.next]);
        }
        this.pending.shift();
        p.done(p.sent, p.errors, p.firstError);
      }
    } catch (error) {
      // The kernel refused the call itself (the event is gone): nothing waiting can leave.
      this.failPending(error as Error);
    }
  }

  /** Settles every waiting batch: what was not handled counts as refused. */
  private failPending(error: Error | undefined): void {
    const waiting = this.pending;
    this.pending = [];
    for (const p of waiting) {
      p.done(
        p.sent,
        p.errors + p.batch.length - p.next,
        p.firstError ?? error ?? sendError(this.kernel, 9 /* EBADF */, p.batch[p.next]),
      );
    }
  }
}

/**
 * Sockets through {@link KernelUdp}: the kmod backend's (`aem_udp.ko`, name `kernel`) or the
 * userspace batch binding's (`recvmmsg`/`sendmmsg`, name `mmsg`, see `mmsg-udp.ts`).
 *
 * @internal
 */
export function batchTransport(kernel: KernelUdp, name: 'kernel' | 'mmsg'): UdpTransport {
  return {
    name,
    async bind(options: TransportBindOptions): Promise<TransportSocket> {
      const fd = kernel.bind(
        options.host,
        options.port,
        options.reusePort,
        options.recvBufferSize ?? 0,
        options.sendBufferSize ?? 0,
      );
      try {
        return new BatchUdpSocket(kernel, fd);
      } catch (error) {
        kernel.close(fd);
        throw error;
      }
    },
  };
}
