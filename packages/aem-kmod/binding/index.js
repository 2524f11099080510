// SPDX-License-Identifier: GPL-2.0-only OR MIT
'use strict';
// The JS face of the Node-API binding to /dev/aem (aem_binding.c): one KmodDevice is one
// AEM context.  Records arrive in batches, one handler call per wake-up, in a Float64Array of
// FIELDS doubles per record (see RECORD_FIELD).  Errors carry the same `code` strings as
// @aem/core's errors, plus `errno`.
const path = require('node:path');

function loadNative() {
  const root = path.join(__dirname, '..');
  const candidates = [
    process.env.AEM_KMOD_BINDING,
    path.join(__dirname, 'build', 'Release', 'aem.node'), // node-gyp, run in binding/
    path.join(root, 'build', 'aem.node'), // make binding
  ].filter(Boolean);
  let lastError;
  for (const file of candidates) {
    try {
      return require(file);
    } catch (error) {
      lastError = error;
    }
  }
  const error = new Error(
    `the @aem/kmod native binding is not built (tried ${candidates.join(', ')}): ${lastError?.message}`,
  );
  error.code = 'AEM_BACKEND_UNAVAILABLE';
  throw error;
}

const native = loadNative();

/** Index of each field inside one record's slot of `device.records`. */
const RECORD_FIELD = Object.freeze({
  eventId: 0,
  type: 1,
  priority: 2,
  userData: 3,
  /** timers: expirations since the previous record; tcp, udp: the record's kind (TCP_KIND, UDP_KIND) */
  word0: 4,
  /**
   * timers: CLOCK_MONOTONIC time of the last expiry, ns; tcp: the new fd (accept) or errno; udp:
   * a datagram's receive time (CLOCK_REALTIME, ns), the socket's drop count, or an errno
   */
  word1: 5,
  /** tcp, udp: offset of the record's bytes in `device.data` */
  dataOffset: 6,
  /** tcp, udp: their length (udp datagram: the 24-byte peer address, then the payload) */
  dataLength: 7,
});
const FIELDS = native.FIELDS;
const RECORD_TYPE = Object.freeze({ timer: 1, tcp: 2, udp: 3 });
/** Kinds of TCP records (`struct aem_tcp_record.kind`). */
const TCP_KIND = Object.freeze({
  accept: 1,
  data: 2,
  connected: 3,
  writable: 4,
  peerClosed: 5,
  error: 6,
});
/** Kinds of UDP records (`struct aem_udp_record.kind`). */
const UDP_KIND = Object.freeze({ datagram: 1, drops: 2, writable: 3, error: 4 });
/** Operations of the UDP service's `control` (`AEM_UDP_OP_*`). */
const UDP_OP = Object.freeze({ send: 1 });
const TCP_CALL = Object.freeze({ listener: 0, connection: 1 });
const UDP_CALL_SOCKET = 0;
const TCP_F_CONNECT = 1;
const EVCTL = Object.freeze({ start: 1, stop: 2, shutdown: 3, priority: 4 });
const ENTRY_START = 1;
const LOOKUP_EXACT = 1;
const TIMER_CALL_CREATE = 0;

/** `'1.2.3'` → 0x010203; a number passes through. */
function packVersion(version) {
  if (typeof version === 'number') return version;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(version));
  if (!m || m.slice(1).some((p) => Number(p) > 255)) {
    const error = new RangeError(`version must be "major.minor.patch" (0..255 each), got ${version}`);
    error.code = 'AEM_INVALID_ARGUMENT';
    throw error;
  }
  return (Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3]);
}

function unpackVersion(v) {
  return `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`;
}

class KmodDevice {
  /**
   * @param {{ path?: string, ringPages?: number, batch?: number }} [options]
   *   ringPages: data pages of the ring (power of two); batch: most records per handler call.
   */
  constructor({ path: devicePath = '/dev/aem', ringPages = 64, batch = 1024 } = {}) {
    this.native = new native.Device(devicePath, ringPages, batch);
    /** Float64Array: FIELDS doubles per record of the current batch. */
    this.records = this.native.records;
    /** Uint8Array: the bytes of the current batch's TCP records (see RECORD_FIELD.dataOffset). */
    this.data = this.native.data;
    this.batch = batch;
  }

  /** ABI version and limits of the running aem_core. */
  abi() {
    return this.native.abi();
  }

  /**
   * Binds a service version: the newest loaded one with the same major and at least `version`
   * (exactly it with `{ exact: true }`).
   */
  lookup(name, version, { exact = false } = {}) {
    const info = this.native.lookup(name, packVersion(version), exact ? LOOKUP_EXACT : 0);
    return { ...info, version: unpackVersion(info.version) };
  }

  /** Registers an event through `call` (0-based) of a bound service; returns its id. */
  entry(service, call, args, { userData = 0, priority = 0, start = false } = {}) {
    return this.native.entry(
      service.serviceId,
      service.firstCall + call,
      args ?? null,
      userData,
      priority,
      start ? ENTRY_START : 0,
    );
  }

  /** A timer of the `timers` service; periodic when `intervalNs` > 0. Returns its id. */
  timer(service, { initialNs, intervalNs = 0, userData = 0, start = true }) {
    return this.native.timerCreate(
      service.serviceId,
      service.firstCall + TIMER_CALL_CREATE,
      initialNs,
      intervalNs,
      userData,
      start ? ENTRY_START : 0,
    );
  }

