import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { NO_TIMER, type TimerHandle } from './timer-handle';
import type { TimerWheel } from './timing-wheel';

/**
 * Options of a {@link WheelScheduler}.
 *
 * @example
 * ```ts
 * const housekeeping = new WheelScheduler(timers.wheel, { keepAlive: false });
 * ```
 */
export interface WheelSchedulerOptions {
  /**
   * Whether a pending action holds the process open (a ref'd Node timer), as the timers of
   * RxJS's `asyncScheduler` do. Default `true`: `delay(500, scheduler)` in a script waits the
   * 500 ms instead of letting Node exit. `false` for background work that must not keep a
   * process alive (housekeeping, metrics sampling).
   */
  readonly keepAlive?: boolean;
}

/**
 * An RxJS `SchedulerLike` on a {@link TimerWheel}: give it to `timeout`, `delay`,
 * `debounceTime`, `throttleTime`, `interval`, `timer`… and their timers live on the wheel (one
 * Node timer in all) instead of one Node `setInterval` each. With a wheel on a `VirtualClock`
 * the operators run deterministically under test.
 *
 * Semantics follow RxJS's `asyncScheduler`: work runs asynchronously after at least `delay` ms
 * (a delay ≤ 0 means the next tick), an action that reschedules itself from its own work with
 * the same delay keeps a fixed rate: its next deadline is the previous deadline plus the delay,
 * so `interval` does not drift; and **a pending action keeps the process alive** (as the
 * `setInterval` of `asyncScheduler` does) unless the scheduler was made with
 * `keepAlive: false`. `now()` is the wheel's monotonic clock, not `Date.now()`: pass relative
 * durations, not `Date`s, to operators that accept either.
 *
 * @example
 * ```ts
 * import { debounceTime, interval, take, timeout } from 'rxjs';
 * import { TimerWheel, WheelScheduler } from '@aem/timers';
 *
 * const scheduler = new WheelScheduler(new TimerWheel());
 * interval(1000, scheduler).pipe(take(3)).subscribe((n) => console.log('tick', n));
 * responses$.pipe(timeout({ first: 32_000, scheduler })).subscribe();
 * keystrokes$.pipe(debounceTime(300, scheduler)).subscribe();
 * ```
 */
export class WheelScheduler implements SchedulerLike {
  /** Whether pending actions hold the process open (see {@link WheelSchedulerOptions}). */
  readonly keepAlive: boolean;

  /**
   * @param wheel - the wheel the actions are timed on.
   * @param options - keep-alive (default `true`).
   */
  constructor(
    readonly wheel: TimerWheel,
    options: WheelSchedulerOptions = {},
  ) {
    this.keepAlive = options.keepAlive ?? true;
  }

  /** The wheel's clock time in ms. */
  now(): number {
    return this.wheel.now();
  }

  /**
   * Schedules `work` to run once after `delay` ms, with `state`; from inside, `this.schedule()`
   * reschedules the same action.
   *
   * @param work - the work, called with the action as `this`.
   * @param delay - in ms; ≤ 0 or `NaN` means the next tick.
   * @param state - passed to `work`.
   * @returns the action: unsubscribing cancels it.
   */
  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    return new WheelAction<T>(this.wheel, work, this.keepAlive).schedule(state, delay);
  }
}

/** One scheduled unit of work of a {@link WheelScheduler}: a Subscription owning one wheel timer. */
class WheelAction<T> extends Subscription implements SchedulerAction<T> {
  private handle: TimerHandle = NO_TIMER;
  private state: T | undefined = undefined;
  private delay = -1;
  private deadline = 0;
  private executing = false;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
    private readonly keepAlive: boolean,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    const wheel = this.wheel;
    if (this.handle !== NO_TIMER) {
      wheel.cancel(this.handle);
      this.handle = NO_TIMER;
    }
    const ms = delay > 0 ? delay : 0;
    if (this.executing && ms === this.delay && ms > 0) {
      // Periodic rescheduling from its own work: keep the rate (previous deadline + delay),
      // but after a stall restart from now rather than fire a burst of catch-up runs.
      const now = wheel.now();
      const next = this.deadline + ms;
      this.deadline = next > now ? next : now + ms;
      this.handle = wheel.startAt(
        this.deadline,
        fireAction,
        this as WheelAction<unknown>,
        this.keepAlive,
      );
    } else {
      this.deadline = wheel.now() + ms;
      this.handle = wheel.start(ms, fireAction, this as WheelAction<unknown>, this.keepAlive);
    }
    this.delay = ms;
    return this;
  }

  /** @internal Runs the work; an error unsubscribes the action and is rethrown to the wheel. */
  _execute(): void {
    this.handle = NO_TIMER;
    if (this.closed) return;
    this.executing = true;
    try {
      this.work(this.state);
    } catch (error) {
      this.unsubscribe();
      throw error;
    } finally {
      this.executing = false;
    }
  }

  override unsubscribe(): void {
    if (this.closed) return;
    if (this.handle !== NO_TIMER) {
      this.wheel.cancel(this.handle);
      this.handle = NO_TIMER;
    }
    super.unsubscribe();
  }
}

function fireAction(action: WheelAction<unknown>): void {
  action._execute();
}
