import { InvalidDelayError } from './errors/invalid-delay.error';

/**
 * What a delay argument must be: a `delay` (or first delay) is a finite number of ms ≥ 0, a
 * `period` a finite number > 0, a `deadline` (an absolute time on the clock) any finite number.
 */
export type DelayKind = 'delay' | 'period' | 'deadline';

/**
 * The one delay check of the package: every delay, period and deadline a timer is given goes
 * through it, so they all accept and refuse the same values with the same message.
 *
 * @param argument - the argument's name in the message, e.g. `delayMs`.
 * @param value - what was given.
 * @param kind - what it must be.
 * @returns the value, as a number.
 * @throws {@link InvalidDelayError} otherwise (a string such as `'100'` included).
 * @internal
 */
export function checkDelay(argument: string, value: unknown, kind: DelayKind): number {
  if (
    typeof value !== 'number' ||
    !(kind === 'delay' ? value >= 0 : kind === 'period' ? value > 0 : value > -Infinity) ||
    value === Infinity
  ) {
    throw new InvalidDelayError(argument, value, kind);
  }
  return value;
}
