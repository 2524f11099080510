import { QueueFullError } from '../errors/queue-full.error';
import { ActivationQueue, SEGMENT_LINK } from './activation-queue';
import { GATE_HOLD, GATE_RUN, type DispatchTarget, type DomainState } from './dispatch-target';
import { ParkedActivations } from './parked-activations';

/** Number of priority levels; priorities are integers `0` (lowest) to `7` (highest). */
export const PRIORITY_LEVELS = 8;

/** Limits the dispatcher enforces. @internal */
export interface DispatcherLimits {
  /** Activations queued (ready, parked or held) in the whole runtime. */
  readonly maxQueuedActivations: number;
  /** Activations run before the dispatcher yields to I/O with `setImmediate`. */
  readonly batchSize: number;
}

/** Counters the dispatcher keeps. @internal */
export interface DispatcherCounters {
  /** Activations whose handler was invoked. */
  delivered: number;
  /** Activations dropped because their event was closed before they ran. */
  discarded: number;
  /** Activations that found their domain busy and waited for it. */
  parked: number;
}

/**
 * Runs activations: highest priority first, then the order in which they became ready; the
 * activations of one domain one at a time, an async handler's promise awaited before the next.
 *
 * Scheduling: an activation is never run synchronously inside `enqueue` (no re-entrancy into a
 * service). The first enqueue arms a microtask; a flush runs until the queues are empty or
 * `batchSize` activations have run since the last yield, then continues from `setImmediate`
 * so I/O callbacks interleave with a long backlog (libuv's fairness, not a starving loop).
 *
 * Ordering inside a domain: an activation that finds its domain busy is parked on the domain.
 * When the domain becomes free, one wake-up token (an entry with no event) is queued at the
 * priority of its best parked activation; activations arriving for a domain that has parked
 * work park behind it. So one domain's activations never overtake each other, and a free domain
 * with parked work always has exactly one token on its way.
 *
 * @internal
 */
export class Dispatcher {
  /** One FIFO per priority level; an entry with an `undefined` event is a domain wake-up token. */
  private readonly ready: ActivationQueue<DispatchTarget, DomainState>[] = [];
  /** Bit `p` set ⇔ `ready[p]` is non-empty. */
  private nonEmpty = 0;
  /** True from arming a flush until the flush finds the queues empty. */
  private scheduled = false;
  /** Activations run since the dispatcher last yielded through `setImmediate`. */
  private ranSinceYield = 0;
  private queuedTotal = 0;
  // Plain fields, not an object: the delivered count is bumped once per activation.
  private delivered = 0;
  private discarded = 0;
  private parked = 0;
  private readonly maxQueued: number;

  /** A snapshot of the counters, read by `Aem.stats()`. */
  get counters(): DispatcherCounters {
    return { delivered: this.delivered, discarded: this.discarded, parked: this.parked };
  }

  private readonly flushNow = (): void => this.flush();
  private readonly flushAfterYield = (): void => {
    this.ranSinceYield = 0;
    this.flush();
  };

  constructor(private readonly limits: DispatcherLimits) {
    this.maxQueued = limits.maxQueuedActivations;
    for (let p = 0; p < PRIORITY_LEVELS; p++) this.ready.push(new ActivationQueue());
  }

  /** Activations queued anywhere (ready, parked, held). */
  get queued(): number {
    return this.queuedTotal;
  }

  /**
   * Queues one activation of `event` in `domain` (the event's own domain by default).
   *
   * @throws {@link QueueFullError} when the domain's or the runtime's queue limit is reached;
   *   nothing is queued then.
   */
  enqueue(event: DispatchTarget, payload: unknown, domain: DomainState, eventId: number): void {
    if (domain._queued >= domain._maxQueue) {
      throw new QueueFullError('domain', domain._maxQueue, eventId, domain._name);
    }
    if (this.queuedTotal >= this.maxQueued) {
      throw new QueueFullError('runtime', this.maxQueued, eventId);
    }
    event._pending++;
    domain._queued++;
    this.queuedTotal++;
    this.pushReady(event, payload, domain, event._priority);
  }

  /**
   * Puts back an activation that was held while its event was stopped. It was counted when it
   * was first queued and stays counted.
   */
  requeue(event: DispatchTarget, payload: unknown, domain: DomainState): void {
    this.pushReady(event, payload, domain, event._priority);
  }

  /** Uncounts an activation held by an event that closed before restarting. */
  forgetHeld(domain: DomainState): void {
    domain._queued--;
    this.queuedTotal--;
    this.discarded++;
  }

  private pushReady(
    event: DispatchTarget | undefined,
    payload: unknown,
    domain: DomainState,
    priority: number,
  ): void {
    this.ready[priority].push(event, payload, domain);
    this.nonEmpty |= 1 << priority;
    if (!this.scheduled) this.arm();
  }

