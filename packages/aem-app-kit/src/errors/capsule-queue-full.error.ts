import { AppKitError } from './app-kit.error';

/**
 * A {@link CapsulePool} refused a job: its workers are all busy and `maxQueue` jobs already
 * wait. Nothing was queued; the caller sheds the work or retries later (back-pressure, never an
 * unbounded queue).
 *
 * @example
 * ```ts
 * pool.run(task, payload).catch((error) => {
 *   if (error instanceof CapsuleQueueFullError) connection.send('busy\n');
 * });
 * ```
 */
export class CapsuleQueueFullError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_CAPSULE_QUEUE_FULL';

  /**
   * @param pool - the pool's name.
   * @param limit - jobs the pool holds at most (workers + `maxQueue`).
   */
  constructor(
    readonly pool: string,
    readonly limit: number,
  ) {
    super(`capsule pool ${pool} is full (${limit} jobs running or queued)`);
  }
}
