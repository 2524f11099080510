import {
  QueueFullError,
  type AemEvent,
  type CallContext,
  type Domain,
  type EventOptions,
  type ServiceBinding,
} from '@aem/core';
import type { Observable } from 'rxjs';
import { ConnectionClosedError } from './errors/connection-closed.error';
import { NoFramerError } from './errors/no-framer.error';
import { SocketFailedError } from './errors/socket-failed.error';
import type { Framer, FramerFactory } from './framers/framer';
import type { IdleSweeper } from './idle-sweeper';
import type { TcpCloseInfo, TcpCloseReason } from './tcp-close-info';
import type { ConnectionLimits } from './tcp-limits';
import type { TcpServiceState } from './tcp-service-state';
import type { TransportSocket } from './transport/transport';

/** Sends of one tick up to this size are copied into one buffer; larger batches use writev. */
const COALESCE_BYTES = 65_536;

/** Why reading is paused; reading resumes when no reason is left. */
const NO_CONSUMER = 1;
const BACKPRESSURE = 2;
const TOTAL_LIMIT = 4;
const CLOSING = 8;

/** What a connection reports to whoever owns it (its server, or the service for clients). @internal */
export interface ConnectionOwner {
  /** Message sinks registered on the owner (a server's), that see this connection's messages too. */
  readonly messageSinks: readonly CallContext<TcpMessage>[];
  /** The name of the connection's domain, asked for when the domain is first needed. */
  _domainName(connection: TcpConnection): string;
  /** The connection closed. */
  _connectionClosed(connection: TcpConnection, info: TcpCloseInfo): void;
}

/**
 * One framed message: what a message handler receives — the bytes, the connection to answer
 * on, and where it came from.
 */
export interface TcpMessage {
  /** The frame (a view of the received bytes; copy it to keep it long). */
  readonly data: Buffer;
  /** The connection it arrived on; `send` the answer there. */
  readonly connection: TcpConnection;
  /** The peer's address. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
}

/** Everything a connection is built with. @internal */
export interface ConnectionSetup {
  readonly socket: TransportSocket;
  readonly state: TcpServiceState;
  /**
   * The service's own binding, where the connection registers its events. Untyped here: its
   * typed form names the service definition, which names this file (an import cycle).
   */
  readonly events: ServiceBinding;
  readonly owner: ConnectionOwner;
  /** Makes the connection's framer (when its first bytes arrive), or null for raw bytes only. */
  readonly framer: FramerFactory | null;
  readonly limits: ConnectionLimits;
  readonly sweeper: IdleSweeper | null;
}

/**
 * The connection a socket belongs to. The socket listeners are shared by every connection (they
 * find theirs here), so an idle connection carries no closures of its own.
 */
const CONNECTION = Symbol('aem.tcp.connection');

/** A socket that knows its connection (see CONNECTION). */
type OwnedSocket = TransportSocket & { [CONNECTION]: TcpConnection };

/**
 * Shared by every connection's lists until their first element: most connections never get a
 * connection-level sink or a drain waiter, and an idle one has nothing to send (a client's owner
 * has no server-level sinks at all). Frozen, so a push onto it fails loudly.
 *
 * @internal
 */
export const EMPTY: never[] = Object.freeze([]) as never[];

/**
 * One TCP connection, accepted by a {@link TcpServer} or opened by {@link Tcp.connect}.
 *
 * It is a serialization domain ({@link TcpConnection.domain}): its message, data and accept
 * activations run one at a time, an async handler awaited before the next, while other
 * connections interleave.
 *
 * Reading is flow-controlled: it starts when a consumer registers (`onMessage`, `messages`,
 * `onData`, `data`, or a server-level handler) and pauses while more than
 * `limits.maxQueuedMessages` messages or `limits.maxBufferedBytes` bytes wait for handlers,
 * so a slow consumer slows the peer through TCP instead of growing memory.
 *
 * Writes are batched per tick: every `send` in one tick reaches the kernel in one `writev`.
 *
 * @example
 * ```ts
 * connection.onMessage(async ({ data }) => {
 *   const reply = await lookup(data);
 *   if (!connection.send(reply)) await connection.drained();
 * });
 * const { reason } = await connection.closed;
 * ```
 */
export class TcpConnection {
  /** Service-unique connection id. */
  readonly id: number;
  /** The peer's address. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
  /** The local address. */
  readonly localAddress: string;
  /** The local port. */
  readonly localPort: number;
  /** The limits in force. */
  readonly limits: ConnectionLimits;