  private arm(): void {
    this.scheduled = true;
    if (this.ranSinceYield < this.limits.batchSize) queueMicrotask(this.flushNow);
    else setImmediate(this.flushAfterYield);
  }

  private flush(): void {
    const ready = this.ready;
    const batchSize = this.limits.batchSize;
    // `ranSinceYield` lives in a local for the loop (one register instead of a field update per
    // activation); nothing a handler can reach reads it while a flush runs (`arm` is only called
    // with `scheduled` false, which the flush itself sets last).
    let ran = this.ranSinceYield;
    while (this.nonEmpty !== 0) {
      const priority = 31 - Math.clz32(this.nonEmpty);
      const queue = ready[priority];
      /** Bits of the levels above this one: a handler may queue more urgent work. */
      const above = ~((2 << priority) - 1);
      do {
        if (ran >= batchSize) {
          this.ranSinceYield = ran;
          this.arm();
          return;
        }
        // Inlined queue.shift(): this loop is the dispatcher's whole per-activation cost.
        if (queue.headAt === SEGMENT_LINK) queue.nextSegment();
        const segment = queue.head;
        const at = queue.headAt;
        const event = segment[at] as DispatchTarget | undefined;
        const payload = segment[at + 1];
        const domain = segment[at + 2] as DomainState;
        // Only the payload is cleared (see ActivationQueue): payloads never outlive delivery.
        segment[at + 1] = undefined;
        queue.headAt = at + 3;
        if (--queue.length === 0) this.nonEmpty &= ~(1 << priority);
        ran++;
        if (event === undefined) {
          domain._tokenQueued = false;
          this.runParked(domain);
        } else if (domain._parked === null && !domain._busy && event._gate === GATE_RUN) {
          // Fast path: a live event in a free domain that never had to park work, so there is
          // no parked work to wake afterwards.
          this.deliver(event, payload, domain);
        } else if (domain._busy || (domain._parked !== null && domain._parked.length > 0)) {
          this.park(event, payload, domain);
        } else {
          this.run(event, payload, domain);
        }
      } while (queue.length > 0 && (this.nonEmpty & above) === 0);
    }
    this.ranSinceYield = ran;
    this.scheduled = false;
  }

  private park(event: DispatchTarget, payload: unknown, domain: DomainState): void {
    const parked = domain._parked ?? (domain._parked = new ParkedActivations());
    parked.insert(event, payload, event._priority);
    this.parked++;
  }

  /** Runs the best parked activation of a free domain (called for its wake-up token). */
  private runParked(domain: DomainState): void {
    const parked = domain._parked;
    if (domain._busy || parked === null || parked.length === 0) return;
    const event = parked.peekEvent();
    const payload = parked.peekPayload();
    parked.shift();
    this.run(event, payload, domain);
  }

  private run(event: DispatchTarget, payload: unknown, domain: DomainState): void {
    const gate = event._gate;
    if (gate !== GATE_RUN) {
      if (gate === GATE_HOLD) {
        event._hold(payload, domain);
      } else {
        event._pending--;
        domain._queued--;
        this.queuedTotal--;
        this.discarded++;
        event._discarded(payload);
      }
      this.domainFree(domain);
      return;
    }
    this.deliver(event, payload, domain);
    this.domainFree(domain);
  }

  /** Runs the handler of a live event whose domain is free; an async one makes it busy. */
  private deliver(event: DispatchTarget, payload: unknown, domain: DomainState): void {
    event._pending--;
    domain._queued--;
    this.queuedTotal--;
    this.delivered++;
    let result: unknown;
    try {
      result = event._deliver(payload);
    } catch (error) {
      event._failed(error, domain);
      return;
    }
    if (
      result !== undefined &&
      result !== null &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    ) {
      this.awaitHandler(result as PromiseLike<unknown>, event, domain);
    }
  }

  /** An async handler is running: its domain stays busy until the promise settles. */
  private awaitHandler(
    result: PromiseLike<unknown>,
    event: DispatchTarget,
    domain: DomainState,
  ): void {
    domain._busy = true;
    try {
      result.then(
        () => this.release(domain),
        (error: unknown) => {
          event._failed(error, domain);
          this.release(domain);
        },
      );
    } catch (error) {
      // A thenable whose `then` throws: treat as a rejected handler, never leave the domain stuck.
      event._failed(error, domain);
      this.release(domain);
    }
  }

  private release(domain: DomainState): void {
    domain._busy = false;
    this.domainFree(domain);
  }

  /** The domain is free: if it has parked work, make sure its one wake-up token is queued. */
  private domainFree(domain: DomainState): void {
    const parked = domain._parked;
    if (parked !== null && parked.length > 0 && !domain._tokenQueued && !domain._busy) {
      domain._tokenQueued = true;
      this.pushReady(undefined, undefined, domain, parked.bestPriority);
    }
  }
}
