import { QueueFullError, type CallContext, type Domain } from '@aem/core';
import type { Framer, FramerFactory } from '../framers/framer';
import type { TcpCloseReason } from '../tcp-close-info';
import type { ConnectionLimits } from '../tcp-limits';
import type { OwnedConnection, TcpServiceState } from '../tcp-service-state';
import type { TransportSocket } from '../transport/transport';
import { EMPTY } from './empty-list';

/**
 * A framed message as the gate builds it. `TcpMessage` is exactly this with the connection
 * typed (the gate is imported by the connection, so it names the connection by a parameter).
 *
 * @internal
 */
export interface ReceivedMessage<C> {
  readonly data: Buffer;
  readonly connection: C;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What the gate needs of its connection (a `TcpConnection`, named by its shape). @internal */
export interface GatedConnection extends OwnedConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The domain its activations run in (made on first use). */
  readonly domain: Domain;
  /** Reading failed — the framer refused the bytes, or the dispatcher a raw chunk. */
  _failed(reason: TcpCloseReason, error: Error): void;
}

/** Whoever else wants the connection's messages (its server: server-level handlers). @internal */
export interface MessageSinkOwner<C> {
  readonly messageSinks: readonly CallContext<ReceivedMessage<C>>[];
}

// Why the socket is paused while the gate is OPEN; it reads when no reason is left.
/** Nobody consumes the bytes yet (no message or data handler on the connection or its server). */
const NO_CONSUMER = 1;
/** `limits.maxQueuedMessages` or `limits.maxBufferedBytes` are waiting for handlers. */
const BACKPRESSURE = 2;
/** The service-wide `maxTotalBufferedBytes` is reached (the state resumes us). */
const TOTAL_LIMIT = 4;

// What the gate does with the socket's bytes, in the only order it moves through.
/** Bytes go to handlers; the socket reads while no pause reason holds. */
const OPEN = 0;
/** A close began or the peer ended: bytes are dropped; the socket stays paused. */
const STOPPED = 1;
/** Our FIN is sent: bytes are dropped and the socket reads whatever the reasons, so the peer's
 *  FIN is seen and the socket closes (a paused socket would wait for a deadline). */
const TO_EOF = 2;
/** The socket is gone: nothing touches it again. */
const DONE = 3;

/**
 * The reading side of a connection: it decides when the socket reads, and moves what it reads
 * to the handlers.
 *
 * Each chunk goes to the data sinks as it is, and through the framer to the message sinks (the
 * connection's and its server's), one activation per sink, in the connection's domain. Every
 * queued activation is charged here (messages and bytes, and the service-wide byte total) and
 * credited back when the dispatcher delivers or discards it. The socket pauses while any
 * reason holds — no consumer yet, this connection's limits reached, the service total reached —
 * and resumes, once the queue has drained to half, from the credit that lifts the last one:
 * a slow handler slows the peer through TCP instead of growing memory.
 *
 * The pump is a loop, never a recursion: it frames and activates until the framer runs dry or
 * a limit holds. A frame the dispatcher refuses (its own queue limit) is kept, with the sinks
 * still owed it, and retried on the next credit: nothing is dropped.
 *
 * @typeParam C - the connection (`TcpConnection`).
 * @internal
 */
export class ReadGate<C extends GatedConnection> {
  private mode = OPEN;
  private reasons = NO_CONSUMER;
  private messages = 0;
  private bytes = 0;
  /** Made with the first bytes for a message sink: an idle connection has none. */
  private framer: Framer | null = null;
  /** A frame refused by a full dispatcher queue, and the index of the first sink still owed it. */
  private heldFrame: Buffer | null = null;
  private heldFrameSink = 0;
  // Replaced, never mutated (EMPTY until the first sink): a loop over the old list is safe
  // while a sink ending during it removes itself.
  private messageSinks: CallContext<ReceivedMessage<C>>[] = EMPTY;
  private dataSinks: CallContext<Buffer>[] = EMPTY;

