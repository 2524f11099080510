import { InvalidHandlerError } from '../errors/invalid-handler.error';
import { addHandlerMethod } from './handler-metadata';

/**
 * Options of {@link OnTimer}.
 *
 * @example
 * ```ts
 * const once: OnTimerOptions = { once: true };
 * ```
 */
export interface OnTimerOptions {
  /** Fire once, `ms` after the handler version starts, instead of every `ms`. */
  readonly once?: boolean;
}

/**
 * Declares an application-level timer handler: runs every `ms` (or once, with `once: true`)
 * while the handler version it belongs to is current, on the timers service (so it follows a
 * virtual clock in tests). It receives the `TimerExpiration`; it may be `async` (its
 * activations never overlap). On a hot upgrade the old version's timers are cancelled and the
 * new version's start.
 *
 * @example
 * ```ts
 * @OnTimer(30_000)
 * async sweep({ expirations }: TimerExpiration) {
 *   await this.registrations.expire();
 * }
 * ```
 * @param ms - period (or delay), a finite number > 0.
 * @param options - `once`.
 * @returns a method decorator.
 * @throws {@link InvalidHandlerError} for a bad `ms`.
 */
export function OnTimer(ms: number, options: OnTimerOptions = {}): MethodDecorator {
  if (typeof ms !== 'number' || !(ms > 0) || ms === Infinity) {
    throw new InvalidHandlerError('@OnTimer(ms)', `ms must be a finite number > 0, got ${ms}`);
  }
  return (target, key) =>
    addHandlerMethod(target, { kind: 'timer', method: key, ms, once: options.once === true });
}
