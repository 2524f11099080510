import { InvalidArgumentError } from '@aem/core';
import { ForeignHandleError } from './errors/foreign-handle.error';
import { checkDelay } from './check-delay';
import { WheelCapacityError } from './errors/wheel-capacity.error';
import { NodeClock } from './node-clock';
import type { ClockAlarm, TimerClock } from './timer-clock';
import type { TimerCallback, TimerHandle } from './timer-handle';

/** Slots per level (6 bits, as Linux's timer wheel). */
const SLOT_BITS = 6;
const SLOTS = 1 << SLOT_BITS;
const SLOT_MASK = SLOTS - 1;
/** Levels of the wheel: level `L` spans `64^(L+1)` ticks, so six levels span 2^36 ticks. */
const LEVELS = 6;
/** `POW[L]` = ticks per slot of level `L`. */
const POW = [1, 64, 4096, 262_144, 16_777_216, 1_073_741_824, 68_719_476_736];
/** Ticks covered by the whole wheel; farther timers are parked on the top level and re-filed. */
const HORIZON = POW[LEVELS];

/** Index of the list head (sentinel) of the timers being fired by `advance`. */
const FIRING = LEVELS * SLOTS;
/** First index of a real timer: indices below are list sentinels (one per slot, plus FIRING). */
const FIRST_TIMER = FIRING + 1;

/** Handle layout: 25-bit index, 8-bit wheel id, 20-bit generation (53 bits). */
const INDEX_SPACE = 2 ** 25;
const GEN_MASK = (1 << 20) - 1;
const MAX_HANDLE = Number.MAX_SAFE_INTEGER;

/** Per-timer flags. */
const PENDING = 1;
const PERIODIC = 2;
const KEEP_ALIVE = 4;

/**
 * Largest number of pending timers one wheel can hold (2^25 − 385 ≈ 33.5 million): the
 * handle's 25-bit slot index, less the list sentinels.
 *
 * @example
 * ```ts
 * import { MAX_TIMERS, TimerWheel } from '@aem/timers';
 * const wheel = new TimerWheel({ maxTimers: Math.min(MAX_TIMERS, 5_000_000) });
 * ```
 */
export const MAX_TIMERS = INDEX_SPACE - FIRST_TIMER;

/**
 * Longest delay, in ticks, that is honoured exactly (2^40 ticks ≈ 34.8 years at 1 ms): longer
 * delays are clamped to it (documented clamp, not an error). Timers beyond the wheel's 2^36-tick
 * span (≈ 795 days at 1 ms) are parked on the top level and re-filed when it turns, so they
 * still fire on their exact tick.
 */
export const MAX_DELAY_TICKS = 2 ** 40;

let nextWheelId = 0;

/**
 * Options of {@link TimerWheel}.
 *
 * @example
 * ```ts
 * const wheel = new TimerWheel({ tickMs: 1, initialCapacity: 1_000_000, onError: (e) => log.error(e) });
 * ```
 */