  constructor(
    private readonly connection: C,
    private readonly socket: TransportSocket,
    private readonly newFramer: FramerFactory | null,
    private readonly limits: ConnectionLimits,
    private readonly service: TcpServiceState,
    private readonly owner: MessageSinkOwner<C>,
  ) {}

  /** True while received bytes go to handlers (no close began, the peer has not ended). */
  get open(): boolean {
    return this.mode === OPEN;
  }

  /** Framed messages queued to handlers and not yet delivered. */
  get queuedMessages(): number {
    return this.messages;
  }

  /** Bytes queued to handlers (messages and raw chunks) and not yet delivered. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** True when the connection has a framer (message sinks are allowed). */
  get framed(): boolean {
    return this.newFramer !== null;
  }

  /**
   * A chunk from the socket, while {@link ReadGate.open}: to each data sink, then into the
   * framer and out as messages; then pauses the socket if a limit was reached.
   */
  received(chunk: Buffer): void {
    const dataSinks = this.dataSinks;
    for (let i = 0; i < dataSinks.length; i++) {
      try {
        if (!dataSinks[i].activate(chunk, this.connection.domain)) continue;
      } catch (error) {
        this.overrun(error);
        continue;
      }
      this.charge(chunk.length);
    }
    if (
      this.newFramer !== null &&
      (this.messageSinks.length > 0 || this.owner.messageSinks.length > 0)
    ) {
      (this.framer ??= this.newFramer()).push(chunk);
      this.pump();
    }
    if (this.bytes >= this.limits.maxBufferedBytes) this.reasons |= BACKPRESSURE;
    this.apply();
  }

  /**
   * An activation of this connection was delivered or discarded. Reading resumes once the
   * queue has drained to half of both limits.
   */
  credit(bytes: number, message: boolean): void {
    if (message) this.messages--;
    this.bytes -= bytes;
    this.service.removeBuffered(bytes);
    if (
      (this.reasons & BACKPRESSURE) !== 0 &&
      this.messages <= this.limits.maxQueuedMessages / 2 &&
      this.bytes <= this.limits.maxBufferedBytes / 2
    ) {
      this.reasons &= ~BACKPRESSURE;
      this.pump();
      this.apply();
    }
  }

  /** The service-wide total fell under half its limit. */
  totalRelieved(): void {
    this.lift(TOTAL_LIMIT);
  }

  addMessageSink(sink: CallContext<ReceivedMessage<C>>): void {
    this.messageSinks = [...this.messageSinks, sink];
    this.consumersChanged();
  }

  removeMessageSink(sink: CallContext<unknown>): void {
    this.messageSinks = without(this.messageSinks, sink);
    this.consumersChanged();
  }

  addDataSink(sink: CallContext<Buffer>): void {
    this.dataSinks = [...this.dataSinks, sink];
    this.consumersChanged();
  }

  removeDataSink(sink: CallContext<unknown>): void {
    this.dataSinks = without(this.dataSinks, sink);
    this.consumersChanged();
  }

  /** A sink came or went, here or on the owner: reading needs at least one. */
  consumersChanged(): void {
    if (
      this.messageSinks.length > 0 ||
      this.dataSinks.length > 0 ||
      this.owner.messageSinks.length > 0
    )
      this.lift(NO_CONSUMER);
    else this.hold(NO_CONSUMER);
  }

  /** A close began: what still arrives is dropped, and the socket pauses. */
  stop(): void {
    if (this.mode !== OPEN) return;
    this.mode = STOPPED;
    this.apply();
  }

  /**
   * The peer will send no more: the connection-level streams complete after what is queued
   * (the server's go on with its other connections). The socket is left as it is.
   */
  peerEnded(): void {
    if (this.mode === OPEN) this.mode = STOPPED;
    this.endSinks();
  }