  /** @internal Sweep tick of the last activity (see IdleSweeper). */
  _lastActiveTick = 0;

  private readonly socket: TransportSocket;
  private readonly service: TcpServiceState;
  private readonly events: ServiceBinding;
  private readonly owner: ConnectionOwner;
  /** Makes the framer; the framer itself is made with the first bytes (idle connections have none). */
  private readonly newFramer: FramerFactory | null;
  private framer: Framer | null = null;
  /** Made when first needed (see `domain`). */
  private ownDomain: Domain | null = null;
  private readonly sweeper: IdleSweeper | null;
  private messageSinks: CallContext<TcpMessage>[] = EMPTY;
  private dataSinks: CallContext<Buffer>[] = EMPTY;
  private pauseReasons = NO_CONSUMER;
  private queuedMessages = 0;
  private queuedBytes = 0;
  /** A frame refused by a full dispatcher queue, and the index of the first sink still owed it. */
  private heldFrame: Buffer | null = null;
  private heldFrameSink = 0;
  /** Sends of the current tick, flushed together on the next tick (see `send`); EMPTY while none. */
  private outbox: Array<Buffer | string> = EMPTY;
  /** Whether the outbox holds a Buffer (else only strings, joined at the flush). */
  private outboxBinary = false;
  private outboxBytes = 0;
  // Close state. `closeReason`/`closeError`: why it closes, set once by the first close path
  // (`beginClose`, or `failed` over a mere `peer`); from then on nothing more is read.
  // `closeInfo`: set once, when the socket is gone (`finished`); `state` derives from the two.
  // The close paths, from gentlest to hardest:
  //   end()             FIN after the queued bytes; reading goes on (half-close, no reason yet)
  //   _stopReading()    server drain, step 1: reason `shutdown`, reading stops, handlers finish
  //   _endWhenHandled() server drain, step 2: FIN once the domain has handled what it received
  //   close()           reason `local`: stop reading, FIN after the queued bytes
  //   destroy()         reason `local`, socket destroyed (unsent bytes dropped)
  //   _idleTimeout()    reason `idle-timeout`, socket destroyed
  //   _shutdown()       reason `shutdown`, socket destroyed (service teardown, drain deadline)
  //   failed()          `framing-error` / `socket-error`, socket destroyed
  private closeInfo: TcpCloseInfo | undefined;
  private closeReason: TcpCloseReason | undefined;
  private closeError: Error | undefined;
  /** Made on the first `closed` read before the close: an idle connection carries one field. */
  private closedSignal: PromiseWithResolvers<TcpCloseInfo> | undefined;
  private drainWaiters: { resolve: () => void; reject: (error: Error) => void }[] = EMPTY;

  /** @internal Created by the service. */
  constructor(id: number, setup: ConnectionSetup) {
    const { socket } = setup;
    this.id = id;
    this.socket = socket;
    this.service = setup.state;
    this.events = setup.events;
    this.owner = setup.owner;
    this.newFramer = setup.framer;
    this.limits = setup.limits;
    this.sweeper = setup.sweeper;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    socket.setNoDelay(true);
    socket.pause();
    (socket as OwnedSocket)[CONNECTION] = this;
    socket.on('data', TcpConnection.onSocketData);
    socket.on('end', TcpConnection.onSocketEnd);
    socket.on('error', TcpConnection.onSocketError);
    socket.on('close', TcpConnection.onSocketClose);
    socket.on('drain', TcpConnection.onSocketDrain);
    this.sweeper?.add(this);
  }

  // The socket listeners, one set for all connections: `this` is the socket.
  private static onSocketData(this: OwnedSocket, chunk: Buffer): void {
    this[CONNECTION].received(chunk);
  }
  private static onSocketEnd(this: OwnedSocket): void {
    this[CONNECTION].peerEnded();
  }
  private static onSocketError(this: OwnedSocket, error: Error): void {
    const connection = this[CONNECTION];
    connection.failed(
      'socket-error',
      new SocketFailedError('io', `${connection.remoteAddress}:${connection.remotePort}`, error),
    );
  }
  private static onSocketClose(this: OwnedSocket): void {
    this[CONNECTION].finished();
  }
  private static onSocketDrain(this: OwnedSocket): void {
    this[CONNECTION].settleDrain();
  }
  private static flushLater(connection: TcpConnection): void {
    connection.flushOutbox();
  }