export interface TimerWheelOptions {
  /** Where time comes from and how the wheel is woken; default a new {@link NodeClock}. */
  readonly clock?: TimerClock;
  /** Length of one tick in ms (the resolution); default 1. Must be a finite number > 0. */
  readonly tickMs?: number;
  /** Slots to allocate up front (the arrays grow by 1.5× beyond it); default 1,024. */
  readonly initialCapacity?: number;
  /** Largest number of pending timers; default and maximum {@link MAX_TIMERS}. */
  readonly maxTimers?: number;
  /**
   * Receives what a timer callback throws; the wheel itself is never left inconsistent. Default:
   * rethrown from a microtask, so it surfaces as an uncaught exception as Node's own timers do.
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * Options of {@link TimerWheel.every}.
 *
 * @example
 * ```ts
 * wheel.every(30_000, sendKeepAlive, peer, { firstDelayMs: 1000, keepAlive: true });
 * ```
 */
export interface PeriodicOptions {
  /** Delay to the first expiration in ms; default the period. */
  readonly firstDelayMs?: number;
  /** Hold the process open while the timer is pending; default `false`. */
  readonly keepAlive?: boolean;
}

/**
 * A hierarchical timing wheel: millions of pending timers, O(1) start and cancel, driven by one
 * alarm of its {@link TimerClock} (one Node timer, armed for the next due tick).
 *
 * **Structure.** Six levels of 64 slots; level `L` slot covers `64^L` ticks, the wheel 2^36.
 * Timers live in a struct of typed arrays (deadline `Float64Array`, `next`/`prev` links
 * `Int32Array`, generation `Uint32Array`, flags `Uint8Array`) plus two plain arrays for the
 * callback and argument; freed slots go on a free list. A pending timer costs about 37 bytes
 * plus growth slack (the arrays grow by 1.5×), and no object of its own.
 *
 * **Deadlines and lateness.** A timer started at clock time `t` with delay `d` has the exact
 * deadline `t + d` and is filed in the slot of tick `ceil((t + d) / tickMs)`. It never fires
 * before its deadline. The alarm is set to the earliest exact deadline of the next tick with
 * work, and on each wake-up the wheel also fires the timers of the coming tick whose deadline
 * has passed, so a timer filed on level 0 fires at its exact deadline plus the clock's wake-up
 * latency only (zero on the virtual clock; Node's timer latency, ~0.5 ms typical, with
 * {@link NodeClock}). Timers on higher levels are moved down ("cascaded") when their slot's turn
 * comes, always before their tick, and re-filed to their exact tick, so the bound is the same on
 * every level: **lateness ≤ 1 tick + wake-up latency**, the tick only counting for a timer
 * that reaches level 0 by a cascade on its own tick (a multiple of 64 ticks), or one of more
 * than 64 timers due in the same tick (the alarm looks at the first 64). A cascade moves
 * one slot's still-pending timers at once: O(timers in that slot), i.e. the arrival rate of
 * timers of that delay class times the slot span (64 ticks on level 1, 4,096 on level 2…).
 *
 * **Delays.** Any finite delay ≥ 0 ms, fractions included. `0` (or a deadline already past)
 * means the next tick boundary, never the current turn; delays over {@link MAX_DELAY_TICKS}
 * ticks are clamped. Negative, `NaN` and infinite delays throw {@link InvalidDelayError}.
 *
 * **Order.** Ticks fire in order. Timers of one tick that fire at the same wake-up fire in the
 * order they were filed in that tick's slot, so timers started in the same tick with the same
 * deadline fire in start order (on every level: a cascade keeps a slot's order); otherwise
 * only the tick order is guaranteed.
 *
 * **Re-entrancy.** Callbacks may start, cancel and reschedule any timer, including the one
 * firing; a callback that throws goes to `onError` and the others still fire.
 *
 * @example
 * ```ts
 * import { TimerWheel } from '@aem/timers';
 *
 * const wheel = new TimerWheel();
 * const onExpire = (sessionId: number) => console.log('session', sessionId, 'expired');
 * const handle = wheel.start(30_000, onExpire, 42); // no closure per timer
 * wheel.cancel(handle); // true; cancelling again is a no-op returning false
 * ```
 */
export class TimerWheel {
  /** This wheel's id (1–255), carried in its handles. */
  readonly id: number;
  /** Length of one tick in ms. */
  readonly tickMs: number;
  /** The clock the wheel follows. */
  readonly clock: TimerClock;

  private readonly alarm: ClockAlarm;
  private readonly maxTimers: number;
  private readonly onError: (error: unknown) => void;

  private cap: number;
  private due: Float64Array;
  private next: Int32Array;
  private prev: Int32Array;
  private gen: Uint32Array;
  private flags: Uint8Array;
  private readonly callbacks: unknown[] = [];
  private readonly args: unknown[] = [];
  private readonly periods = new Map<number, number>();

  /** Head of the free list (linked through `next`), or -1. */
  private freeHead = -1;
  /** Slots below this index have been used at least once. */
  private highWater = FIRST_TIMER;
  /** The last tick processed: every timer due at or before it has fired. */
  private cur: number;
  private pending = 0;
  private keepAliveCount = 0;
  private advancing = false;
  /** The clock time the alarm is armed for; Infinity when disarmed. */
  private armedAt = Infinity;

