import { TimersError } from './timers.error';

/**
 * Raised when a delay, period or deadline given to the timers is not what it must be: a delay a
 * finite number of ms ≥ 0, a period a finite number > 0, a deadline a finite number (so
 * negative values, `0` for a period, `NaN`, `±Infinity`, and strings such as `'100'` are
 * refused). Nothing was armed and the wheel is unchanged.
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
export class InvalidDelayError extends TimersError {
  /** @inheritDoc */
  readonly code = 'AEM_TIMERS_INVALID_DELAY';

  /**
   * @param argument - the name of the offending argument, e.g. `delayMs`.
   * @param delay - the value that was given.
   * @param kind - what it had to be: a `delay` (≥ 0, the default), a `period` (> 0) or a
   *   `deadline` (any finite time).
   */
  constructor(
    readonly argument: string,
    readonly delay: unknown,
    readonly kind: 'delay' | 'period' | 'deadline' = 'delay',
  ) {
    super(`${argument} must be ${REQUIREMENT[kind]}, got ${describe(delay)}`);
  }
}

const REQUIREMENT = {
  delay: 'a finite number of milliseconds ≥ 0',
  period: 'a finite number of milliseconds > 0',
  deadline: 'a finite time in milliseconds',
} as const;

/** The value as the message shows it: a string quoted, so `'100'` does not read as `100`. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || value === undefined || value === null) return String(value);
  return `a ${typeof value}`;
}
