import { SocketFailedError } from './errors/socket-failed.error';
import type { UdpLimits } from './udp-limits';
import type { OutgoingDatagram, TransportSocket } from './transport/transport';

/** Shared by every queue while it has nothing waiting. @internal */
const NOTHING: never[] = Object.freeze([]) as never[];

/** A `flush()` waiting for the datagrams accepted before it. */
interface FlushWaiter {
  /** Resolves once `completed` reaches this. */
  readonly upTo: number;
  readonly resolve: () => void;
}

/**
 * The send side of one socket: every `send` of a tick goes into the outbox, and the outbox
 * leaves as one batch (`TransportSocket.sendBatch`) from `process.nextTick` — once the I/O
 * callback that queued it and the handlers the dispatcher ran from it are done. A kernel
 * transport delivers a whole batch of datagrams in one callback, so the replies to all of them
 * travel together (one ioctl); `node:dgram` delivers one datagram per callback and has no
 * `sendmmsg`, so there a batch is one reply, sent without waiting for the loop's next turn.
 * (`setImmediate` would gather the replies of a whole loop turn, but on `node:dgram` that buys
 * no system call and costs one: the zero-timeout `epoll_wait` it forces.)
 *
 * Bounded: the outbox plus the batches still in flight hold at most `maxSendQueueDatagrams`
 * datagrams and `maxSendQueueBytes` bytes; past that `push` refuses and counts. Every accepted
 * datagram ends up counted once, as `sent` or as a `sendErrors`.
 *
 * @internal
 */
export class SendQueue {
  sent = 0;
  sentBytes = 0;
  sendErrors = 0;
  droppedSendQueueFull = 0;
  droppedSendClosed = 0;
  /** The first error of the last batch that had one. */
  lastError: SocketFailedError | undefined = undefined;
  private outbox: OutgoingDatagram[] = NOTHING;
  private outboxBytes = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  /** Datagrams accepted since the socket opened, and how many of them left (or failed). */
  private accepted = 0;
  private completed = 0;
  private waiters: FlushWaiter[] = NOTHING;
  private closed = false;

  /**
   * @param socket - where batches go.
   * @param limits - the socket's limits.
   * @param schedule - runs the outbox's send later; `process.nextTick` (tests step it by hand).
   */
  constructor(
    private readonly socket: Pick<TransportSocket, 'sendBatch'>,
    private readonly limits: UdpLimits,
    private readonly schedule: (
      send: (queue: SendQueue) => void,
      queue: SendQueue,
    ) => void = process.nextTick,
  ) {}

  /** Datagrams waiting in the outbox or in flight. */
  get queued(): number {
    return this.outbox.length + this.inFlight;
  }

  /** Bytes of {@link SendQueue.queued}. */
  get queuedBytes(): number {
    return this.outboxBytes + this.inFlightBytes;
  }

  /** Queues one datagram for this tick's batch; false (counted) when full or closed. */
  push(data: Buffer, address: string, port: number): boolean {
    if (this.closed) {
      this.droppedSendClosed++;
      return false;
    }
    const bytes = data.length;
    const limits = this.limits;
    if (
      this.outbox.length + this.inFlight >= limits.maxSendQueueDatagrams ||
      this.outboxBytes + this.inFlightBytes + bytes > limits.maxSendQueueBytes
    ) {
      this.droppedSendQueueFull++;
      return false;
    }
    if (this.outbox === NOTHING) {
      this.outbox = [{ data, address, port }];
      this.schedule(SendQueue.flushLater, this);
    } else {
      this.outbox.push({ data, address, port });
    }
    this.outboxBytes += bytes;
    this.accepted++;
    return true;
  }

  /** Resolves when every datagram accepted so far has left (or failed, counted). */
  flush(): Promise<void> {
    if (this.completed === this.accepted) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    if (this.waiters === NOTHING) this.waiters = [];
    this.waiters.push({ upTo: this.accepted, resolve });
    return promise;
  }

  /** Refuses further sends, sends the outbox now, and resolves once everything left. */
  close(): Promise<void> {
    this.closed = true;
    this.sendOutbox();
    return this.flush();
  }

  private static flushLater(this: void, queue: SendQueue): void {
    queue.sendOutbox();
  }

  private sendOutbox(): void {
    const batch = this.outbox;
    if (batch.length === 0) return;
    const bytes = this.outboxBytes;
    this.outbox = NOTHING;
    this.outboxBytes = 0;
    this.inFlight += batch.length;
    this.inFlightBytes += bytes;
    let settled = false;
    const done = (sent: number, errors: number, firstError?: Error): void => {
      if (settled) return;
      settled = true;
      this.inFlight -= batch.length;
      this.inFlightBytes -= bytes;
      this.sent += sent;
      // Which datagrams of a batch failed is not reported: a batch with errors counts the
      // share of its bytes that its sent datagrams stand for.
      this.sentBytes += errors === 0 ? bytes : Math.round((bytes * sent) / batch.length);
      this.sendErrors += batch.length - sent;
      if (firstError !== undefined) this.lastError = sendFailed(firstError);
      this.completed += batch.length;
      this.settleWaiters();
    };
    try {
      this.socket.sendBatch(batch, done);
    } catch (error) {
      // A transport that throws instead of reporting: the whole batch failed.
      done(0, batch.length, error as Error);
    }
  }

  private settleWaiters(): void {
    const waiters = this.waiters;
    let i = 0;
    while (i < waiters.length && waiters[i].upTo <= this.completed) waiters[i++].resolve();
    if (i === 0) return;
    this.waiters = i === waiters.length ? NOTHING : waiters.slice(i);
  }
}

/** A transport's send error as a {@link SocketFailedError}, naming the peer when it says. */
function sendFailed(error: Error): SocketFailedError {
  const { address, port } = error as { address?: unknown; port?: unknown };
  const target =
    typeof address === 'string'
      ? `${address.includes(':') ? `[${address}]` : address}:${String(port)}`
      : 'a peer';
  return new SocketFailedError('send', target, error);
}
