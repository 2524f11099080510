import { InvalidArgumentError } from '@aem/core';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Lowest TwInit RFC 3539 allows (§3.4.1: "MUST NOT be set lower than 6 seconds").
 *
 * @example
 * ```ts
 * const twInitMs = Math.max(DIAMETER_TW_INIT_MIN_MS, config.twInitMs);
 * ```
 */
export const DIAMETER_TW_INIT_MIN_MS = 6000;

/**
 * Default TwInit (RFC 3539 §3.4.1 suggests 30 s).
 *
 * @example
 * ```ts
 * diameterWatchdogInterval({ twInitMs: DIAMETER_TW_INIT_DEFAULT_MS });
 * ```
 */
export const DIAMETER_TW_INIT_DEFAULT_MS = 30_000;

/**
 * Jitter applied to each Tw: uniformly within ± 2 s.
 *
 * @example
 * ```ts
 * const latest = twInitMs + DIAMETER_TW_JITTER_MS; // longest possible Tw
 * ```
 */
export const DIAMETER_TW_JITTER_MS = 2000;

/**
 * Options of the RFC 3539 watchdog timer.
 *
 * @example
 * ```ts
 * const options: DiameterWatchdogOptions = { twInitMs: 30_000, random: seededRandom, reset: peer.received$ };
 * ```
 */
export interface DiameterWatchdogOptions {
  /** TwInit in ms: ≥ {@link DIAMETER_TW_INIT_MIN_MS}; default {@link DIAMETER_TW_INIT_DEFAULT_MS}. */
  readonly twInitMs?: number;
  /** Uniform random source in [0, 1); default `Math.random`. Inject one for reproducible tests. */
  readonly random?: () => number;
  /** Any emission restarts the watchdog with a fresh Tw (RFC 3539: reset on every message received). */
  readonly reset?: Observable<unknown>;
}

/**
 * Draws one watchdog interval Tw = TwInit + jitter, the jitter uniform in ± 2 s (RFC 3539
 * §3.4.1), so peers do not send their watchdogs in lock-step.
 *
 * @example
 * ```ts
 * import { diameterWatchdogInterval } from '@aem/timers';
 * diameterWatchdogInterval({ twInitMs: 30_000 }); // somewhere in [28000, 32000]
 * ```
 * @param options - TwInit and random source.
 * @returns Tw in ms.
 * @throws {@link @aem/core!InvalidArgumentError} for a TwInit below 6 s or not finite.
 */
export function diameterWatchdogInterval(options: DiameterWatchdogOptions = {}): number {
  const twInit = checkTwInit(options.twInitMs ?? DIAMETER_TW_INIT_DEFAULT_MS);
  const r = (options.random ?? Math.random)();
  // A random source out of [0, 1) is clamped: the jitter never exceeds ± 2 s.
  const unit = r >= 0 && r < 1 ? r : r >= 1 ? 1 : 0;
  return twInit + (unit * 2 - 1) * DIAMETER_TW_JITTER_MS;
}

/**
 * The RFC 3539 watchdog timer Tw as a stream: emits 1, 2, 3… (expirations since the last reset)
 * each time Tw elapses without a reset, drawing a fresh jitter for every interval. On the first
 * emission send a DWR; on further ones without an answer, fail over (the RFC's state machine
 * stays with the caller). Each emission of `options.reset` restarts the count and the timer.
 *
 * @example
 * ```ts
 * import { diameterWatchdog } from '@aem/timers';
 * diameterWatchdog(timers.scheduler, { twInitMs: 30_000, reset: peer.received$ }).subscribe((n) => {
 *   if (n === 1) peer.sendDwr();
 *   else peer.failover();
 * });
 * ```
 * @param scheduler - where the timer runs (a `WheelScheduler`).
 * @param options - TwInit, random source, reset stream.
 * @throws {@link @aem/core!InvalidArgumentError} for a TwInit below 6 s (at call time).
 */
export function diameterWatchdog(
  scheduler: SchedulerLike,
  options: DiameterWatchdogOptions = {},
): Observable<number> {
  checkTwInit(options.twInitMs ?? DIAMETER_TW_INIT_DEFAULT_MS);
  return new Observable<number>((subscriber) => {
    let expirations = 0;
    let pending: Subscription | undefined;
    const arm = (): void => {
      pending?.unsubscribe();
      pending = scheduler.schedule(() => {
        subscriber.next(++expirations);
        arm();
      }, diameterWatchdogInterval(options));
    };
    arm();
    const resets = options.reset?.subscribe({
      next: () => {
        expirations = 0;
        arm();
      },
      error: (error) => subscriber.error(error),
    });
    return () => {
      resets?.unsubscribe();
      pending?.unsubscribe();
    };
  });
}

function checkTwInit(value: number): number {
  if (typeof value !== 'number' || !(value >= DIAMETER_TW_INIT_MIN_MS && value < Infinity)) {
    throw new InvalidArgumentError(
      'options.twInitMs',
      `a finite number of ms ≥ ${DIAMETER_TW_INIT_MIN_MS} (RFC 3539)`,
      value,
    );
  }
  return value;
}
