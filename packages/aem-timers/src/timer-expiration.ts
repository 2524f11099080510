/**
 * What each activation of a timer event carries: how many expirations it accounts for and
 * when it was delivered by the wheel.
 *
 * @example
 * ```ts
 * timers.every(1000, ({ expirations, count, time }) => {
 *   if (expirations > 1) console.warn(`late: ${expirations - 1} periods skipped`);
 *   console.log(`expiration #${count} at ${time.toFixed(1)} ms`);
 * });
 * ```
 */
export interface TimerExpiration {
  /**
   * Expirations this activation accounts for: 1 normally; more for a periodic timer when whole
   * periods passed before the wheel could fire it (the process was blocked), or when an earlier
   * activation was refused by a full queue (the overrun is carried over, never lost).
   */
  readonly expirations: number;
  /** Expirations of the event so far, this one included. */
  readonly count: number;
  /** The timer clock's time (ms) when the wheel fired the timer. */
  readonly time: number;
}
