import type { KernelChannel, KernelRecordBatch } from '@aem/core';

/** Addresses of a kernel-path socket (`getsockname` / `getpeername`). @internal */
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
 *
 * @internal
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
 * Asynchronous sockets provided by the kernel (the `aem_tcp` module), reached through the `kmod`
 * backend's generic {@link KernelChannel}; this file owns the service's formats (the attach
 * argument `struct aem_tcp_args`, the record `struct aem_tcp_record` and its peer address). Accepted connections and received bytes arrive as ring records,
 * drained in batches with the other services' records; sending stays a `write`/`writev` on the
 * fd. Every fd it returns is non-blocking and close-on-exec.
 *
 * @internal
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

/** The binding's socket calls (the `sock` native table of `@aem/kmod/binding`). */
interface KmodSock {
  listen(host: string, port: number, backlog: number): number;
  connect(host: string, port: number): number;
  write(fd: number, data: Uint8Array): number;
  writev(fd: number, data: readonly Uint8Array[]): number;
  shutdown(fd: number): number;
  close(fd: number): number;
  addresses(fd: number): KernelTcpAddresses;
  errnoName(errno: number): string;
}

/** Name and version of the kernel TCP service (`aem_tcp.ko`) this package binds. */
const KERNEL_TCP = { name: 'tcp', version: '1.0.0' } as const;
/** Record type of the kernel TCP service (`AEM_REC_TCP`). */
const REC_TCP = 2;
/** Calls of the kernel TCP service (`AEM_TCP_CALL_*`). */
const CALL_LISTENER = 0;
const CALL_CONNECTION = 1;
/** `struct aem_tcp_args.flags`: report CONNECTED. */
const TCP_F_CONNECT = 1;
/** `sizeof(struct aem_tcp_args)`: `fd`, `flags`, `chunk`, `reserved` (32 bits each). */
const TCP_ARGS_SIZE = 16;
/** `struct aem_tcp_record.kind` values (`AEM_TCP_*`). */
const TCP_ACCEPT = 1;
const TCP_DATA = 2;
const TCP_CONNECTED = 3;
const TCP_WRITABLE = 4;
const TCP_PEER_CLOSED = 5;
const TCP_ERROR = 6;
const AF_INET = 2;
const AF_INET6 = 10;

/** Keep-alive references: an attached socket holds the process open, as a `node:net` one does. */
interface KeepAlive {
  ref(): void;
  unref(): void;
}

/**
 * Binds the kernel TCP service through `kernel`.
 *
 * @param kernel - the kmod backend's channel.
 * @param keepAlive - the backend's keep-alive references.
 * @returns `undefined` when `aem_tcp.ko` is not loaded or the binding has no socket calls.
 * @internal
 */
export function openKernelTcp(kernel: KernelChannel, keepAlive: KeepAlive): KernelTcp | undefined {
  const sock = kernel.native('sock') as KmodSock | undefined;
  if (sock === undefined) return undefined;
  const service = kernel.lookup(KERNEL_TCP.name, KERNEL_TCP.version);
  if (service === undefined) return undefined;
  const handlers = new Map<number, (event: KernelTcpEvent) => void>();
  const errnoName = (errno: number): string => sock.errnoName(errno);
  service.receive(REC_TCP, (batch, i) => decodeRecord(batch, i, handlers, errnoName));
  const args = new Uint8Array(TCP_ARGS_SIZE);
  const view = new DataView(args.buffer);
  return {
    listen: (host, port, backlog) => sock.listen(host, port, backlog),
    connect: (host, port) => sock.connect(host, port),
    attach: (fd, kind, onEvent) => {
      view.setInt32(0, fd, true);
      view.setUint32(4, kind === 'connecting' ? TCP_F_CONNECT : 0, true);
      const id = service.attach(kind === 'listener' ? CALL_LISTENER : CALL_CONNECTION, args);
      handlers.set(id, onEvent);
      keepAlive.ref();
      return id;
    },
    pause: (id) => {
      if (handlers.has(id)) service.stop(id);
    },
    resume: (id) => {
      if (handlers.has(id)) service.start(id);
    },
    detach: (id) => {
      if (!handlers.delete(id)) return;
      keepAlive.unref();
      service.detach(id);
    },
    write: (fd, data) => sock.write(fd, data),
    writev: (fd, chunks) => sock.writev(fd, chunks),
    shutdown: (fd) => void sock.shutdown(fd),
    close: (fd) => void sock.close(fd),
    addresses: (fd) => sock.addresses(fd),
    errnoName,
    get attached(): number {
      return handlers.size;
    },
  };
}

/**
 * Delivers TCP record `i` of the batch; consecutive DATA records of one event are coalesced
 * into one buffer (one allocation, one handler call). Returns the index after what it used.
 */
function decodeRecord(
  batch: KernelRecordBatch,
  i: number,
  handlers: ReadonlyMap<number, (event: KernelTcpEvent) => void>,
  errnoName: (errno: number) => string,
): number {
  const { records, count, data } = batch;
  const { fields, eventId, type, word0, word1, dataOffset, dataLength } = batch.layout;
  const at = i * fields;
  const id = records[at + eventId];
  const kind = records[at + word0];
  const handler = handlers.get(id);
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
      handler({ type: 'error', errno: value, code: errnoName(value) });
      break;
    default:
      break;
  }
  return i + 1;
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
