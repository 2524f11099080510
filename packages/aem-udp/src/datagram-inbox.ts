import { QueueFullError, type CallContext, type Domain } from '@aem/core';
import type { UdpLimits } from './udp-limits';

/** Shared by every inbox until its first sink: most sockets have one or two. @internal */
const NO_SINKS: never[] = Object.freeze([]) as never[];

/**
 * What the inbox keeps on each datagram record: how many of its activations are still queued,
 * and whether one of them reached a handler. Set and read only by the inbox.
 *
 * @internal
 */
export interface InboxRecord {
  readonly data: Buffer;
  _owed: number;
  _reached: boolean;
}

/**
 * The receive side of one socket: the registrations its datagrams go to (sinks), the queue
 * limits, and the counters of everything received. Each arriving datagram is queued (one
 * activation per sink), held (no sink yet), or dropped and counted — never lost unseen. Each
 * datagram has exactly one outcome, however many registrations there are:
 *
 *   received = delivered + queued + droppedQueueFull + droppedDomainsFull + droppedKeyErrors
 *            + droppedUndelivered
 *
 * (`delivered`: reached at least one handler; `droppedUndelivered`: every activation of it was
 * discarded because its event closed first, or it arrived after the end). The one exception: a
 * datagram that the dispatcher's own queue limits refuse for some registrations but not all is
 * queued for the others and counted in `droppedQueueFull` as well.
 *
 * `queued` counts datagrams with activations not yet delivered, plus held ones; it and
 * `queuedBytes` are what `maxQueuedDatagrams` and `maxQueuedBytes` bound. Datagrams arriving
 * while no handler is registered are held (within those limits) and go to the first
 * registration when it starts, as a TCP connection's bytes wait until a consumer reads.
 *
 * @typeParam T - the datagram record (its `data` is what the byte limit counts).
 * @internal
 */
export class DatagramInbox<T extends InboxRecord> {
  delivered = 0;
  droppedQueueFull = 0;
  droppedDomainsFull = 0;
  droppedKeyErrors = 0;
  droppedUndelivered = 0;
  /** The last error a `domainKey` function threw (the datagram was dropped). */
  lastKeyError: unknown = undefined;
  queued = 0;
  queuedBytes = 0;
  /** Replaced, never mutated, so a delivery loop is safe against a sink leaving mid-loop. */
  private sinks: CallContext<T>[] = NO_SINKS;
  private held: T[] = NO_SINKS;
  private ended = false;
  /** Resolvers waiting for `queued` to reach 0 (see `drained`). */
  private drainWaiters: (() => void)[] = NO_SINKS;

  /**
   * @param limits - the socket's limits.
   * @param domainOf - the domain a datagram runs in (`null`: no room for a new per-key domain);
   *   may throw (a user's `domainKey`), which drops the datagram as `droppedKeyErrors`.
   */
  constructor(
    private readonly limits: UdpLimits,
    private readonly domainOf: (item: T) => Domain | null,
  ) {}

  /** Whether any registration listens. */
  get listening(): boolean {
    return this.sinks.length > 0;
  }

  /** Takes one received datagram: queued to every sink, held, or dropped and counted. */
  push(item: T): void {
    const bytes = item.data.length;
    const limits = this.limits;
    if (this.ended) {
      this.droppedUndelivered++;
      return;
    }
    if (
      this.queued >= limits.maxQueuedDatagrams ||
      this.queuedBytes + bytes > limits.maxQueuedBytes
    ) {
      this.droppedQueueFull++;
      return;
    }
    const sinks = this.sinks;
    if (sinks.length === 0) {
      if (this.held === NO_SINKS) this.held = [];
      this.held.push(item);
      this.queued++;
      this.queuedBytes += bytes;
      return;
    }
    let domain: Domain | null;
    try {
      domain = this.domainOf(item);
    } catch (error) {
      this.droppedKeyErrors++;
      this.lastKeyError = error;
      return;
    }
    if (domain === null) {
      this.droppedDomainsFull++;
      return;
    }
    let owed = 0;
    let refused = false;
    for (let i = 0; i < sinks.length; i++) {
      try {
        if (sinks[i].activate(item, domain)) owed++;
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        // The dispatcher's own limits (per domain, per runtime): a datagram cannot wait.
        refused = true;
      }
    }
    if (refused) this.droppedQueueFull++;
    if (owed === 0) {
      if (!refused) this.droppedUndelivered++; // every registration closed meanwhile
      return;
    }
    item._owed = owed;
    this.queued++;
    this.queuedBytes += bytes;
  }

  /** A registration's call implementation ran: it receives from now on. */
  addSink(sink: CallContext<T>): void {
    this.sinks = [...this.sinks, sink];
  }

  /** A registration started: the first one takes the datagrams held until now. */
  started(): void {
    if (this.held.length === 0 || this.sinks.length === 0) return;
    const held = this.held;
    this.held = NO_SINKS;
    for (const item of held) {
      this.queued--;
      this.queuedBytes -= item.data.length;
      this.push(item);
    }
  }

  /** A registration closed. */
  removeSink(sink: CallContext<unknown>): void {
    const at = this.sinks.indexOf(sink as CallContext<T>);
    if (at < 0) return;
    this.sinks = this.sinks.length === 1 ? NO_SINKS : this.sinks.filter((_, i) => i !== at);
  }

  /** An activation reaches its handler (the `delivered` hook). */
  onDelivered(item: T): void {
    if (!item._reached) {
      item._reached = true;
      this.delivered++;
    }
    if (--item._owed === 0) this.uncount(item);
  }

  /** An activation was dropped because its event closed first (the `discarded` hook). */
  onDiscarded(item: T): void {
    if (--item._owed > 0) return;
    if (!item._reached) this.droppedUndelivered++;
    this.uncount(item);
  }

  /** Resolves once nothing is queued (every activation delivered or discarded). */
  drained(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    if (this.drainWaiters === NO_SINKS) this.drainWaiters = [];
    this.drainWaiters.push(resolve);
    return promise;
  }

  /**
   * No more datagrams: held ones are dropped (counted), later ones counted as undelivered, and
   * every registration ends once what it has queued was delivered (its stream completes).
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const held = this.held;
    this.held = NO_SINKS;
    for (const item of held) {
      this.droppedUndelivered++;
      this.uncount(item);
    }
    for (const sink of this.sinks) sink.end();
  }

  private uncount(item: T): void {
    this.queued--;
    this.queuedBytes -= item.data.length;
    if (this.queued === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = NO_SINKS;
      for (const resolve of waiters) resolve();
    }
  }
}