  /**
   * The connection's serialization domain, named after the peer (`tcp:<address>:<port>`, a
   * client's with `#<local port>`). Made on first use: an idle connection has none.
   */
  get domain(): Domain {
    return (this.ownDomain ??= this.service.createDomain(this.owner._domainName(this)));
  }

  /** `open` until a close starts, `closing` while it completes, then `closed`. */
  get state(): 'open' | 'closing' | 'closed' {
    return this.closeInfo !== undefined
      ? 'closed'
      : this.closeReason !== undefined
        ? 'closing'
        : 'open';
  }

  /** Bytes queued to handlers and not yet delivered. */
  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  /** Framed messages queued to handlers and not yet delivered. */
  get queuedMessageCount(): number {
    return this.queuedMessages;
  }

  /** Bytes sent and not yet handed to the kernel. */
  get writableLength(): number {
    return this.socket.writableLength + this.outboxBytes;
  }

  /** Resolves once the connection is closed, with the reason and byte counts. Never rejects. */
  get closed(): Promise<TcpCloseInfo> {
    if (this.closeInfo !== undefined) return Promise.resolve(this.closeInfo);
    return (this.closedSignal ??= Promise.withResolvers<TcpCloseInfo>()).promise;
  }

  /**
   * Registers a handler for this connection's framed messages (runs in the connection's
   * domain). Shut the returned event down to stop.
   */
  onMessage(
    handler: (message: TcpMessage) => void | PromiseLike<void>,
    options: Omit<EventOptions, 'domain'> = {},
  ): AemEvent<TcpMessage> {
    this._assertFramed();
    return this.events.call('messages', { target: this }, handler, {
      ...options,
      domain: this.domain,
    });
  }

  /** This connection's framed messages as an Observable; completes when the peer ends. */
  get messages(): Observable<TcpMessage> {
    this._assertFramed();
    return this.events.observe('messages', { target: this }, { domain: this.domain });
  }

  /** Registers a handler for the raw received chunks (runs in the connection's domain). */
  onData(
    handler: (chunk: Buffer) => void | PromiseLike<void>,
    options: Omit<EventOptions, 'domain'> = {},
  ): AemEvent<Buffer> {
    return this.events.call('data', { connection: this }, handler, {
      ...options,
      domain: this.domain,
    });
  }

  /** The raw received chunks as an Observable; completes when the peer ends. */
  get data(): Observable<Buffer> {
    return this.events.observe('data', { connection: this }, { domain: this.domain });
  }

  /**
   * Queues bytes for sending. All sends of one tick go to the kernel together (one `writev`).
   *
   * A connection closing while a handler awaits something is a routine race, so sending on a
   * closed connection is a result, not an exception: `send` returns `false` and the bytes are
   * dropped (`state` says which `false` it was). During a graceful server shutdown, handlers of
   * messages already received can still reply: the FIN goes after them.
   *
   * @example
   * ```ts
   * if (!connection.send(reply) && connection.state === 'open') await connection.drained();
   * ```
   * @returns `true` when queued under the mark; `false` when the unsent bytes are over
   *   `limits.writeHighWaterMark` (the bytes are still queued: wait for
   *   {@link TcpConnection.drained} before sending more), or when this side has ended or the
   *   connection is closed (the bytes are dropped).
   */
  send(data: Buffer | Uint8Array | string): boolean {
    const socket = this.socket;
    if (socket.writableEnded || socket.destroyed) return false;
    let item: Buffer | string;
    let length: number;
    if (typeof data === 'string') {
      // Strings stay strings until the flush: a tick of text replies is joined and written
      // as one string, encoded once by the socket, with no Buffer per reply.
      item = data;
      length = Buffer.byteLength(data);
    } else {
      item = Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      length = item.length;
      this.outboxBinary = true;
    }
    if (this.outbox === EMPTY) {
      this.outbox = [item];
      process.nextTick(TcpConnection.flushLater, this);
    } else {
      this.outbox.push(item);
    }
    this.outboxBytes += length;
    if (this.sweeper !== null) this._lastActiveTick = this.sweeper.tick;
    return socket.writableLength + this.outboxBytes <= this.limits.writeHighWaterMark;
  }

