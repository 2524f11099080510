import { InvalidArgumentError } from '@aem/core';

/**
 * Options of a {@link RestartBudget}, in the terms of an Erlang/OTP supervisor: at most
 * `intensity` failures within any `periodMs` window.
 *
 * @example
 * ```ts
 * const policy: RestartBudgetOptions = { intensity: 3, periodMs: 5_000 };
 * ```
 */
export interface RestartBudgetOptions {
  /** Failures tolerated within the period (`MaxR`). Default 3. */
  readonly intensity?: number;
  /** The period in ms (`MaxT`). Default 5,000. */
  readonly periodMs?: number;
}

/**
 * Default restart budget: 3 failures within 5 s.
 *
 * @example
 * ```ts
 * createApp({ handlers, restartBudget: { ...DEFAULT_RESTART_BUDGET, intensity: 10 } });
 * ```
 */
export const DEFAULT_RESTART_BUDGET: Required<RestartBudgetOptions> = Object.freeze({
  intensity: 3,
  periodMs: 5_000,
});

/**
 * Counts a domain's handler failures in a sliding window and says when the budget is spent:
 * the `intensity + 1`-th failure within `periodMs` exceeds it (as an OTP supervisor gives up
 * after more than `MaxR` restarts within `MaxT`). Time comes from the caller, so the budget
 * follows the timers' clock (virtual in tests).
 *
 * @example
 * ```ts
 * const budget = new RestartBudget({ intensity: 2, periodMs: 1000 });
 * budget.fail(0);    // false: 1 failure
 * budget.fail(10);   // false: 2 failures
 * budget.fail(20);   // true: 3 within 1 s, over budget
 * ```
 */
export class RestartBudget {
  /** Failures tolerated within the period. */
  readonly intensity: number;
  /** The window in ms. */
  readonly periodMs: number;
  private readonly failures: number[] = [];

  /**
   * @param options - intensity and period (defaults {@link DEFAULT_RESTART_BUDGET}).
   * @throws {@link @aem/core!InvalidArgumentError} for an intensity that is not an integer ≥ 0 or a
   *   period that is not a finite number > 0.
   */
  constructor(options: RestartBudgetOptions = {}) {
    this.intensity = options.intensity ?? DEFAULT_RESTART_BUDGET.intensity;
    this.periodMs = options.periodMs ?? DEFAULT_RESTART_BUDGET.periodMs;
    if (!Number.isSafeInteger(this.intensity) || this.intensity < 0)
      throw new InvalidArgumentError('restartBudget.intensity', 'an integer ≥ 0', this.intensity);
    if (!(this.periodMs > 0 && this.periodMs < Infinity))
      throw new InvalidArgumentError(
        'restartBudget.periodMs',
        'a finite number of ms > 0',
        this.periodMs,
      );
  }

  /** Failures within the window ending at the last {@link RestartBudget.fail}. */
  get recent(): number {
    return this.failures.length;
  }

  /**
   * Records a failure at time `now` (ms).
   *
   * @returns `true` when the failures within the last `periodMs` now exceed `intensity`.
   */
  fail(now: number): boolean {
    this.failures.push(now);
    // The window holds at most intensity + 1 entries: drop what is older than the period.
    while (this.failures.length > 0 && this.failures[0] <= now - this.periodMs)
      this.failures.shift();
    return this.failures.length > this.intensity;
  }
}