  /** Our FIN is sent: read (and drop) to the peer's FIN, so the socket closes. */
  readToEof(): void {
    if (this.mode === DONE) return;
    this.mode = TO_EOF;
    this.apply();
  }

  /** The socket is gone: the connection-level streams complete; a held frame is let go. */
  socketClosed(): void {
    this.mode = DONE;
    this.heldFrame = null;
    this.endSinks();
  }

  /** Frames and queues messages until the framer runs dry or a limit holds. A loop. */
  private pump(): void {
    const framer = this.framer;
    if (framer === null || this.mode !== OPEN) return;
    const limits = this.limits;
    const connection = this.connection;
    while ((this.reasons & BACKPRESSURE) === 0) {
      if (this.messages >= limits.maxQueuedMessages || this.bytes >= limits.maxBufferedBytes) {
        this.reasons |= BACKPRESSURE;
        break;
      }
      const own = this.messageSinks;
      const shared = this.owner.messageSinks;
      // With no message sink left, frames wait in the framer for the next one.
      if (own.length === 0 && shared.length === 0) break;
      let frame = this.heldFrame;
      let firstSink = this.heldFrameSink;
      if (frame === null) {
        firstSink = 0;
        try {
          frame = framer.next();
        } catch (error) {
          connection._failed('framing-error', error as Error);
          return;
        }
        if (frame === null) break;
      }
      this.heldFrame = null;
      const sinks = own.length === 0 ? shared : shared.length === 0 ? own : [...own, ...shared];
      const message: ReceivedMessage<C> = {
        data: frame,
        connection,
        remoteAddress: connection.remoteAddress,
        remotePort: connection.remotePort,
      };
      const domain = connection.domain;
      for (let i = firstSink; i < sinks.length; i++) {
        try {
          if (!sinks[i].activate(message, domain)) continue;
        } catch (error) {
          if (!(error instanceof QueueFullError)) throw error;
          // The dispatcher's own queue limit: keep the frame and the sinks still owed it,
          // and retry when credit comes back. Nothing is dropped.
          this.heldFrame = frame;
          this.heldFrameSink = i;
          this.reasons |= BACKPRESSURE;
          return;
        }
        this.messages++;
        this.charge(frame.length);
      }
    }
  }

  /** Counts bytes queued to a handler, here and in the service-wide total. */
  private charge(bytes: number): void {
    this.bytes += bytes;
    if (this.service.addBuffered(bytes)) {
      this.reasons |= TOTAL_LIMIT;
      this.service.pauseForTotal(this.connection);
    }
  }

  private overrun(error: unknown): void {
    if (!(error instanceof QueueFullError)) throw error;
    // A raw chunk refused by the dispatcher cannot be held per sink without unbounded memory;
    // the connection fails loudly instead of losing bytes silently.
    this.connection._failed('socket-error', error);
  }

  private hold(reason: number): void {
    this.reasons |= reason;
    this.apply();
  }

  /** A reason other than backpressure is gone: frames kept in the framer may move again. */
  private lift(reason: number): void {
    if ((this.reasons & reason) === 0) return;
    this.reasons &= ~reason;
    if (this.heldFrame === null) this.pump();
    this.apply();
  }

  /** Makes the socket read or not, as the mode and the reasons say. */
  private apply(): void {
    const mode = this.mode;
    if (mode === OPEN ? this.reasons === 0 : mode === TO_EOF) {
      if (this.socket.isPaused()) this.socket.resume();
    } else if (mode !== DONE && !this.socket.isPaused()) {
      this.socket.pause();
    }
  }

  private endSinks(): void {
    for (const sink of this.messageSinks) sink.end();
    for (const sink of this.dataSinks) sink.end();
  }
}

/** `list` without `item` (a new array, so EMPTY is never touched). */
function without<T>(list: T[], item: unknown): T[] {
  const at = list.indexOf(item as T);
  return at < 0 ? list : list.length === 1 ? EMPTY : list.filter((_, i) => i !== at);
}
