import { AemError } from '@aem/core';

/**
 * Raised when a delay, period or deadline given to the timers is not a finite number ≥ 0
 * (negative, `NaN`, `±Infinity`, or not a number at all). Nothing was armed and the wheel is
 * unchanged.
 *
 * Non-integer delays are not an error: they are rounded up to the next tick (a timer never
 * fires early), and delays above {@link MAX_DELAY_TICKS} ticks are clamped.
 *
 * @example
 * ```ts
 * import { InvalidDelayError, TimerWheel } from '@aem/timers';
 * const wheel = new TimerWheel();
 * try {
 *   wheel.start(-5, () => undefined);
 * } catch (error) {
 *   if (error instanceof InvalidDelayError) console.log(error.code, error.delay); // AEM_TIMERS_INVALID_DELAY -5
 * }
 * wheel.close();
 * ```
 */
export class InvalidDelayError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_TIMERS_INVALID_DELAY';

  /**
   * @param argument - the name of the offending argument, e.g. `delayMs`.
   * @param delay - the value that was given.
   */
  constructor(
    readonly argument: string,
    readonly delay: unknown,
  ) {
    super(`${argument} must be a finite number of milliseconds ≥ 0, got ${String(delay)}`);
  }
}