  /** @param options - clock, tick, capacity, error sink. */
  constructor(options: TimerWheelOptions = {}) {
    const tickMs = options.tickMs ?? 1;
    if (!(typeof tickMs === 'number' && tickMs > 0 && tickMs < Infinity)) {
      throw new InvalidArgumentError(
        'options.tickMs',
        'a finite number of milliseconds > 0',
        tickMs,
      );
    }
    const maxTimers = options.maxTimers ?? MAX_TIMERS;
    if (!Number.isInteger(maxTimers) || maxTimers < 1 || maxTimers > MAX_TIMERS) {
      throw new InvalidArgumentError(
        'options.maxTimers',
        `an integer from 1 to ${MAX_TIMERS}`,
        maxTimers,
      );
    }
    const initial = options.initialCapacity ?? 1024;
    if (!Number.isInteger(initial) || initial < 0) {
      throw new InvalidArgumentError('options.initialCapacity', 'an integer ≥ 0', initial);
    }
    this.id = (nextWheelId++ % 255) + 1;
    this.tickMs = tickMs;
    this.clock = options.clock ?? new NodeClock();
    this.maxTimers = maxTimers;
    this.onError = options.onError ?? rethrowLater;
    this.cap = FIRST_TIMER + Math.min(initial, maxTimers);
    this.due = new Float64Array(this.cap);
    this.next = new Int32Array(this.cap);
    this.prev = new Int32Array(this.cap);
    this.gen = new Uint32Array(this.cap);
    this.flags = new Uint8Array(this.cap);
    for (let s = 0; s < FIRST_TIMER; s++) {
      this.next[s] = s;
      this.prev[s] = s;
      this.callbacks.push(undefined);
      this.args.push(undefined);
    }
    this.cur = Math.floor(this.clock.now() / tickMs);
    this.alarm = this.clock.createAlarm(() => {
      this.armedAt = Infinity;
      this.advance();
    });
  }

  /** Number of pending timers. */
  get size(): number {
    return this.pending;
  }

  /** Slots currently allocated (pending timers plus free slots), excluding list sentinels. */
  get capacity(): number {
    return this.cap - FIRST_TIMER;
  }

  /** The clock's current time in ms. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Starts a one-shot timer: `callback(arg, 1, handle)` runs once, no earlier than `delayMs`
   * from now (rounded up to the next tick).
   *
   * @example
   * ```ts
   * const handle = wheel.start(500, retransmit, transaction);
   * ```
   * @param delayMs - finite, ≥ 0; fractions round up, over {@link MAX_DELAY_TICKS} ticks clamps.
   * @param callback - called when the timer fires.
   * @param arg - passed to the callback (numbers and shared objects cost no allocation).
   * @param keepAlive - hold the process open while pending (default `false`).
   * @returns the timer's handle.
   * @throws {@link InvalidDelayError} for a negative, `NaN` or infinite delay.
   * @throws {@link WheelCapacityError} when the wheel holds `maxTimers` timers.
   */
  start<A>(delayMs: number, callback: TimerCallback<A>, arg?: A, keepAlive = false): TimerHandle {
    checkDelay('delayMs', delayMs, 'delay');
    if (typeof callback !== 'function')
      throw new InvalidArgumentError('callback', 'a function', callback);
    const now = this.clock.now();
    return this.insert(
      now + delayMs,
      now,
      callback,
      arg,
      keepAlive ? PENDING | KEEP_ALIVE : PENDING,
      0,
    );
  }

  /**
   * Starts a one-shot timer due at absolute clock time `deadlineMs` (rounded up to a tick; a
   * deadline in the past fires on the next tick).
   *
   * @example
   * ```ts
   * const handle = wheel.startAt(wheel.now() + 1000, onDue, 'job-7');
   * ```
   * @param deadlineMs - clock time in ms, finite.
   * @param callback - called when the timer fires.
   * @param arg - passed to the callback.
   * @param keepAlive - hold the process open while pending (default `false`).
   * @returns the timer's handle.
   * @throws {@link InvalidDelayError} for a non-finite deadline.
   */
  startAt<A>(
    deadlineMs: number,
    callback: TimerCallback<A>,
    arg?: A,
    keepAlive = false,
  ): TimerHandle {
    checkDelay('deadlineMs', deadlineMs, 'deadline');
    if (typeof callback !== 'function')
      throw new InvalidArgumentError('callback', 'a function', callback);
    const now = this.clock.now();
    return this.insert(
      deadlineMs,
      now,
      callback,
      arg,
      keepAlive ? PENDING | KEEP_ALIVE : PENDING,
      0,
    );
  }

