import { AppKitError } from './app-kit.error';

/**
 * A pooled job's task threw (or rejected), its module could not be loaded in the worker, or its
 * payload or result could not cross the thread boundary (not structured-cloneable: a function,
 * a symbol, a detached buffer…). The worker lives on. `cause` holds the worker's error as it crossed the thread boundary
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
   * @param phase - `send` (the payload could not be posted to a worker), `load` (the module or
   *   its export), `run` (the task itself) or `reply` (its result could not be posted back).
   * @param cause - the worker's error.
   */
  constructor(
    readonly task: string,
    readonly phase: 'send' | 'load' | 'run' | 'reply',
    cause: Error,
  ) {
    super(`capsule task ${task} failed (${phase}): ${cause.message}`, { cause });
  }
}