  /**
   * Attaches an event of the `tcp` service to socket `fd`: a listening socket (`listener: true`:
   * accept records) or a connected one (data, writable, peer-closed, error records; with
   * `connect: true` also connecting, and a `connected` record). Returns the event id.
   */
  tcpAttach(
    service,
    fd,
    { listener = false, connect = false, chunk = 0, userData = 0, priority = 0, start = true } = {},
  ) {
    const args = new Uint8Array(16);
    const view = new DataView(args.buffer);
    view.setInt32(0, fd, true);
    view.setUint32(4, connect ? TCP_F_CONNECT : 0, true);
    view.setUint32(8, chunk, true);
    return this.entry(service, listener ? TCP_CALL.listener : TCP_CALL.connection, args, {
      userData,
      priority,
      start,
    });
  }

  /**
   * Attaches an event of the `udp` service to the bound UDP socket `fd`: a record per datagram
   * (with the peer's address and the receive time), drops, writable and error records. Returns
   * the event id.
   */
  udpAttach(service, fd, { userData = 0, priority = 0, start = true } = {}) {
    const args = new Uint8Array(16);
    new DataView(args.buffer).setInt32(0, fd, true);
    return this.entry(service, UDP_CALL_SOCKET, args, { userData, priority, start });
  }

  /**
   * Runs operation `op` of an event's service (`AEM_IOC_CONTROL`) on the bytes of `arg`, which
   * the kernel reads in place and may write results back into. Returns the service's result.
   */
  control(eventId, op, arg) {
    return this.native.control(eventId, op, arg);
  }

  start(eventId) {
    this.native.evctl(eventId, EVCTL.start, 0);
  }

  stop(eventId) {
    this.native.evctl(eventId, EVCTL.stop, 0);
  }

  shutdown(eventId) {
    this.native.evctl(eventId, EVCTL.shutdown, 0);
  }

  setPriority(eventId, priority) {
    this.native.evctl(eventId, EVCTL.priority, priority);
  }

  /**
   * Watches the device: `handler(count, records)` runs once per wake-up with `count` records in
   * `records` (valid until the handler returns).  The watch holds the event loop open until
   * `unref()`.
   */
  listen(handler) {
    const records = this.records;
    this.native.start((count) => handler(count, records));
  }

  /** Stops watching; records stay in the ring. */
  unlisten() {
    this.native.stop();
  }

  ref() {
    this.native.ref();
  }

  unref() {
    this.native.unref();
  }

  /** { wakeups, records, dropped, ringFlags } */
  stats() {
    return this.native.stats();
  }

  /** Tears down every event of this context. Idempotent. */
  close() {
    this.native.close();
  }
}

/** Decodes record `i` of a batch into an object (convenient, slower than reading the array). */
function decodeRecord(records, i) {
  const o = i * FIELDS;
  return {
    eventId: records[o],
    type: records[o + 1],
    priority: records[o + 2],
    userData: records[o + 3],
    word0: records[o + 4],
    word1: records[o + 5],
  };
}

module.exports = {
  KmodDevice,
  decodeRecord,
  packVersion,
  unpackVersion,
  RECORD_FIELD,
  RECORD_TYPE,
  FIELDS,
  EVCTL,
  ABI_VERSION: native.ABI_VERSION,
  /** Benchmark peer: `new TimerfdBaseline(count, periodNs, handler(index, expirations))`. */
  TimerfdBaseline: native.TimerfdBaseline,
  TCP_KIND,
  UDP_KIND,
  UDP_OP,
  /**
   * Batched UDP I/O in userspace (aem_udp_batch.c), for @aem/udp's `mmsg` transport:
   * `new UdpBatch(fd, area, lengths, slotSize, onBatch(count), onWritable(), onError(errno))`
   * watches a bound UDP socket; each wake-up reads up to `lengths.length` datagrams with one
   * recvmmsg into `area` (slot i: `struct aem_udp_addr`, then the payload; `lengths[i]` its size)
   * and calls `onBatch` once. `send(arg)` sends an
   * AEM_UDP_OP_SEND argument with sendmmsg and returns how many datagrams it handled.
   */
  UdpBatch: native.UdpBatch,
  /** Most slots of one UdpBatch (recvmmsg's vector). */
  UDP_BATCH_SLOTS_MAX: native.UDP_BATCH_SLOTS_MAX,
  /** Socket calls around the kernel TCP and UDP services (non-blocking, close-on-exec fds). */
  sock: Object.freeze({
    /** A listening socket on a numeric host ('' for any IPv4); returns the fd. Throws. */
    listen: native.sockListen,
    /** A non-blocking connect to a numeric host; returns the connecting fd. Throws. */
    connect: native.sockConnect,
    /**
     * A bound UDP socket: `(host, port, reusePort, recvBufferSize, sendBufferSize)` (sizes 0 for
     * the defaults); returns the fd. Throws (`EADDRINUSE`, …).
     */
    udpBind: native.sockUdpBind,
    /** write(); bytes written or a negative errno (-11: EAGAIN). */
    write: native.sockWrite,
    /** writev() of up to 64 pieces; bytes written or a negative errno. */
    writev: native.sockWritev,
    /** shutdown(SHUT_WR); 0 or a negative errno. */
    shutdown: native.sockShutdown,
    /** close(); 0 or a negative errno. */
    close: native.sockClose,
    /** { localAddress, localPort, remoteAddress, remotePort, family }. Throws. */
    addresses: native.sockAddresses,
    /** SO_ERROR: a positive errno or 0. */
    error: native.sockError,
    /** 'ECONNRESET' for 104 (or -104). */
    errnoName: native.errnoName,
  }),
};