  /**
   * Starts a periodic timer. **Re-arm rule:** the next deadline is the previous deadline plus
   * the period (no drift from callback or wake-up latency); when the process was so late that
   * whole periods passed, it moves to the first deadline after now and the callback runs once
   * with `expirations` = the number of periods that elapsed (the skipped ones included), like
   * `timerfd`'s overrun count.
   *
   * @example
   * ```ts
   * const handle = wheel.every(1000, (peer: Peer, expirations) => peer.sendWatchdog(expirations), peer);
   * ```
   * @param periodMs - finite, > 0.
   * @param callback - called at each expiration.
   * @param arg - passed to the callback.
   * @param options - first delay, keep-alive.
   * @returns the timer's handle, valid until cancelled.
   * @throws {@link InvalidDelayError} for a period ≤ 0 or non-finite, or a bad first delay.
   */
  every<A>(
    periodMs: number,
    callback: TimerCallback<A>,
    arg?: A,
    options: PeriodicOptions = {},
  ): TimerHandle {
    checkDelay('periodMs', periodMs, 'period');
    const first = checkDelay('options.firstDelayMs', options.firstDelayMs ?? periodMs, 'delay');
    if (typeof callback !== 'function')
      throw new InvalidArgumentError('callback', 'a function', callback);
    const now = this.clock.now();
    const period = Math.min(MAX_DELAY_TICKS * this.tickMs, periodMs);
    const flags = PENDING | PERIODIC | (options.keepAlive ? KEEP_ALIVE : 0);
    return this.insert(now + first, now, callback, arg, flags, period);
  }

  /**
   * Cancels a pending timer in O(1).
   *
   * @example
   * ```ts
   * if (wheel.cancel(handle)) console.log('was still pending');
   * ```
   * @param handle - a handle of this wheel.
   * @returns `true` if the timer was pending; `false` for a stale handle (fired, cancelled):
   *   a safe no-op.
   * @throws {@link ForeignHandleError} for a handle of another wheel or a value that is no handle.
   */
  cancel(handle: TimerHandle): boolean {
    const i = this.resolve(handle);
    if (i < 0) return false;
    this.unlink(i);
    this.release(i);
    if (this.pending === 0 && !this.advancing) this.rearm();
    return true;
  }

  /**
   * Moves a pending timer to a new deadline, `delayMs` from now, keeping its handle. For a
   * periodic timer this sets the next expiration; the period is unchanged. Refreshing an idle
   * timeout is `reschedule(handle, sameDelay)`.
   *
   * @example
   * ```ts
   * wheel.reschedule(idleTimer, 30_000); // traffic seen: push the idle timeout back
   * ```
   * @param handle - a handle of this wheel.
   * @param delayMs - as for {@link TimerWheel.start}.
   * @returns `true` if rescheduled; `false` for a stale handle (no-op).
   * @throws {@link InvalidDelayError}, {@link ForeignHandleError}.
   */
  reschedule(handle: TimerHandle, delayMs: number): boolean {
    checkDelay('delayMs', delayMs, 'delay');
    const i = this.resolve(handle);
    if (i < 0) return false;
    this.unlink(i);
    const now = this.clock.now();
    const deadline = this.file(
      i,
      delayMs > 0 ? now + delayMs : (Math.floor(now / this.tickMs) + 1) * this.tickMs,
    );
    if (!this.advancing && deadline < this.armedAt) this.arm(deadline);
    return true;
  }

  /**
   * Whether `handle` designates a pending timer of this wheel.
   *
   * @example
   * ```ts
   * if (!wheel.isPending(handle)) handle = wheel.start(1000, onDue);
   * ```
   * @throws {@link ForeignHandleError} for a handle of another wheel or a value that is no handle.
   */
  isPending(handle: TimerHandle): boolean {
    return this.resolve(handle) >= 0;
  }

  /**
   * The clock time (ms, a whole number of ticks) at which a pending timer is due, or `undefined`
   * for a stale handle.
   *
   * @example
   * ```ts
   * const remaining = (wheel.deadlineOf(handle) ?? wheel.now()) - wheel.now();
   * ```
   * @throws {@link ForeignHandleError}.
   */
  deadlineOf(handle: TimerHandle): number | undefined {
    const i = this.resolve(handle);
    return i < 0 ? undefined : this.due[i];
  }

