import type { TimerHandle } from '@aem/timers';
import type { CapsuleJob } from './capsule-protocol';
import type { CapsuleTask } from './capsule-task';

/**
 * @internal One submitted job of a {@link CapsulePool}, from `run()` until its promise settles.
 * A plain record of fields on purpose: no closures or accessors per job beyond its promise's own
 * resolving functions, so the event loop allocates little per job and nothing outlives it.
 */
export class CapsuleJobRecord {
  /** `queued` (in the pool's queue), `running` (posted to a worker), `settled` (done). */
  state: 'queued' | 'running' | 'settled' = 'queued';
  /** Its deadline on the pool's wheel. */
  timer: TimerHandle = 0;
  /** Settle its promise (set by the promise's executor). */
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;

  /**
   * @param task - the task (for error labels).
   * @param message - what is posted to the worker.
   * @param transferList - the payload's buffers to move.
   * @param timeoutMs - its time limit from submission.
   */
  constructor(
    readonly task: CapsuleTask,
    readonly message: CapsuleJob,
    readonly transferList: readonly ArrayBuffer[],
    readonly timeoutMs: number,
  ) {}
}
