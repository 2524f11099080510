import type { KernelChannel, KernelRecordBatch } from '@aem/core';
import { AF_INET6, UDP_ADDR_SIZE, addressText, parseAddress } from './kernel-udp-address';
import type { DatagramReceiver, OutgoingDatagram } from './transport';

/**
 * What an attached socket hears from the kernel UDP service (`aem_udp.ko`), during the ring's
 * drain. @internal
 */
export interface KernelUdpSink {
  /** A datagram: called once per datagram, many times in one wake-up. */
  datagram: DatagramReceiver;
  /** The socket's drop count (sk_drops, since it was created) changed. */
  drops(total: number): void;
  /** A send batch that stopped at a full send buffer may go on. */
  writable(): void;
  /** The socket reported an error (an ICMP error on a connected socket); reading goes on. */
  error(errno: number, code: string): void;
}

/** The outcome of one {@link KernelUdp.send}. @internal */
export interface KernelUdpSendResult {
  /** Datagrams handled from the first: sent or refused. The rest were not tried. */
  readonly done: number;
  /** Datagrams handed to the network stack. */
  readonly sent: number;
  /** Datagrams refused (bad address, too large, or the stack's error). */
  readonly errors: number;
  /** Positive errno of the first refused datagram, 0 without errors. */
  readonly firstErrno: number;
  /** Index (in the batch) of the first refused datagram. */
  readonly firstFailed: number;
  /** The socket's send buffer filled: the rest waits for {@link KernelUdpSink.writable}. */
  readonly blocked: boolean;
}

/**
 * A bound socket's local address (`getsockname`). @internal
 */
export interface KernelUdpAddress {
  readonly localAddress: string;
  readonly localPort: number;
  readonly family: 'IPv4' | 'IPv6';
}

/**
 * The kernel UDP service reached through the `kmod` backend's generic {@link KernelChannel};
 * this file owns the service's formats: the attach argument (`struct aem_udp_args`), the
 * records (`struct aem_udp_record`, a datagram's `struct aem_udp_addr` and payload) and the
 * send batch of `AEM_UDP_OP_SEND` (`struct aem_udp_send`, then `struct aem_udp_msg` and bytes
 * per datagram). Datagrams arrive as ring records, drained with the other services' records, a
 * whole burst per wake-up; a batch of datagrams leaves in one system call.
 *
 * @internal
 */
export interface KernelUdp {
  /**
   * A bound, non-blocking, close-on-exec UDP socket.
   *
   * @returns its fd.
   * @throws an `Error` with `code` (`EADDRINUSE`, `EACCES`, …) and `errno`.
   */
  bind(
    host: string,
    port: number,
    reusePort: boolean,
    recvBufferSize: number,
    sendBufferSize: number,
  ): number;
  /** The socket's local address. */
  address(fd: number): KernelUdpAddress;
  /** Attaches an event to socket `fd` and starts it; `sink` hears its records. Returns its id. */
  attach(fd: number, sink: KernelUdpSink): number;
  /**
   * Sends datagrams of `batch` from index `from` on, in one system call: as many as one call
   * takes ({@link SEND_COUNT_MAX}, {@link SEND_BYTES_MAX}); `done` says how many were handled,
   * and the caller goes on from `from + done` (after `writable` when `blocked`). A destination
   * that is not an IP literal is refused alone, without a system call.
   */
  send(id: number, batch: readonly OutgoingDatagram[], from: number): KernelUdpSendResult;
  /**
   * The socket's drop count (full receive buffer), read now, for a transport that is not told
   * of drops as they happen (the kernel service reports them in `KernelUdpSink.drops`).
   */
  drops?(local: {
    readonly address: string;
    readonly port: number;
    readonly family: 4 | 6;
  }): number;
  /** Detaches and releases the event (the socket is restored). Idempotent. */
  detach(id: number): void;
  /** `close()` of the fd; detach its event first (an attached event keeps the socket open). */
  close(fd: number): void;
  /** Name of an errno (`111` → `ECONNREFUSED`). */
  errnoName(errno: number): string;
  /** Events attached and not detached. */
  readonly attached: number;
}

/** The binding's socket calls (the `sock` native table of `@aem/kmod/binding`). */
interface KmodSock {
  udpBind: KernelUdp['bind'];
  addresses(fd: number): KernelUdpAddress;
  close(fd: number): number;
  errnoName(errno: number): string;
}