  /**
   * The clock time of the next tick at which the wheel has work (a timer due or a slot to
   * cascade), or `undefined` when empty. The alarm is armed for this time.
   *
   * @example
   * ```ts
   * console.log('next wake-up in', (wheel.nextWakeUp() ?? Infinity) - wheel.now(), 'ms');
   * ```
   */
  nextWakeUp(): number | undefined {
    if (this.pending === 0) return undefined;
    return this.wakeTime();
  }

  /**
   * Processes every tick up to `nowMs`: cascades and fires what is due, in tick order. The alarm
   * calls this; call it yourself only to drive a wheel by hand. Re-entrant calls (from a
   * callback) return 0 at once.
   *
   * @example
   * ```ts
   * const fired = wheel.advance(); // up to the clock's now
   * ```
   * @param nowMs - the time to advance to; default the clock's now.
   * @returns the number of callbacks run.
   */
  advance(nowMs: number = this.clock.now()): number {
    if (this.advancing) return 0;
    const target = Math.floor(nowMs / this.tickMs);
    let fired = 0;
    this.advancing = true;
    try {
      while (this.cur < target) {
        if (this.pending === 0) {
          this.cur = target;
          break;
        }
        const t = this.nextDueTick();
        if (t > target) {
          this.cur = target;
          break;
        }
        this.cur = t;
        if (t % SLOTS === 0) {
          for (let level = LEVELS - 1; level >= 1; level--) {
            const pow = POW[level];
            if (t % pow === 0) this.cascade(level * SLOTS + (Math.floor(t / pow) & SLOT_MASK));
          }
        }
        fired += this.fire(t & SLOT_MASK, nowMs);
      }
      if (this.pending > 0) fired += this.fireEarly(nowMs);
    } finally {
      this.advancing = false;
    }
    this.rearm();
    return fired;
  }

  /**
   * Cancels every pending timer and disarms the alarm. The wheel stays usable; handles issued
   * before are stale.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => wheel.close());
   * ```
   */
  close(): void {
    for (let s = 0; s <= FIRING; s++) {
      const next = this.next;
      let i = next[s];
      while (i !== s) {
        const n = next[i];
        this.release(i);
        i = n;
      }
      next[s] = s;
      this.prev[s] = s;
    }
    this.alarm.clear();
    this.armedAt = Infinity;
  }

  /** Allocates a slot, files it for `deadline` (ms) and arms the alarm if it is the earliest. */
  private insert(
    deadline: number,
    now: number,
    callback: unknown,
    arg: unknown,
    flags: number,
    period: number,
  ): TimerHandle {
    if (this.pending >= this.maxTimers) throw new WheelCapacityError(this.maxTimers);
    let i = this.freeHead;
    if (i !== -1) {
      this.freeHead = this.next[i];
      this.callbacks[i] = callback;
      this.args[i] = arg;
    } else {
      i = this.highWater++;
      if (i >= this.cap) this.grow();
      this.callbacks.push(callback);
      this.args.push(arg);
    }
    if (this.pending === 0 && !this.advancing) {
      // Nothing pending: the wheel may have slept; catch up so the timer is filed relative to now.
      const nowTick = Math.floor(now / this.tickMs);
      if (nowTick > this.cur) this.cur = nowTick;
    }
    this.pending++;
    this.flags[i] = flags;
    if (period !== 0) this.periods.set(i, period);
    // A zero delay or a past deadline means the next tick boundary, never the current turn: a
    // callback restarting itself with delay 0 cannot livelock an advance.
    if (deadline <= now) deadline = (Math.floor(now / this.tickMs) + 1) * this.tickMs;
    deadline = this.file(i, deadline);
    if (flags & KEEP_ALIVE && this.keepAliveCount++ === 0) this.alarm.setKeepAlive(true);
    if (!this.advancing && deadline < this.armedAt) this.arm(deadline);
    return ((this.gen[i] & GEN_MASK) * 256 + this.id) * INDEX_SPACE + i;
  }

  /**
   * Records `deadline` (ms) for timer `i` and links it in the slot of its tick: the deadline
   * rounded up to a tick, at least the tick after the current one, at most
   * {@link MAX_DELAY_TICKS} ahead (then the deadline is clamped too).
   *
   * @returns the deadline recorded.
   */
  private file(i: number, deadline: number): number {
    const cur = this.cur;
    let e = Math.ceil(deadline / this.tickMs);
    if (e <= cur) e = cur + 1;
    else if (e - cur > MAX_DELAY_TICKS) {
      e = cur + MAX_DELAY_TICKS;
      deadline = e * this.tickMs;
    }
    this.due[i] = deadline;
    this.link(i, e);
    return deadline;
  }

