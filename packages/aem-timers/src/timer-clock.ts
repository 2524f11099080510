/**
 * One wake-up request on a {@link TimerClock}: at most one pending time at once. A timing wheel
 * holds exactly one alarm and keeps it set to its next due tick.
 *
 * @example
 * ```ts
 * const alarm = clock.createAlarm(() => console.log('due at', clock.now()));
 * alarm.set(clock.now() + 50, false);
 * ```
 */
export interface ClockAlarm {
  /**
   * Arms the alarm for clock time `at` (ms), replacing any earlier setting. The listener runs
   * once, no earlier than `at`.
   *
   * @param at - the clock time to wake at.
   * @param keepAlive - hold the process open while armed (a ref'd Node timer).
   */
  set(at: number, keepAlive: boolean): void;
  /** Changes whether the armed alarm holds the process open. */
  setKeepAlive(keepAlive: boolean): void;
  /** Disarms the alarm. Idempotent. */
  clear(): void;
  /** The time the alarm is armed for, or `undefined` when disarmed. */
  readonly armedAt: number | undefined;
}

/**
 * Where the timers take time from: a monotonic `now()` in milliseconds and alarms that wake the
 * wheel. {@link NodeClock} is the real one (the only code arming Node timers);
 * `VirtualClock` from `@aem/timers/testing` is advanced by tests.
 *
 * @example
 * ```ts
 * import { NodeClock, TimerWheel } from '@aem/timers';
 * const wheel = new TimerWheel({ clock: new NodeClock() });
 * ```
 */
export interface TimerClock {
  /** Monotonic time in milliseconds (fractional allowed). */
  now(): number;
  /**
   * Creates an alarm that calls `listener` when due.
   *
   * @param listener - called with no arguments, from the clock's own context (a Node timer
   *   callback, or inside `VirtualClock.advance`).
   */
  createAlarm(listener: () => void): ClockAlarm;
}