/** Name and version of the kernel UDP service (`aem_udp.ko`) this package binds. */
export const KERNEL_UDP = { name: 'udp', version: '1.0.0' } as const;
/** Record type of the kernel UDP service (`AEM_REC_UDP`). */
const REC_UDP = 3;
/** The one call (`AEM_UDP_CALL_SOCKET`) and its argument's size (`struct aem_udp_args`). */
const CALL_SOCKET = 0;
const UDP_ARGS_SIZE = 16;
/** `struct aem_udp_record.kind` values (`AEM_UDP_*`). */
const UDP_DATAGRAM = 1;
const UDP_DROPS = 2;
const UDP_WRITABLE = 3;
const UDP_ERROR = 4;
/** `AEM_UDP_OP_SEND` and its layouts: the head, then per datagram a message head and bytes. */
const OP_SEND = 1;
const SEND_HEAD_SIZE = 32;
const MSG_HEAD_SIZE = 32;
const SEND_BLOCKED = 1;
/** Most datagrams and bytes of one `AEM_UDP_OP_SEND` (`AEM_UDP_SEND_*_MAX`). */
export const SEND_COUNT_MAX = 1024;
export const SEND_BYTES_MAX = 8 * 1024 * 1024;
/** `EINVAL`: a destination the kernel cannot take (not an IP literal). */
const EINVAL = 22;

/** Keep-alive references: an attached socket holds the process open, as a dgram socket does. */
interface KeepAlive {
  ref(): void;
  unref(): void;
}

/**
 * Binds the kernel UDP service through `kernel`.
 *
 * @param kernel - the kmod backend's channel.
 * @param keepAlive - the backend's keep-alive references.
 * @returns `undefined` when `aem_udp.ko` is not loaded or the binding has no socket calls.
 * @internal
 */
export function openKernelUdp(kernel: KernelChannel, keepAlive: KeepAlive): KernelUdp | undefined {
  const sock = kernel.native('sock') as KmodSock | undefined;
  if (sock === undefined || typeof sock.udpBind !== 'function') return undefined;
  const service = kernel.lookup(KERNEL_UDP.name, KERNEL_UDP.version);
  if (service === undefined) return undefined;
  const sinks = new Map<number, KernelUdpSink>();
  const errnoName = (errno: number): string => sock.errnoName(errno);
  const decoder = new UdpRecordDecoder(sinks, errnoName);
  service.receive(REC_UDP, (batch, i) => decoder.decode(batch, i));
  const encoder = new UdpSendEncoder();
  const args = new Uint8Array(UDP_ARGS_SIZE);
  const view = new DataView(args.buffer);
  return {
    bind: (host, port, reusePort, recvBufferSize, sendBufferSize) =>
      sock.udpBind(host, port, reusePort, recvBufferSize, sendBufferSize),
    address: (fd) => sock.addresses(fd),
    attach: (fd, sink) => {
      view.setInt32(0, fd, true);
      const id = service.attach(CALL_SOCKET, args);
      sinks.set(id, sink);
      keepAlive.ref();
      return id;
    },
    send: (id, batch, from) =>
      encoder.encode(batch, from) === 0
        ? REFUSED_ONE
        : encoder.result(service.control(id, OP_SEND, encoder.view())),
    detach: (id) => {
      if (!sinks.delete(id)) return;
      keepAlive.unref();
      service.detach(id);
    },
    close: (fd) => void sock.close(fd),
    errnoName,
    get attached(): number {
      return sinks.size;
    },
  };
}

/** A datagram whose destination is not an IP literal: refused, like the kernel's EINVAL. @internal */
export const REFUSED_ONE: KernelUdpSendResult = Object.freeze({
  done: 1,
  sent: 0,
  errors: 1,
  firstErrno: EINVAL,
  firstFailed: 0,
  blocked: false,
});

/**
 * Packs datagrams into the argument of `AEM_UDP_OP_SEND`, in one buffer reused (and grown) from
 * batch to batch: the head (count, then out fields zeroed), then per datagram its
 * `struct aem_udp_msg` (destination, length) and its bytes, padded to 8.
 *
 * @internal
 */
export class UdpSendEncoder {
  private buffer = Buffer.alloc(64 * 1024);
  private head = new DataView(this.buffer.buffer, this.buffer.byteOffset, SEND_HEAD_SIZE);
  private length = 0;

