import { performance } from 'node:perf_hooks';
import type { Backend } from './backend';
import type { KernelTcp, KernelTcpAddresses, KernelTcpEvent } from './kernel-tcp';
import type { KernelTimers } from './kernel-timers';

/** The slice of `@aem/kmod/binding`'s `KmodDevice` this backend uses. @internal */
export interface KmodDeviceLike {
  lookup(name: string, version: string): unknown;
  timer(
    service: unknown,
    options: { initialNs: number; intervalNs?: number; start?: boolean },
  ): number;
  shutdown(eventId: number): void;
  start(eventId: number): void;
  stop(eventId: number): void;
  tcpAttach(
    service: unknown,
    fd: number,
    options: { listener?: boolean; connect?: boolean; start?: boolean },
  ): number;
  /** The bytes of the current batch's TCP records. */
  readonly data: Uint8Array;
  listen(handler: (count: number, records: Float64Array) => void): void;
  ref(): void;
  unref(): void;
  close(): void;
}

/** Layout of one record in the binding's batch array (`RECORD_FIELD`, `FIELDS`). @internal */
export interface KmodRecordLayout {
  readonly fields: number;
  readonly eventId: number;
  readonly type: number;
  readonly word0: number;
  readonly word1: number;
  readonly dataOffset: number;
  readonly dataLength: number;
}

/** The binding's socket calls (`sock` of `@aem/kmod/binding`). @internal */
export interface KmodSockLike {
  listen(host: string, port: number, backlog: number): number;
  connect(host: string, port: number): number;
  write(fd: number, data: Uint8Array): number;
  writev(fd: number, data: readonly Uint8Array[]): number;
  shutdown(fd: number): number;
  close(fd: number): number;
  addresses(fd: number): KernelTcpAddresses;
  errnoName(errno: number): string;
}

/** Record type of the TCP service (`AEM_REC_TCP`). */
const REC_TCP = 2;
/** `struct aem_tcp_record.kind` values (`AEM_TCP_*`). */
const TCP_ACCEPT = 1;
const TCP_DATA = 2;
const TCP_CONNECTED = 3;
const TCP_WRITABLE = 4;
const TCP_PEER_CLOSED = 5;
const TCP_ERROR = 6;
const AF_INET = 2;
const AF_INET6 = 10;
/** Version range of the kernel TCP service this backend binds. */
const KERNEL_TCP_VERSION = '1.0.0';

const NS_PER_MS = 1_000_000;
/** Version range of the kernel timers service this backend binds. */
const KERNEL_TIMERS_VERSION = '1.0.0';

/**
 * The `kmod` backend: events live in the kernel (`/dev/aem`, the `aem_core` module and its
 * service modules). The native binding watches the device fd from libuv; each wake-up drains
 * a batch of ring records, and each record is handed to the service that armed its event,
 * which queues the activation into the dispatcher.
 *
 * Keep-alive references are the binding's: the fd watcher is ref'd while any is held.
 */
export class KmodBackend implements Backend {
  /** @inheritDoc */
  readonly kind = 'kmod' as const;
  /** @inheritDoc */
  readonly description = 'kmod (/dev/aem ring, drained per wake-up)';
  private readonly handlers = new Map<number, (expirations: number) => void>();
  private readonly tcpHandlers = new Map<number, (event: KernelTcpEvent) => void>();
  private tcpService: unknown;
  private refCount = 0;
  private closed = false;
  private timersService: unknown;

  /**
   * @param device - an open `KmodDevice` (one AEM context).
   * @param layout - the binding's record layout.
   * @internal Created by `createAem({ backend: 'kmod' | 'auto' })`.
   */
  constructor(
    private readonly device: KmodDeviceLike,
    private readonly layout: KmodRecordLayout,
    sock?: KmodSockLike,
  ) {
    device.listen((count, records) => this.drain(count, records));
    // The fd watcher holds the loop only while keep-alive references exist.
    device.unref();
    const handlers = this.handlers;
    this.kernelTimers = {
      arm: (initialMs, intervalMs, onExpire) => {
        this.timersService ??= device.lookup('timers', KERNEL_TIMERS_VERSION);
        const id = device.timer(this.timersService, {
          initialNs: Math.max(1, Math.round(initialMs * NS_PER_MS)),
          intervalNs: Math.round(intervalMs * NS_PER_MS),
          start: true,
        });
        handlers.set(id, onExpire);
        return id;
      },
      disarm: (id) => {
        if (!handlers.delete(id) || this.closed) return;
        device.shutdown(id);
      },
      get armed(): number {
        return handlers.size;
      },
    };
    this.kernelTcp = sock === undefined ? undefined : this.makeKernelTcp(sock);
  }

  /** The kernel TCP service's binding, or undefined when `aem_tcp` is not loaded. */
  private bindTcp(): unknown {
    try {
      return this.device.lookup('tcp', KERNEL_TCP_VERSION);
    } catch {
      return undefined;
    }
  }

  /** Kernel soft timers (`aem_timers.ko`), for the timers service. */
  readonly kernelTimers: KernelTimers;

  /**
   * Kernel asynchronous sockets (`aem_tcp.ko`), for the TCP service; absent when the binding
   * has no socket calls.
   */
  readonly kernelTcp: KernelTcp | undefined;

  /** @inheritDoc */
  now(): number {
    return performance.now();
  }

  /** @inheritDoc */
  ref(): void {
    if (this.refCount++ === 0 && !this.closed) this.device.ref();
  }

  /** @inheritDoc */
  unref(): void {
    if (this.refCount === 0) return;
    if (--this.refCount === 0 && !this.closed) this.device.unref();
  }

