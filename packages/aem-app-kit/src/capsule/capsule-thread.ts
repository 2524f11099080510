import { Worker } from 'node:worker_threads';
import type { CapsuleJobRecord } from './capsule-job-record';
import type { CapsuleWorkerData } from './capsule-protocol';

/**
 * @internal One worker thread of a {@link CapsulePool} and what the pool knows of it. The pool
 * posts a job to a thread only when `job` is undefined, so a thread's next message is the reply
 * to `job`: no job id crosses the port.
 */
export class CapsuleThread {
  /** The worker. */
  readonly worker: Worker;
  /** The job it runs now, if any. */
  job: CapsuleJobRecord | undefined = undefined;
  /** It reported its scheduling policy (its entry file ran). */
  ready = false;
  /** The pool terminated it (timeout, close): its exit is not a crash. */
  retired = false;
  /** Its uncaught error, kept for the crash report that its exit makes. */
  error: unknown = undefined;
  /** Settles when the thread has exited. */
  readonly exited: Promise<void>;

  /**
   * @param file - the worker entry file.
   * @param workerData - its options.
   */
  constructor(file: string, workerData: CapsuleWorkerData) {
    this.worker = new Worker(file, { workerData });
    // An idle worker does not keep the process alive; a running job does (see the pool's post).
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }
}
