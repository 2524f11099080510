import { AppKitError } from './app-kit.error';

/**
 * A {@link CapsulePool} was closed: a job submitted afterwards, or one still queued or running
 * when the pool was closed with `force`, fails with this error (nothing is left pending).
 *
 * @example
 * ```ts
 * await pool.close({ force: true });
 * await pool.run(task, payload).catch((error) => error instanceof CapsuleClosedError); // true
 * ```
 */
export class CapsuleClosedError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_CAPSULE_CLOSED';

  /** @param pool - the pool's name. */
  constructor(readonly pool: string) {
    super(`capsule pool ${pool} is closed`);
  }
}
