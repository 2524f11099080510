import { TimersError } from './timers.error';

/**
 * Raised by `TimerWheel.start` when the wheel already holds its maximum number of pending
 * timers ({@link MAX_TIMERS}, or the `maxTimers` option). Nothing was armed: account for the
 * refusal, never drop silently.
 *
 * @example
 * ```ts
 * import { TimerWheel, WheelCapacityError } from '@aem/timers';
 * const wheel = new TimerWheel({ maxTimers: 1 });
 * wheel.start(1000, () => undefined);
 * try {
 *   wheel.start(1000, () => undefined);
 * } catch (error) {
 *   if (error instanceof WheelCapacityError) console.log(error.limit); // 1
 * }
 * wheel.close();
 * ```
 */
export class WheelCapacityError extends TimersError {
  /** @inheritDoc */
  readonly code = 'AEM_TIMERS_CAPACITY';

  /** @param limit - the maximum number of pending timers that was reached. */
  constructor(readonly limit: number) {
    super(`the timing wheel already holds its maximum of ${limit} pending timers`);
  }
}
