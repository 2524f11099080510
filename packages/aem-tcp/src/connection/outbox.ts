import { ConnectionClosedError } from '../errors/connection-closed.error';
import type { TransportSocket } from '../transport/transport';
import { EMPTY } from './empty-list';

/** Sends of one tick up to this size are copied into one buffer; larger batches use writev. */
const COALESCE_BYTES = 65_536;

/** Someone awaiting `drained()`. */
interface DrainWaiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The sending side of a connection: the sends of one tick, handed to the socket together on the
 * next tick, and the write high-water mark that `send` and `drained()` report against.
 *
 * Unsent bytes are the outbox's plus the socket's own (`socket.writableLength`); `drained()`
 * waiters are settled when that sum is back under the mark — right after a flush the kernel
 * took at once, or at the socket's `drain` — and rejected when the connection closes first.
 *
 * @internal
 */
export class Outbox {
  /**
   * The first send of the current tick, null while none: a tick with one send (a request
   * answered by one reply, the common case) queues it with no array.
   */
  private first: Buffer | string | null = null;
  /** The tick's later sends, in order; EMPTY while there are none. */
  private rest: Array<Buffer | string> = EMPTY;
  /** Whether the tick's sends (`first`, `rest`) hold a Buffer (else only strings, joined at the flush). */
  private binary = false;
  /** Whether they hold a string (a binary batch with none is concatenated as it is). */
  private text = false;
  /** Bytes of the tick's sends (strings as UTF-8). */
  private bytes = 0;
  private waiters: DrainWaiter[] = EMPTY;
  /** `flush` bound to this outbox, made with the first send (an idle connection has none). */
  private flushLater: (() => void) | null = null;

  constructor(
    private readonly socket: TransportSocket,
    /** `limits.writeHighWaterMark`. */
    private readonly highWaterMark: number,
    /** The connection's id, for {@link ConnectionClosedError}. */
    private readonly connectionId: number,
  ) {}

  /** True once this side has ended or the socket is gone: sends are refused. */
  get ended(): boolean {
    return this.socket.writableEnded || this.socket.destroyed;
  }

  /** Bytes sent and not yet handed to the kernel. */
  get unsentBytes(): number {
    return this.socket.writableLength + this.bytes;
  }

  /**
   * Queues bytes for the next tick's flush; the first send of a tick schedules it. The caller
   * checked {@link Outbox.ended}.
   *
   * @returns `true` while the unsent bytes are under the high-water mark.
   */
  queue(data: Buffer | Uint8Array | string): boolean {
    let item: Buffer | string;
    let length: number;
    if (typeof data === 'string') {
      // Strings stay strings until the flush: a tick of text replies is joined and written
      // as one string, encoded once by the socket, with no Buffer per reply.
      item = data;
      length = Buffer.byteLength(data);
      this.text = true;
    } else {
      item = Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      length = item.length;
      this.binary = true;
    }
    if (this.first === null) {
      this.first = item;
      // A callback of its own, so scheduling allocates no argument list per tick.
      process.nextTick((this.flushLater ??= flusher(this)));
    } else if (this.rest === EMPTY) {
      this.rest = [item];
    } else {
      this.rest.push(item);
    }
    this.bytes += length;
    return this.socket.writableLength + this.bytes <= this.highWaterMark;
  }

  /**
   * Hands the tick's sends to the socket in one write: text is joined into one string; small
   * batches with binary sends among them are copied into one buffer (one `write` call, one
   * syscall — cheaper than a `write` per message even corked); past 64 KiB they go corked, as
   * one `writev`, without the copy. Runs on the next tick, and at once before a FIN.
   */
  flush(): void {
    const first = this.first;
    if (first === null) return;
    const rest = this.rest;
    const bytes = this.bytes;
    const binary = this.binary;
    const text = this.text;
    this.first = null;
    this.rest = EMPTY;
    this.bytes = 0;
    this.binary = false;
    this.text = false;
    const socket = this.socket;
    if (socket.destroyed) return;
    if (rest === EMPTY) {
      socket.write(first);
    } else if (bytes <= COALESCE_BYTES) {
      // `rest` is this tick's own array (never EMPTY here): it becomes the whole batch.
      const items = rest;
      items.unshift(first);
      socket.write(
        !binary
          ? items.join('')
          : text
            ? Buffer.concat(
                items.map((item) => (typeof item === 'string' ? Buffer.from(item) : item)),
                bytes,
              )
            : Buffer.concat(items as Buffer[], bytes),
      );
    } else {
      socket.cork();
      socket.write(first);
      for (const item of rest) socket.write(item);
      socket.uncork();
    }
    // Waiters whose bytes the kernel took at once hear it now, not at a 'drain' that may
    // never come (a socket emits it only after a write it had to buffer).
    if (this.waiters.length > 0) this.settle();
  }

  /**
   * Resolves when the unsent bytes are back under the high-water mark (at once if they are);
   * rejects with {@link ConnectionClosedError} when the socket is gone or goes first.
   */
  drained(): Promise<void> {
    if (this.socket.destroyed)
      return Promise.reject(new ConnectionClosedError(this.connectionId, 'wait for drain'));
    if (this.unsentBytes <= this.highWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.waiters === EMPTY) this.waiters = [waiter];
      else this.waiters.push(waiter);
    });
  }

  /** Resolves the `drained()` waiters if the socket's own queue is under the mark (its `drain`). */
  settle(): void {
    if (this.socket.writableLength > this.highWaterMark) return;
    const waiters = this.waiters;
    this.waiters = EMPTY;
    for (const waiter of waiters) waiter.resolve();
  }

  /** The socket is gone: the `drained()` waiters are rejected. */
  socketClosed(): void {
    const waiters = this.waiters;
    this.waiters = EMPTY;
    for (const waiter of waiters)
      waiter.reject(new ConnectionClosedError(this.connectionId, 'wait for drain'));
  }
}

/**
 * `outbox.flush` as a callback. Made here, not in `queue`: a closure over `this` there would
 * make every `queue` call allocate a context for it, the allocation this saves.
 */
function flusher(outbox: Outbox): () => void {
  return () => outbox.flush();
}
