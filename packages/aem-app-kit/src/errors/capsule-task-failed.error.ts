import { AppKitError } from './app-kit.error';

/**
 * A pooled job's task threw (or rejected), or its module could not be loaded in the worker.
 * The worker lives on. `cause` holds the worker's error as it crossed the thread boundary
 * (name, message and stack; its class is not preserved).
 *
 * @example
 * ```ts
 * app.runtime.errors.subscribe((error) => {
 *   if (error.cause instanceof CapsuleTaskFailedError) log.warn(error.cause.task, error.message);
 * });
 * ```
 */
export class CapsuleTaskFailedError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_CAPSULE_TASK_FAILED';

  /**
   * @param task - `module#export` of the task.
   * @param phase - `load` (the module or its export) or `run` (the task itself).
   * @param cause - the worker's error.
   */
  constructor(
    readonly task: string,
    readonly phase: 'load' | 'run',
    cause: Error,
  ) {
    super(`capsule task ${task} failed (${phase}): ${cause.message}`, { cause });
  }
}
