import { AppKitError } from './app-kit.error';

/**
 * A pooled job ran (or waited) longer than the pool's `timeoutMs`: its worker was terminated
 * (a new one replaces it) and the job failed with this error.
 *
 * @example
 * ```ts
 * await pool.run(task, payload).catch((error) => error instanceof CapsuleTimeoutError);
 * ```
 */
export class CapsuleTimeoutError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_CAPSULE_TIMEOUT';

  /**
   * @param task - `module#export` of the task.
   * @param timeoutMs - the limit that was exceeded.
   */
  constructor(
    readonly task: string,
    readonly timeoutMs: number,
  ) {
    super(`capsule task ${task} timed out after ${timeoutMs} ms (worker terminated)`);
  }
}
