import { AppKitError } from './app-kit.error';

/**
 * A {@link Supervisor} gave up: its children needed more than `intensity` restarts within
 * `periodMs` (OTP's restart intensity), so it stopped every child and itself.
 *
 * @example
 * ```ts
 * supervisor.terminated.then((error) => error && console.log(error.code, error.childId)); // AEM_APP_SUPERVISOR_SHUTDOWN
 * ```
 */
export class SupervisorShutdownError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_SUPERVISOR_SHUTDOWN';

  /**
   * @param supervisor - the supervisor's name.
   * @param childId - the child whose exit exceeded the intensity.
   * @param restarts - restarts counted within the period, this one included.
   * @param intensity - restarts allowed within the period (`MaxR`).
   * @param periodMs - the period in ms (`MaxT`).
   * @param cause - why that child exited.
   */
  constructor(
    readonly supervisor: string,
    readonly childId: string,
    readonly restarts: number,
    readonly intensity: number,
    readonly periodMs: number,
    cause: unknown,
  ) {
    super(
      `supervisor "${supervisor}" shut down: child "${childId}" needed restart ${restarts} within ` +
        `${periodMs} ms, over its intensity of ${intensity}`,
      { cause },
    );
  }
}