  /**
   * Packs datagrams of `batch` from `from`: as many as one call takes, stopping before one whose
   * destination is not an IP literal. Returns how many were packed (0 when the first one's
   * destination is bad).
   */
  encode(batch: readonly OutgoingDatagram[], from: number): number {
    let at = SEND_HEAD_SIZE;
    let count = 0;
    for (let i = from; i < batch.length && count < SEND_COUNT_MAX; i++) {
      const { data, address, port } = batch[i];
      const size = MSG_HEAD_SIZE + ((data.length + 7) & ~7);
      if (at + size > SEND_BYTES_MAX) break;
      const parsed = parseAddress(address);
      if (parsed === null) break;
      if (at + size > this.buffer.length) this.grow(at + size);
      const b = this.buffer;
      b.writeUInt16LE(parsed.family, at);
      b.writeUInt16LE(port, at + 2);
      b.writeUInt32LE(parsed.scopeId, at + 4);
      b.set(parsed.bytes, at + 8);
      b.writeUInt32LE(data.length, at + 24);
      b.writeUInt32LE(0, at + 28);
      data.copy(b, at + MSG_HEAD_SIZE);
      // The padding is ignored by the kernel; zeroed anyway so no stale bytes leave.
      b.fill(0, at + MSG_HEAD_SIZE + data.length, at + size);
      at += size;
      count++;
    }
    this.buffer.fill(0, 0, SEND_HEAD_SIZE);
    this.head.setUint32(0, count, true);
    this.length = at;
    return count;
  }

  /** The packed argument. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** The outcome, from the call's result and the out fields the kernel wrote into the head. */
  result(done: number): KernelUdpSendResult {
    const head = this.head;
    return {
      done,
      sent: head.getUint32(12, true),
      errors: head.getUint32(16, true),
      firstErrno: head.getInt32(20, true),
      firstFailed: head.getUint32(28, true),
      blocked: (head.getUint32(24, true) & SEND_BLOCKED) !== 0,
    };
  }

  private grow(need: number): void {
    let size = this.buffer.length;
    while (size < need) size *= 2;
    const bigger = Buffer.alloc(Math.min(size, SEND_BYTES_MAX));
    this.buffer.copy(bigger);
    this.buffer = bigger;
    this.head = new DataView(bigger.buffer, bigger.byteOffset, SEND_HEAD_SIZE);
  }
}

/**
 * Decodes the kernel UDP service's records. One call takes the run of consecutive UDP records
 * of one event starting at record `i`, so a burst costs one receiver call per run, and hands each
 * datagram to its socket's sink: a copy of the payload (the handler may keep it), the peer's
 * address as text (cached), and the receive time in milliseconds since the epoch.
 *
 * @internal
 */
export class UdpRecordDecoder {
  /** A Buffer over the batch's data area (the same memory), remade if the area changes. */
  private data: Buffer = Buffer.alloc(0);
  private area: Uint8Array | undefined = undefined;

  constructor(
    private readonly sinks: ReadonlyMap<number, KernelUdpSink>,
    private readonly errnoName: (errno: number) => string,
  ) {}

  /** Delivers records from `i` on; returns the index after the last one it used. */
  decode(batch: KernelRecordBatch, i: number): number {
    const { records, count } = batch;
    const { fields, eventId, type, word0, word1, dataOffset, dataLength } = batch.layout;
    if (batch.data !== this.area) {
      this.area = batch.data;
      this.data = Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
    }
    const data = this.data;
    const id = records[i * fields + eventId];
    const sink = this.sinks.get(id);
    let end = i;
    do {
      const at = end * fields;
      if (sink !== undefined) {
        const kind = records[at + word0];
        if (kind === UDP_DATAGRAM) {
          const o = records[at + dataOffset];
          const n = records[at + dataLength] - UDP_ADDR_SIZE;
          const payload = Buffer.allocUnsafe(n);
          data.copy(payload, 0, o + UDP_ADDR_SIZE, o + UDP_ADDR_SIZE + n);
          const family = data[o] | (data[o + 1] << 8);
          sink.datagram(
            payload,
            addressText(data, o),
            data[o + 2] | (data[o + 3] << 8),
            family === AF_INET6 ? 6 : 4,
            records[at + word1] / 1e6,
          );
        } else if (kind === UDP_DROPS) {
          sink.drops(records[at + word1]);
        } else if (kind === UDP_WRITABLE) {
          sink.writable();
        } else if (kind === UDP_ERROR) {
          const errno = records[at + word1];
          sink.error(errno, this.errnoName(errno));
        }
      }
      end++;
    } while (
      end < count &&
      records[end * fields + type] === REC_UDP &&
      records[end * fields + eventId] === id
    );
    return end;
  }
}
