import { AppKitError } from './app-kit.error';

/**
 * A domain's handlers failed more often than its restart budget allows (`intensity` failures
 * within `periodMs`), so the supervisor closed that domain. Logged, counted in the metrics and
 * given to `onClose` handlers; the application keeps serving every other domain.
 *
 * @example
 * ```ts
 * app.supervisionEvents.subscribe((error) => console.log(error.domain, error.failures)); // AEM_APP_RESTART_BUDGET
 * ```
 */
export class RestartBudgetExceededError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_RESTART_BUDGET';

  /**
   * @param domain - name of the closed domain.
   * @param failures - failures counted within the period.
   * @param intensity - the budget: failures allowed within the period.
   * @param periodMs - the period in ms.
   * @param cause - the last failure.
   */
  constructor(
    readonly domain: string,
    readonly failures: number,
    readonly intensity: number,
    readonly periodMs: number,
    cause: unknown,
  ) {
    super(
      `domain "${domain}" closed: ${failures} handler failures within ${periodMs} ms (budget ${intensity})`,
      { cause },
    );
  }
}
