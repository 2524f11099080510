import { AppKitError } from './app-kit.error';

/**
 * The worker running a pooled job died under it (`process.exit` in the task, an uncaught
 * exception thrown outside the task's promise, out of memory). The pool starts a new worker;
 * the job is not retried — a task that kills its worker would kill the next one too.
 *
 * @example
 * ```ts
 * await pool.run(task, payload).catch((error) => error instanceof CapsuleWorkerCrashedError);
 * ```
 */
export class CapsuleWorkerCrashedError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_CAPSULE_WORKER_CRASHED';

  /**
   * @param task - `module#export` of the task.
   * @param cause - what the pool reported (the worker's exit or its uncaught error).
   */
  constructor(
    readonly task: string,
    cause: unknown,
  ) {
    super(
      `capsule worker died running ${task}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