  /** @inheritDoc */
  get refs(): number {
    return this.refCount;
  }

  /** @inheritDoc */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.tcpHandlers.clear();
    this.device.close();
  }

  private makeKernelTcp(sock: KmodSockLike): KernelTcp | undefined {
    const device = this.device;
    const tcpHandlers = this.tcpHandlers;
    this.tcpService = this.bindTcp();
    if (this.tcpService === undefined) return undefined;
    const service = this.tcpService;
    const live = (id: number): boolean => tcpHandlers.has(id) && !this.closed;
    return {
      listen: (host, port, backlog) => sock.listen(host, port, backlog),
      connect: (host, port) => sock.connect(host, port),
      attach: (fd, kind, onEvent) => {
        const id = device.tcpAttach(service, fd, {
          listener: kind === 'listener',
          connect: kind === 'connecting',
          start: true,
        });
        tcpHandlers.set(id, onEvent);
        // An attached socket holds the process open, as a node:net socket does.
        this.ref();
        return id;
      },
      pause: (id) => {
        if (live(id)) device.stop(id);
      },
      resume: (id) => {
        if (live(id)) device.start(id);
      },
      detach: (id) => {
        if (!tcpHandlers.delete(id)) return;
        this.unref();
        if (!this.closed) device.shutdown(id);
      },
      write: (fd, data) => sock.write(fd, data),
      writev: (fd, chunks) => sock.writev(fd, chunks),
      shutdown: (fd) => void sock.shutdown(fd),
      close: (fd) => void sock.close(fd),
      addresses: (fd) => sock.addresses(fd),
      errnoName: (errno) => sock.errnoName(errno),
      get attached(): number {
        return tcpHandlers.size;
      },
    };
  }

  private drain(count: number, records: Float64Array): void {
    const { fields, eventId, type, word0 } = this.layout;
    for (let i = 0, at = 0; i < count; i++, at += fields) {
      if (records[at + type] === REC_TCP) {
        i = this.tcpRecord(records, i, count) - 1;
        at = i * fields;
        continue;
      }
      const handler = this.handlers.get(records[at + eventId]);
      if (handler !== undefined) handler(records[at + word0]);
    }
  }

  /**
   * Delivers TCP record `i` of the batch; consecutive DATA records of one event are coalesced
   * into one buffer (one allocation, one handler call). Returns the index after what it used.
   */
  private tcpRecord(records: Float64Array, i: number, count: number): number {
    const { fields, eventId, type, word0, word1, dataOffset, dataLength } = this.layout;
    const at = i * fields;
    const id = records[at + eventId];
    const kind = records[at + word0];
    const handler = this.tcpHandlers.get(id);
    const data = this.device.data;
    if (kind === TCP_DATA) {
      let end = i + 1;
      let total = records[at + dataLength];
      while (
        end < count &&
        records[end * fields + type] === REC_TCP &&
        records[end * fields + eventId] === id &&
        records[end * fields + word0] === TCP_DATA
      ) {
        total += records[end * fields + dataLength];
        end++;
      }
      if (handler === undefined) return end;
      const chunk = Buffer.allocUnsafe(total);
      for (let j = i, to = 0; j < end; j++) {
        const o = records[j * fields + dataOffset];
        const n = records[j * fields + dataLength];
        chunk.set(data.subarray(o, o + n), to);
        to += n;
      }
      handler({ type: 'data', data: chunk });
      return end;
    }
    if (handler === undefined) return i + 1;
    const value = records[at + word1];
    switch (kind) {
      case TCP_ACCEPT: {
        const o = records[at + dataOffset];
        const peer = decodePeer(data.subarray(o, o + records[at + dataLength]));
        handler({ type: 'accept', fd: value, ...peer });
        break;
      }
      case TCP_CONNECTED:
        handler({ type: 'connected' });
        break;
      case TCP_WRITABLE:
        handler({ type: 'writable' });
        break;
      case TCP_PEER_CLOSED:
        handler({ type: 'peer-closed' });
        break;
      case TCP_ERROR:
        handler({ type: 'error', errno: value, code: this.kernelTcp?.errnoName(value) ?? 'EIO' });
        break;
      default:
        break;
    }
    return i + 1;
  }
}

/** `struct aem_tcp_addr` (family, port, scope id, 16 address bytes) → address and port. */
function decodePeer(bytes: Uint8Array): { remoteAddress: string; remotePort: number } {
  if (bytes.length < 24) return { remoteAddress: '', remotePort: 0 };
  const family = bytes[0] | (bytes[1] << 8);
  const port = bytes[2] | (bytes[3] << 8);
  if (family === AF_INET)
    return { remoteAddress: `${bytes[8]}.${bytes[9]}.${bytes[10]}.${bytes[11]}`, remotePort: port };
  if (family !== AF_INET6) return { remoteAddress: '', remotePort: port };
  const groups: string[] = [];
  for (let g = 0; g < 8; g++)
    groups.push(((bytes[8 + 2 * g] << 8) | bytes[9 + 2 * g]).toString(16));
  // The longest run of zero groups (two or more) becomes '::', as node:net prints addresses.
  let best = -1;
  let bestLength = 1;
  for (let g = 0; g < 8;) {
    if (groups[g] !== '0') {
      g++;
      continue;
    }
    let end = g;
    while (end < 8 && groups[end] === '0') end++;
    if (end - g > bestLength) {
      best = g;
      bestLength = end - g;
    }
    g = end;
  }
  const text =
    best < 0
      ? groups.join(':')
      : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
  return { remoteAddress: text, remotePort: port };
}
