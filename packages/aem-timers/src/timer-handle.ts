/**
 * A pending timer of a {@link TimerWheel}: a positive integer (a plain `number`, no object)
 * that encodes the timer's slot index, the slot's generation and the wheel's id.
 *
 * Layout (53 bits, exact in a double): `((generation · 256 + wheelId) · 2^25) + slotIndex`,
 * with a 20-bit generation, an 8-bit wheel id and a 25-bit slot index. When a timer fires or is
 * cancelled its slot's generation moves on, so an old handle no longer matches: cancelling or
 * rescheduling it is a safe no-op returning `false`, even after the slot was reused (until the
 * same slot has been reused 2^20 times). `0` is never a handle: use it for "no timer".
 *
 * @example
 * ```ts
 * import { NO_TIMER, type TimerHandle } from '@aem/timers';
 * let retransmit: TimerHandle = NO_TIMER;
 * retransmit = wheel.start(500, onRetransmit, transaction);
 * wheel.cancel(retransmit);
 * ```
 */
export type TimerHandle = number;

/**
 * A value that is never a {@link TimerHandle}, for "no timer armed".
 *
 * @example
 * ```ts
 * let idle: TimerHandle = NO_TIMER;
 * if (idle === NO_TIMER) idle = wheel.start(30_000, onIdle, connection);
 * ```
 */
export const NO_TIMER: TimerHandle = 0;

/**
 * What a timer calls when it fires: the argument given at start, the number of expirations this
 * call accounts for (always 1 for a one-shot timer; for a periodic timer, 1 plus the periods
 * skipped because the process was late) and the timer's handle.
 *
 * Starting one shared function with a per-timer argument costs no closure per timer.
 *
 * @example
 * ```ts
 * const onTimeout: TimerCallback<Transaction> = (transaction, expirations) => transaction.timeout(expirations);
 * wheel.start(32_000, onTimeout, transaction);
 * ```
 */
export type TimerCallback<A> = (arg: A, expirations: number, handle: TimerHandle) => void;