  /**
   * Hands the tick's sends to the socket in one write: text is joined into one string; small
   * messages with binary ones among them are copied into one buffer (one `write` call, one
   * syscall — cheaper than a `write` per message even corked); past 64 KiB they go corked, as
   * one `writev`, without the copy.
   */
  private flushOutbox(): void {
    const outbox = this.outbox;
    const bytes = this.outboxBytes;
    const binary = this.outboxBinary;
    this.outbox = EMPTY;
    this.outboxBytes = 0;
    this.outboxBinary = false;
    const socket = this.socket;
    if (socket.destroyed || outbox.length === 0) return;
    if (outbox.length === 1) {
      socket.write(outbox[0]);
    } else if (bytes <= COALESCE_BYTES) {
      socket.write(
        binary
          ? Buffer.concat(
              outbox.map((item) => (typeof item === 'string' ? Buffer.from(item) : item)),
              bytes,
            )
          : outbox.join(''),
      );
    } else {
      socket.cork();
      for (const item of outbox) socket.write(item);
      socket.uncork();
    }
    // Waiters whose bytes the kernel took at once hear it now, not at a 'drain' that may
    // never come (a socket emits it only after a write it had to buffer).
    if (this.drainWaiters.length > 0) this.settleDrain();
  }

  /**
   * Resolves when the unsent bytes are back under `limits.writeHighWaterMark` (at once if they
   * are); rejects with {@link ConnectionClosedError} if the connection closes first.
   */
  drained(): Promise<void> {
    if (this.socket.destroyed)
      return Promise.reject(new ConnectionClosedError(this.id, 'wait for drain'));
    if (this.writableLength <= this.limits.writeHighWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.drainWaiters === EMPTY) this.drainWaiters = [waiter];
      else this.drainWaiters.push(waiter);
    });
  }

  /**
   * Half-closes: sends FIN after the queued bytes; the peer's data still arrives until it
   * closes its side too. The connection then closes with reason `local`.
   */
  end(): void {
    if (this.closeReason !== undefined) return;
    this.flushOutbox();
    this.socket.end();
  }

  /**
   * Closes gracefully: stops reading, sends the queued bytes, then FIN. `closed` resolves with
   * reason `local` (unless another reason came first).
   */
  close(): void {
    this.beginClose('local', undefined);
    this.flushOutbox();
    this.socket.end();
    this.drainToEof();
  }

  /** Closes at once, discarding unsent bytes (RST when data was pending). */
  destroy(): void {
    this.beginClose('local', undefined);
    this.socket.destroy();
  }

  /** @internal */
  _addMessageSink(sink: CallContext<TcpMessage>): void {
    this.messageSinks = [...this.messageSinks, sink];
    this._consumersChanged();
  }

  /** @internal */
  _removeMessageSink(sink: CallContext<unknown>): void {
    this.messageSinks = without(this.messageSinks, sink);
    this._consumersChanged();
  }

  /**
   * @internal True once no more bytes will be read (the peer ended, or a close began): a
   * message or data registration made now is ended at once, so its stream completes.
   */
  get _readingOver(): boolean {
    return this.closeReason !== undefined;
  }

  /** @internal */
  _addDataSink(sink: CallContext<Buffer>): void {
    this.dataSinks = [...this.dataSinks, sink];
    this._consumersChanged();
  }

  /** @internal */
  _removeDataSink(sink: CallContext<unknown>): void {
    this.dataSinks = without(this.dataSinks, sink);
    this._consumersChanged();
  }

  /** @internal The owner's sinks changed (a server-level handler came or went). */
  _consumersChanged(): void {
    if (this.hasConsumers()) this.clearPause(NO_CONSUMER);
    else this.setPause(NO_CONSUMER);
  }

  /**
   * @internal An activation of this connection was delivered or discarded: the source's
   * credit. Reading resumes once half the queue has drained.
   */
  _credit(bytes: number, message: boolean): void {
    if (message) this.queuedMessages--;
    this.queuedBytes -= bytes;
    this.service.removeBuffered(bytes);
    if (
      (this.pauseReasons & BACKPRESSURE) !== 0 &&
      this.queuedMessages <= this.limits.maxQueuedMessages / 2 &&
      this.queuedBytes <= this.limits.maxBufferedBytes / 2
    ) {
      this.pauseReasons &= ~BACKPRESSURE;
      this.pump();
      this.applyPause();
    }
  }

  /** @internal The service-wide total fell under half its limit. */
  _totalRelieved(): void {
    this.clearPause(TOTAL_LIMIT);
  }

  /** @internal Idle for longer than the idle timeout. */
  _idleTimeout(): void {
    this.beginClose('idle-timeout', undefined);
    this.socket.destroy();
  }

  /** @internal The server or the service is shutting down: close now. */
  _shutdown(): void {
    this.beginClose('shutdown', undefined);
    this.socket.destroy();
  }

  /**
   * @internal Graceful part of a server shutdown: stop reading, let the messages already
   * received be handled (and their replies sent), then FIN.
   */
  _stopReading(): void {
    this.beginClose('shutdown', undefined);
  }

  /** @internal True while received messages wait for, or are in, a handler. */
  get _inFlight(): boolean {
    return (
      this.queuedMessages > 0 ||
      this.queuedBytes > 0 ||
      (this.ownDomain !== null && (this.ownDomain.busy || this.ownDomain.queued > 0))
    );
  }

  /**
   * @internal Graceful shutdown, after `_stopReading`: sends FIN once every activation this
   * connection already queued was handled — an async handler's promise included. A job posted
   * into the connection's domain at the lowest priority runs exactly then (a domain runs its
   * work one at a time, in priority then arrival order), so nothing polls. When the domain
   * cannot take the job (the runtime closed, its queue full), FIN goes at once.
   */
  _endWhenHandled(): void {
    if (this.closeInfo !== undefined) return;
    if (!this._inFlight) {
      this._end();
      return;
    }
    let posted = false;
    try {
      posted = this.domain.post(() => this._end(), { priority: 0 });
    } catch {
      // QueueFullError: the domain is at its limit; end now rather than wait unseen.
    }
    if (!posted) this._end();
  }

  /** @internal Sends FIN after the queued bytes. */
  _end(): void {
    if (this.socket.writableEnded) return;
    this.flushOutbox();
    this.socket.end();
    this.drainToEof();
  }

  /**
   * After our FIN: read (and drop) whatever the peer still sends, so its FIN is seen and the
   * socket closes. A paused socket would never see it and would wait for a deadline.
   */
  private drainToEof(): void {
    this.pauseReasons = 0;
    if (this.socket.isPaused()) this.socket.resume();
  }

  private hasConsumers(): boolean {
    return (
      this.messageSinks.length > 0 ||
      this.dataSinks.length > 0 ||
      this.owner.messageSinks.length > 0
    );
  }

  /** @internal Refuses message registrations on a connection without a framer. */
  _assertFramed(): void {
    if (this.newFramer === null) throw new NoFramerError(`connection ${this.id}`);
  }

  private received(chunk: Buffer): void {
    if (this.closeReason !== undefined) return;
    if (this.sweeper !== null) this._lastActiveTick = this.sweeper.tick;
    for (const sink of this.dataSinks) {
      try {
        if (!sink.activate(chunk, this.domain)) continue;
      } catch (error) {
        this.overrun(error);
        continue;
      }
      this.queuedBytes += chunk.length;
      if (this.service.addBuffered(chunk.length)) this.pauseForTotal();
    }
    if (
      this.newFramer !== null &&
      (this.messageSinks.length > 0 || this.owner.messageSinks.length > 0)
    ) {
      (this.framer ??= this.newFramer()).push(chunk);
      this.pump();
    }
    if (this.queuedBytes >= this.limits.maxBufferedBytes) this.pauseReasons |= BACKPRESSURE;
    this.applyPause();
  }

  /** Frames and queues messages until the framer runs dry or a limit pauses reading. A loop. */
  private pump(): void {
    const framer = this.framer;
    if (framer === null || this.closeReason !== undefined) return;
    const limits = this.limits;
    while ((this.pauseReasons & BACKPRESSURE) === 0) {
      if (
        this.queuedMessages >= limits.maxQueuedMessages ||
        this.queuedBytes >= limits.maxBufferedBytes
      ) {
        this.pauseReasons |= BACKPRESSURE;
        break;
      }
      let frame = this.heldFrame;
      let firstSink = this.heldFrameSink;
      if (frame === null) {
        firstSink = 0;
        try {
          frame = framer.next();
        } catch (error) {
          this.failed('framing-error', error as Error);
          return;
        }
        if (frame === null) break;
      }
      this.heldFrame = null;
      const sinks =
        this.messageSinks.length === 0
          ? this.owner.messageSinks
          : this.owner.messageSinks.length === 0
            ? this.messageSinks
            : [...this.messageSinks, ...this.owner.messageSinks];
      const message: TcpMessage = {
        data: frame,
        connection: this,
        remoteAddress: this.remoteAddress,
        remotePort: this.remotePort,
      };
      for (let i = firstSink; i < sinks.length; i++) {
        try {
          if (!sinks[i].activate(message, this.domain)) continue;
        } catch (error) {
          if (!(error instanceof QueueFullError)) throw error;
          // The dispatcher's own queue limit: keep the frame and the sinks still owed it,
          // and retry when credit comes back. Nothing is dropped.
          this.heldFrame = frame;
          this.heldFrameSink = i;
          this.pauseReasons |= BACKPRESSURE;
          return;
        }
        this.queuedMessages++;
        this.queuedBytes += frame.length;
        if (this.service.addBuffered(frame.length)) this.pauseForTotal();
      }
    }
  }

  private overrun(error: unknown): void {
    if (!(error instanceof QueueFullError)) throw error;
    // A raw chunk refused by the dispatcher cannot be held per sink without unbounded memory;
    // the connection fails loudly instead of losing bytes silently.
    this.failed('socket-error', error);
  }

  private pauseForTotal(): void {
    this.pauseReasons |= TOTAL_LIMIT;
    this.service.pauseForTotal(this);
  }

  private setPause(reason: number): void {
    this.pauseReasons |= reason;
    this.applyPause();
  }

  private clearPause(reason: number): void {
    if ((this.pauseReasons & reason) === 0) return;
    this.pauseReasons &= ~reason;
    if (reason !== BACKPRESSURE && this.heldFrame === null) this.pump();
    this.applyPause();
  }

  private applyPause(): void {
    if (this.closeInfo !== undefined) return;
    if (this.pauseReasons === 0) {
      if (this.socket.isPaused()) this.socket.resume();
    } else if (!this.socket.isPaused()) {
      this.socket.pause();
    }
  }

  private peerEnded(): void {
    // The peer will send no more: connection-level streams complete after what is queued.
    for (const sink of this.messageSinks) sink.end();
    for (const sink of this.dataSinks) sink.end();
    if (this.closeReason === undefined) this.closeReason = 'peer';
    if (!this.socket.allowHalfOpen) return;
    if (this.writableLength === 0) this.socket.end();
  }

  private failed(reason: TcpCloseReason, error: Error): void {
    if (this.closeInfo !== undefined) return;
    if (this.closeReason === undefined || this.closeReason === 'peer') {
      this.closeReason = reason;
      this.closeError = error;
    }
    this.pauseReasons |= CLOSING;
    this.socket.destroy();
  }

  private beginClose(reason: TcpCloseReason, error: Error | undefined): void {
    if (this.closeReason === undefined) {
      this.closeReason = reason;
      this.closeError = error;
    }
    this.setPause(CLOSING);
  }

  private finished(): void {
    if (this.closeInfo !== undefined) return;
    this.sweeper?.delete(this);
    const info: TcpCloseInfo = {
      reason: this.closeReason ?? 'peer',
      ...(this.closeError ? { error: this.closeError } : {}),
      bytesRead: this.socket.bytesRead,
      bytesWritten: this.socket.bytesWritten,
    };
    this.closeInfo = info;
    this.heldFrame = null;
    for (const sink of this.messageSinks) sink.end();
    for (const sink of this.dataSinks) sink.end();
    const waiters = this.drainWaiters;
    this.drainWaiters = EMPTY;
    for (const waiter of waiters)
      waiter.reject(new ConnectionClosedError(this.id, 'wait for drain'));
    this.service.forget(this);
    this.owner._connectionClosed(this, info);
    this.closedSignal?.resolve(info);
  }

  private settleDrain(): void {
    if (this.socket.writableLength > this.limits.writeHighWaterMark) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = EMPTY;
    for (const waiter of waiters) waiter.resolve();
  }
}

/** `list` without `item` (a new array, so EMPTY is never touched). */
function without<T>(list: T[], item: unknown): T[] {
  const at = list.indexOf(item as T);
  return at < 0 ? list : list.length === 1 ? EMPTY : list.filter((_, i) => i !== at);
}