  /**
   * Maps a handle to its slot index: -1 when stale.
   *
   * @throws {@link ForeignHandleError}.
   */
  private resolve(handle: TimerHandle): number {
    // Power-of-two division and multiplication are exact on doubles, and cheaper than `%`.
    const high = Math.floor(handle / INDEX_SPACE);
    const i = handle - high * INDEX_SPACE;
    if (typeof handle !== 'number' || !(handle > 0 && handle <= MAX_HANDLE) || (i | 0) !== i) {
      throw new ForeignHandleError(handle, this.id, 'not-a-handle');
    }
    if ((high & 255) !== this.id) throw new ForeignHandleError(handle, this.id, 'other-wheel');
    if (i < FIRST_TIMER || i >= this.highWater)
      throw new ForeignHandleError(handle, this.id, 'not-a-handle');
    if ((this.flags[i] & PENDING) === 0 || (this.gen[i] & GEN_MASK) !== high >>> 8) return -1;
    return i;
  }

  /** Appends timer `i` (due at tick `e`) to the slot that will fire or cascade it in time. */
  private link(i: number, e: number): void {
    const delta = e - this.cur;
    let s: number;
    if (delta < 64) s = e & SLOT_MASK;
    else if (delta < 4096) s = SLOTS + (Math.floor(e / 64) & SLOT_MASK);
    else if (delta < 262_144) s = 2 * SLOTS + (Math.floor(e / 4096) & SLOT_MASK);
    else if (delta < 16_777_216) s = 3 * SLOTS + (Math.floor(e / 262_144) & SLOT_MASK);
    else if (delta < 1_073_741_824) s = 4 * SLOTS + (Math.floor(e / 16_777_216) & SLOT_MASK);
    else if (delta < HORIZON) s = 5 * SLOTS + (Math.floor(e / 1_073_741_824) & SLOT_MASK);
    // Beyond the wheel: park in the top-level slot that turns last; it is re-filed from there.
    else s = 5 * SLOTS + (Math.floor((this.cur + HORIZON - 1) / 1_073_741_824) & SLOT_MASK);
    const next = this.next;
    const prev = this.prev;
    const tail = prev[s];
    next[tail] = i;
    prev[i] = tail;
    next[i] = s;
    prev[s] = i;
  }

  private unlink(i: number): void {
    const next = this.next;
    const prev = this.prev;
    const n = next[i];
    const p = prev[i];
    next[p] = n;
    prev[n] = p;
  }

  /** Frees slot `i` (already unlinked): its generation moves on, so its handles go stale. */
  private release(i: number): void {
    const flags = this.flags[i];
    if (flags & KEEP_ALIVE && --this.keepAliveCount === 0) this.alarm.setKeepAlive(false);
    if (flags & PERIODIC) this.periods.delete(i);
    this.flags[i] = 0;
    this.gen[i]++;
    this.callbacks[i] = undefined;
    this.args[i] = undefined;
    this.next[i] = this.freeHead;
    this.freeHead = i;
    this.pending--;
  }

  /** Re-files every timer of slot `s` relative to the current tick (none lands back in `s`). */
  private cascade(s: number): void {
    const next = this.next;
    let i = next[s];
    if (i === s) return;
    next[s] = s;
    this.prev[s] = s;
    const due = this.due;
    const cur = this.cur;
    const tick = this.tickMs;
    while (i !== s) {
      const n = next[i];
      const e = Math.ceil(due[i] / tick);
      this.link(i, e > cur ? e : cur);
      i = n;
    }
  }

  /** Fires the level-0 slot `s`: all its timers are due (their tick is the current one). */
  private fire(s: number, nowMs: number): number {
    const next = this.next;
    const prev = this.prev;
    const first = next[s];
    if (first === s) return 0;
    // Move the slot's list onto FIRING so callbacks can cancel timers not yet fired.
    const last = prev[s];
    next[FIRING] = first;
    prev[first] = FIRING;
    prev[FIRING] = last;
    next[last] = FIRING;
    next[s] = s;
    prev[s] = s;
    return this.drain(nowMs);
  }

