// SPDX-License-Identifier: GPL-2.0-only OR MIT
// Types of the Node-API binding to /dev/aem (binding/index.js).

/** A bound service version (from `KmodDevice.lookup`). */
export interface KmodService {
  readonly serviceId: number;
  /** `major.minor.patch` of the version bound. */
  readonly version: string;
  readonly firstCall: number;
  readonly ncalls: number;
}

export interface KmodAbi {
  readonly abiVersion: number;
  readonly pageSize: number;
  readonly maxRingPages: number;
  readonly maxEvents: number;
  readonly maxBindings: number;
  readonly recordHeaderSize: number;
  /** Doubles per record in a batch (`FIELDS`). */
  readonly fields: number;
}

export interface KmodStats {
  readonly wakeups: number;
  readonly records: number;
  readonly dropped: number;
  readonly ringFlags: number;
}

/**
 * Called once per wake-up with `count` records in `records` (FIELDS doubles each, see
 * {@link RECORD_FIELD}); the array is reused: read it before returning.
 */
export type KmodBatchHandler = (count: number, records: Float64Array) => void;

/** One AEM context on /dev/aem. Errors carry `code` (the AEM error codes) and `errno`. */
export class KmodDevice {
  constructor(options?: { path?: string; ringPages?: number; batch?: number });
  readonly records: Float64Array;
  /** The bytes of the current batch's TCP and UDP records (see {@link RECORD_FIELD}). */
  readonly data: Uint8Array;
  readonly batch: number;
  abi(): KmodAbi;
  lookup(name: string, version: string | number, options?: { exact?: boolean }): KmodService;
  entry(
    service: KmodService,
    call: number,
    args: Uint8Array | null,
    options?: { userData?: number | bigint; priority?: number; start?: boolean },
  ): number;
  timer(
    service: KmodService,
    options: {
      initialNs: number | bigint;
      intervalNs?: number | bigint;
      userData?: number | bigint;
      start?: boolean;
    },
  ): number;
  tcpAttach(
    service: KmodService,
    fd: number,
    options?: {
      listener?: boolean;
      connect?: boolean;
      chunk?: number;
      userData?: number | bigint;
      priority?: number;
      start?: boolean;
    },
  ): number;
  udpAttach(
    service: KmodService,
    fd: number,
    options?: { userData?: number | bigint; priority?: number; start?: boolean },
  ): number;
  /** `AEM_IOC_CONTROL`: operation `op` of the event's service on `arg` (read and written in place). */
  control(eventId: number, op: number, arg: Uint8Array): number;
  start(eventId: number): void;
  stop(eventId: number): void;
  shutdown(eventId: number): void;
  setPriority(eventId: number, priority: number): void;
  listen(handler: KmodBatchHandler): void;
  unlisten(): void;
  ref(): void;
  unref(): void;
  stats(): KmodStats;
  close(): void;
}

export interface KmodRecord {
  eventId: number;
  type: number;
  priority: number;
  userData: number;
  word0: number;
  word1: number;
}

export function decodeRecord(records: Float64Array, index: number): KmodRecord;
export function packVersion(version: string | number): number;
export function unpackVersion(version: number): string;

export const RECORD_FIELD: Readonly<{
  eventId: 0;
  type: 1;
  priority: 2;
  userData: 3;
  word0: 4;
  word1: 5;
  dataOffset: 6;
  dataLength: 7;
}>;
export const RECORD_TYPE: Readonly<{ timer: 1; tcp: 2; udp: 3 }>;
export const TCP_KIND: Readonly<{
  accept: 1;
  data: 2;
  connected: 3;
  writable: 4;
  peerClosed: 5;
  error: 6;
}>;

export const UDP_KIND: Readonly<{ datagram: 1; drops: 2; writable: 3; error: 4 }>;
export const UDP_OP: Readonly<{ send: 1 }>;

/** Addresses of a socket. */
export interface SockAddresses {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** Socket calls around the kernel TCP and UDP services (non-blocking, close-on-exec fds). */
export const sock: Readonly<{
  listen(host: string, port: number, backlog: number): number;
  connect(host: string, port: number): number;
  udpBind(
    host: string,
    port: number,
    reusePort: boolean,
    recvBufferSize: number,
    sendBufferSize: number,
  ): number;
  write(fd: number, data: Uint8Array): number;
  writev(fd: number, data: readonly Uint8Array[]): number;
  shutdown(fd: number): number;
  close(fd: number): number;
  addresses(fd: number): SockAddresses;
  error(fd: number): number;
  errnoName(errno: number): string;
}>;
/**
 * Batched UDP I/O in userspace (recvmmsg/sendmmsg), for @aem/udp's `mmsg` transport. Watches a
 * bound, non-blocking UDP socket from construction until {@link UdpBatch.close}; the fd stays
 * the caller's to close, after `close()`.
 */
export class UdpBatch {
  /**
   * @param fd - a bound UDP socket (`sock.udpBind`).
   * @param area - `slots × slotSize` bytes: slot i holds a datagram's `struct aem_udp_addr` (24
   *   bytes), then its payload.
   * @param lengths - one entry per slot (1 to {@link UDP_BATCH_SLOTS_MAX}): `lengths[i]` is slot
   *   i's size (24 + payload) after a read.
   * @param slotSize - bytes per slot (more than 24).
   * @param onBatch - called once per read, with how many slots hold datagrams.
   * @param onWritable - called once the socket can send again after a blocked `send`.
   * @param onError - a positive errno the socket reported (reading goes on); `EMSGSIZE` for a
   *   datagram larger than its slot, which is not delivered.
   */
  constructor(
    fd: number,
    area: Uint8Array,
    lengths: Int32Array,
    slotSize: number,
    onBatch: (count: number) => void,
    onWritable: () => void,
    onError: (errno: number) => void,
  );
  /**
   * Sends the datagrams of an `AEM_UDP_OP_SEND` argument (`struct aem_udp_send`, then per
   * datagram `struct aem_udp_msg` and its bytes padded to 8), writing its out fields as the
   * kernel service does; returns how many datagrams it handled. Throws for a malformed argument
   * (nothing sent) or a closed batch (`EBADF`).
   */
  send(arg: Uint8Array): number;
  /** Stops watching the socket. Idempotent. */
  close(): void;
  /** Holds the event loop open while watching (the default). */
  ref(): void;
  /** Lets the event loop end while watching. */
  unref(): void;
}
/** Most slots of one {@link UdpBatch}. */
export const UDP_BATCH_SLOTS_MAX: number;
export const FIELDS: number;
export const EVCTL: Readonly<{ start: 1; stop: 2; shutdown: 3; priority: 4 }>;
export const ABI_VERSION: number;

/** Benchmark peer: one timerfd per timer, one read() and one JS call per expiry. */
export class TimerfdBaseline {
  constructor(count: number, periodNs: number, handler: (index: number, expirations: number) => void);
  close(): void;
}
