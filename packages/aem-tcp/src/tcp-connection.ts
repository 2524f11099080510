import type {
  AemEvent,
  CallContext,
  Domain,
  EventOptions,
  ServiceBinding,
} from '@aem/core';
import type { Observable } from 'rxjs';
import { CloseState } from './connection/close-state';
import { Outbox } from './connection/outbox';
import { ReadGate } from './connection/read-gate';
import { NoFramerError } from './errors/no-framer.error';
import { SocketFailedError } from './errors/socket-failed.error';
import type { FramerFactory } from './framers/framer';
import type { IdleSweeper } from './idle-sweeper';
import type { TcpCloseInfo, TcpCloseReason } from './tcp-close-info';
import type { ConnectionLimits } from './tcp-limits';
import type { TcpServiceState } from './tcp-service-state';
import type { TransportSocket } from './transport/transport';

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
// Three parts, one job each: the read gate (socket → handlers, and when the socket reads), the
// outbox (sends → socket, batched per tick), the close state (why and when it closed). This
// class is the public face, the socket's listeners, and the close paths that drive all three.
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
  private readonly sweeper: IdleSweeper | null;
  /** Made when first needed (see `domain`). */
  private ownDomain: Domain | null = null;
  private readonly gate: ReadGate<TcpConnection>;
  private readonly outbox: Outbox;
  private readonly closeState = new CloseState();

  /** @internal Created by the service. */
  constructor(id: number, setup: ConnectionSetup) {
    const { socket } = setup;
    this.id = id;
    this.socket = socket;
    this.service = setup.state;
    this.events = setup.events;
    this.owner = setup.owner;
    this.limits = setup.limits;
    this.sweeper = setup.sweeper;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.gate = new ReadGate(this, socket, setup.framer, setup.limits, setup.state, setup.owner);
    this.outbox = new Outbox(socket, setup.limits.writeHighWaterMark, id);
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

  /** Bytes arrived: the read gate hands them to the handlers (dropped once a close began). */
  private static onSocketData(this: OwnedSocket, chunk: Buffer): void {
    const connection = this[CONNECTION];
    const gate = connection.gate;
    if (!gate.open) return;
    if (connection.sweeper !== null) connection._lastActiveTick = connection.sweeper.tick;
    gate.received(chunk);
  }
  private static onSocketEnd(this: OwnedSocket): void {
    this[CONNECTION].peerEnded();
  }
  private static onSocketError(this: OwnedSocket, error: Error): void {
    const connection = this[CONNECTION];
    connection._failed(
      'socket-error',
      new SocketFailedError('io', `${connection.remoteAddress}:${connection.remotePort}`, error),
    );
  }
  private static onSocketClose(this: OwnedSocket): void {
    this[CONNECTION].finished();
  }
  private static onSocketDrain(this: OwnedSocket): void {
    this[CONNECTION].outbox.settle();
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
    return this.closeState.phase;
  }

  /** Bytes queued to handlers and not yet delivered. */
  get bufferedBytes(): number {
    return this.gate.queuedBytes;
  }

  /** Framed messages queued to handlers and not yet delivered. */
  get queuedMessageCount(): number {
    return this.gate.queuedMessages;
  }

  /** Bytes sent and not yet handed to the kernel. */
  get writableLength(): number {
    return this.outbox.unsentBytes;
  }

  /** Resolves once the connection is closed, with the reason and byte counts. Never rejects. */
  get closed(): Promise<TcpCloseInfo> {
    return this.closeState.promise;
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
    const outbox = this.outbox;
    if (outbox.ended) return false;
    if (this.sweeper !== null) this._lastActiveTick = this.sweeper.tick;
    return outbox.queue(data);
  }

  /**
   * Resolves when the unsent bytes are back under `limits.writeHighWaterMark` (at once if they
   * are); rejects with {@link ConnectionClosedError} if the connection closes first.
   */
  drained(): Promise<void> {
    return this.outbox.drained();
  }

  // The close paths. Each records a reason (the close state decides which one `closed` reports:
  // the first, or a failure over `peer`), stops or keeps reading, and ends the socket one of two
  // ways — FIN after the queued bytes, or destroyed at once (unsent bytes dropped):
  //
  //   path                   reason                       reading        the socket
  //   end()                  —                            goes on        FIN after the queued bytes
  //   close()                local                        stops          FIN after the queued bytes
  //   _closeWhenHandled()    shutdown                     stops          FIN once the handlers are done
  //   destroy()              local                        stops          destroyed
  //   _destroyForShutdown()  shutdown                     stops          destroyed
  //   _idleTimeout()         idle-timeout                 stops          destroyed
  //   _failed()              framing-error, socket-error  stops          destroyed
  //   the peer's FIN         peer                         stops          ends after our queued bytes
  //
  // After our FIN the socket reads (and drops) to the peer's FIN, so it closes without waiting
  // for a deadline; `closed` resolves when the socket is gone (`finished`).

  /**
   * Half-closes: sends FIN after the queued bytes; the peer's data still arrives until it
   * closes its side too, which closes the connection (reason `peer`). No-op once a close began.
   */
  end(): void {
    if (this.closeState.readingOver) return;
    this.outbox.flush();
    this.socket.end();
  }

  /**
   * Closes gracefully: stops reading, sends the queued bytes, then FIN. `closed` resolves with
   * reason `local` (unless another reason came first).
   */
  close(): void {
    this.beginClose('local');
    this.finAfterQueued();
  }

  /** Closes at once, discarding unsent bytes (RST when data was pending). */
  destroy(): void {
    this.abort('local');
  }

  /**
   * @internal Graceful server shutdown: stops reading now, and sends FIN once every activation
   * this connection already queued was handled — an async handler's promise included. A job
   * posted into the connection's domain at the lowest priority runs exactly then (a domain
   * runs its work one at a time, in priority then arrival order), so nothing polls. When the
   * domain cannot take the job (the runtime closed, its queue full), FIN goes at once.
   */
  _closeWhenHandled(): void {
    if (this.closeState.finished) return;
    this.beginClose('shutdown');
    if (!this._inFlight) {
      this.finAfterQueued();
      return;
    }
    let posted = false;
    try {
      posted = this.domain.post(() => this.finAfterQueued(), { priority: 0 });
    } catch {
      // QueueFullError: the domain is at its limit; end now rather than wait unseen.
    }
    if (!posted) this.finAfterQueued();
  }

  /** @internal The server or the service is shutting down: close now. */
  _destroyForShutdown(): void {
    this.abort('shutdown');
  }

  /** @internal Idle for longer than the idle timeout. */
  _idleTimeout(): void {
    this.abort('idle-timeout');
  }

  /** @internal The socket failed, or the read gate did (framing error, dispatcher overrun). */
  _failed(reason: TcpCloseReason, error: Error): void {
    this.abort(reason, error);
  }

  /** Records why the connection closes, and stops handing received bytes to handlers. */
  private beginClose(reason: TcpCloseReason, error?: Error): void {
    this.closeState.record(reason, error);
    this.gate.stop();
  }

  /** FIN after the queued bytes, then reads (and drops) to the peer's FIN. */
  private finAfterQueued(): void {
    const socket = this.socket;
    if (!socket.writableEnded && !socket.destroyed) {
      this.outbox.flush();
      socket.end();
    }
    this.gate.readToEof();
  }

  /** Closes with `reason`, destroying the socket (unsent bytes dropped). */
  private abort(reason: TcpCloseReason, error?: Error): void {
    this.beginClose(reason, error);
    this.socket.destroy();
  }

  private peerEnded(): void {
    this.gate.peerEnded();
    this.closeState.record('peer');
    // Neither transport's sockets are half-open: they end their side after the queued bytes.
    if (!this.socket.allowHalfOpen) return;
    if (this.writableLength === 0) this.socket.end();
  }

  /** The socket is gone (its `close` event): the one place a connection finishes. */
  private finished(): void {
    const info = this.closeState.finish(this.socket.bytesRead, this.socket.bytesWritten);
    if (info === undefined) return;
    this.sweeper?.delete(this);
    this.gate.socketClosed();
    this.outbox.socketClosed();
    this.service.forget(this);
    this.owner._connectionClosed(this, info);
  }

  // What the service and the server ask of the connection.

  /** @internal */
  _addMessageSink(sink: CallContext<TcpMessage>): void {
    this.gate.addMessageSink(sink);
  }

  /** @internal */
  _removeMessageSink(sink: CallContext<unknown>): void {
    this.gate.removeMessageSink(sink);
  }

  /** @internal */
  _addDataSink(sink: CallContext<Buffer>): void {
    this.gate.addDataSink(sink);
  }

  /** @internal */
  _removeDataSink(sink: CallContext<unknown>): void {
    this.gate.removeDataSink(sink);
  }

  /** @internal The owner's sinks changed (a server-level handler came or went). */
  _consumersChanged(): void {
    this.gate.consumersChanged();
  }

  /**
   * @internal An activation of this connection was delivered or discarded: the source's
   * credit (see ReadGate.credit).
   */
  _credit(bytes: number, message: boolean): void {
    this.gate.credit(bytes, message);
  }

  /** @internal The service-wide total fell under half its limit. */
  _totalRelieved(): void {
    this.gate.totalRelieved();
  }

  /**
   * @internal True once no more bytes will be read (the peer ended, or a close began): a
   * message or data registration made now is ended at once, so its stream completes.
   */
  get _readingOver(): boolean {
    return this.closeState.readingOver;
  }

  /** @internal True while received messages wait for, or are in, a handler. */
  get _inFlight(): boolean {
    return (
      this.gate.queuedMessages > 0 ||
      this.gate.queuedBytes > 0 ||
      (this.ownDomain !== null && (this.ownDomain.busy || this.ownDomain.queued > 0))
    );
  }

  /** @internal Refuses message registrations on a connection without a framer. */
  _assertFramed(): void {
    if (!this.gate.framed) throw new NoFramerError(`connection ${this.id}`);
  }
}
