import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '@aem/core';
import type { ClockAlarm, TimerClock } from './timer-clock';

/**
 * Options of {@link NodeClock}.
 *
 * @example
 * ```ts
 * const clock = new NodeClock({ now: () => performance.now(), spinMs: 0 });
 * ```
 */
export interface NodeClockOptions {
  /** The monotonic time source in ms; default `performance.now`. The timers service passes the AEM backend's clock. */
  readonly now?: () => number;
  /**
   * How early (ms) to wake before a due time and finish the wait by re-checking on
   * `setImmediate` turns (the event loop keeps serving I/O meanwhile). Node's timers have a
   * millisecond granularity and wake up to ~1 ms after the asked time; finishing the last
   * stretch this way removes that error at the cost of some CPU while a wake is imminent.
   * Default 0: never polls (the wheel already wakes at exact deadlines, so Node's own wake-up
   * latency, ~0.5 ms on average, is the lateness); 1 trades CPU for ~0.5 ms less lateness.
   */
  readonly spinMs?: number;
}

/**
 * The real clock: `performance.now()` (or the given source) and alarms on Node timers. This is
 * the one place of the package that calls `setTimeout`; every wheel arms a single Node timer
 * for its next due tick, whatever the number of timers it holds.
 *
 * An alarm's Node timer is `unref()`'d unless the wheel holds a keep-alive timer, so pending
 * timers that are not keep-alive never hold the process open.
 *
 * @example
 * ```ts
 * import { NodeClock } from '@aem/timers';
 * const clock = new NodeClock();
 * const alarm = clock.createAlarm(() => console.log('woke at', clock.now()));
 * alarm.set(clock.now() + 10, true);
 * ```
 */
export class NodeClock implements TimerClock {
  /** @inheritDoc */
  readonly now: () => number;
  private readonly spinMs: number;

  /**
   * @param options - the time source and the spin window.
   * @throws {@link @aem/core!InvalidArgumentError} for a `spinMs` that is not a finite number ≥ 0.
   */
  constructor(options: NodeClockOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    const spinMs = options.spinMs ?? 0;
    if (!(typeof spinMs === 'number' && spinMs >= 0 && spinMs < Infinity)) {
      throw new InvalidArgumentError('options.spinMs', 'a finite number of ms ≥ 0', spinMs);
    }
    this.spinMs = spinMs;
  }

  /** @inheritDoc */
  createAlarm(listener: () => void): ClockAlarm {
    return new NodeAlarm(this.now, listener, this.spinMs);
  }
}

/** Longest delay Node's `setTimeout` honours (2^31 − 1 ms); a farther alarm wakes and re-arms. */
const MAX_NODE_DELAY = 0x7fffffff;

/** A {@link ClockAlarm} on one Node `Timeout` (recreated when the due time moves). */
class NodeAlarm implements ClockAlarm {
  private timeout: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private at: number | undefined = undefined;
  private keepAlive = false;
  private readonly onTimeout = (): void => {
    this.timeout = null;
    this.wake();
  };
  private readonly onImmediate = (): void => {
    this.immediate = null;
    if (this.timeout === null) this.wake();
  };

  constructor(
    private readonly now: () => number,
    private readonly listener: () => void,
    private readonly spinMs: number,
  ) {}

  get armedAt(): number | undefined {
    return this.at;
  }

  set(at: number, keepAlive: boolean): void {
    this.at = at;
    this.setKeepAlive(keepAlive);
    this.arm();
  }

  setKeepAlive(keepAlive: boolean): void {
    if (this.keepAlive === keepAlive) return;
    this.keepAlive = keepAlive;
    const timeout = this.timeout;
    if (timeout !== null) {
      if (keepAlive) timeout.ref();
      else timeout.unref();
    }
  }

  clear(): void {
    this.at = undefined;
    if (this.timeout !== null) {
      clearTimeout(this.timeout);
      this.timeout = null;
    }
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
  }

  private arm(): void {
    if (this.timeout !== null) {
      clearTimeout(this.timeout);
      this.timeout = null;
    }
    const remaining = (this.at as number) - this.now();
    if (remaining <= this.spinMs) {
      // Finish the wait on event-loop turns: the loop keeps serving I/O in between. The
      // immediate stays ref'd even for a non-keep-alive alarm: an unref'd one would let the
      // loop block in poll instead of turning. It holds the process for at most spinMs.
      if (this.immediate === null) this.immediate = setImmediate(this.onImmediate);
      return;
    }
    // The clock driver is the one place allowed to arm a Node timer: one per wheel, for its
    // next due tick. Everything else in the workspace goes through a wheel.
    // eslint-disable-next-line no-restricted-globals
    const timeout = setTimeout(
      this.onTimeout,
      Math.min(MAX_NODE_DELAY, Math.max(1, Math.ceil(remaining - this.spinMs))),
    );
    if (!this.keepAlive) timeout.unref();
    this.timeout = timeout;
  }

  private wake(): void {
    const at = this.at;
    if (at === undefined) return;
    if (at > this.now()) {
      // Early, on purpose (spinMs) or because Node's timers count from the loop's cached,
      // millisecond-truncated time: wait again rather than fire early (a timer never fires
      // before its deadline) or sleep a whole extra millisecond.
      this.arm();
      return;
    }
    this.at = undefined;
    this.listener();
  }
}