  /**
   * Fires the timers of the next tick whose exact deadline has already passed (the alarm wakes
   * the wheel at the earliest deadline of that tick, not at its end): no rounding lateness.
   */
  private fireEarly(nowMs: number): number {
    const s = (this.cur + 1) & SLOT_MASK;
    const next = this.next;
    const prev = this.prev;
    const due = this.due;
    let i = next[s];
    if (i === s) return 0;
    while (i !== s) {
      const n = next[i];
      if (due[i] <= nowMs) {
        this.unlink(i);
        const tail = prev[FIRING];
        next[tail] = i;
        prev[i] = tail;
        next[i] = FIRING;
        prev[FIRING] = i;
      }
      i = n;
    }
    return this.drain(nowMs);
  }

  /** Runs the callbacks of the timers on the FIRING list; periodic ones are re-filed first. */
  private drain(nowMs: number): number {
    const next = this.next;
    let fired = 0;
    while (next[FIRING] !== FIRING) {
      const i = next[FIRING];
      this.unlink(i);
      const callback = this.callbacks[i] as TimerCallback<unknown>;
      const arg = this.args[i];
      const handle = ((this.gen[i] & GEN_MASK) * 256 + this.id) * INDEX_SPACE + i;
      let expirations = 1;
      if (this.flags[i] & PERIODIC) {
        const period = this.periods.get(i) as number;
        const deadline = this.due[i];
        expirations = nowMs > deadline ? Math.floor((nowMs - deadline) / period) + 1 : 1;
        this.file(i, deadline + expirations * period);
      } else {
        this.release(i);
      }
      fired++;
      try {
        callback(arg, expirations, handle);
      } catch (error) {
        this.onError(error);
      }
    }
    return fired;
  }

  /** The next tick with work: a level-0 slot due, or a higher-level slot to cascade. */
  private nextDueTick(): number {
    const cur = this.cur;
    const next = this.next;
    let best = Infinity;
    for (let k = 1; k <= SLOTS; k++) {
      const s = (cur + k) & SLOT_MASK;
      if (next[s] !== s) {
        best = cur + k;
        break;
      }
    }
    for (let level = 1; level < LEVELS; level++) {
      const pow = POW[level];
      const base = Math.floor(cur / pow);
      // Every later level turns on multiples of this level's slot span: none can beat `best`.
      if ((base + 1) * pow >= best) break;
      const offset = level * SLOTS;
      for (let k = 1; k <= SLOTS; k++) {
        const t = (base + k) * pow;
        if (t >= best) break;
        const s = offset + ((base + k) & SLOT_MASK);
        if (next[s] !== s) {
          best = t;
          break;
        }
      }
    }
    return best;
  }

  private rearm(): void {
    if (this.pending === 0) {
      if (this.armedAt !== Infinity) this.alarm.clear();
      this.armedAt = Infinity;
      return;
    }
    const at = this.wakeTime();
    if (at === Infinity) {
      this.alarm.clear();
      this.armedAt = Infinity;
    } else {
      this.arm(at);
    }
  }

  /**
   * When the wheel next has work: the earliest exact deadline of the next due tick when that
   * tick fires a level-0 slot (scanning at most 64 of its timers), else the tick's start of a
   * cascade.
   */
  private wakeTime(): number {
    const t = this.nextDueTick();
    const s = t & SLOT_MASK;
    const next = this.next;
    if (t - this.cur < SLOTS && next[s] !== s) {
      const due = this.due;
      let earliest = Infinity;
      let i = next[s];
      for (let n = 0; i !== s && n < SLOTS; n++, i = next[i])
        if (due[i] < earliest) earliest = due[i];
      if (earliest < Infinity) return earliest;
    }
    return t * this.tickMs;
  }

  private arm(at: number): void {
    this.armedAt = at;
    this.alarm.set(at, this.keepAliveCount > 0);
  }

  private grow(): void {
    const cap = Math.min(
      FIRST_TIMER + this.maxTimers,
      Math.max(this.cap + 1024, Math.ceil(this.cap * 1.5)),
    );
    this.due = extend(this.due, new Float64Array(cap));
    this.next = extend(this.next, new Int32Array(cap));
    this.prev = extend(this.prev, new Int32Array(cap));
    this.gen = extend(this.gen, new Uint32Array(cap));
    this.flags = extend(this.flags, new Uint8Array(cap));
    this.cap = cap;
  }
}

function extend<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
