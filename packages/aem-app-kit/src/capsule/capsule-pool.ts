import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { TimerWheel } from '@aem/timers';
import { Piscina } from 'piscina';
import { CapsuleClosedError } from '../errors/capsule-closed.error';
import { CapsuleQueueFullError } from '../errors/capsule-queue-full.error';
import { CapsuleTaskFailedError } from '../errors/capsule-task-failed.error';
import { CapsuleTimeoutError } from '../errors/capsule-timeout.error';
import { CapsuleWorkerCrashedError } from '../errors/capsule-worker-crashed.error';
import { InvalidConfigError } from '../errors/invalid-config.error';
import type { CapsuleJob, CapsuleReply } from './capsule-protocol';
import { taskLabel, type CapsuleTask } from './capsule-task';
import { transferListOf } from './transfer-list';

/**
 * Options of a {@link CapsulePool}. Every limit is explicit: a full pool refuses work with a
 * typed error rather than queueing without bound.
 *
 * @example
 * ```ts
 * const options: CapsulePoolOptions = { size: 2, maxQueue: 64, timeoutMs: 5_000 };
 * ```
 */
export interface CapsulePoolOptions {
  /** Name shown in errors. Default `capsule`. */
  readonly name?: string;
  /**
   * Worker threads, all started up front and kept. Default `availableParallelism() - 1` (at
   * least 1): the event loop keeps a core of its own even where `workerPolicy: 'idle'` is not
   * available, and the pool's heavy work cannot take every core from it.
   */
  readonly size?: number;
  /**
   * Jobs that may wait for a worker when all are busy; one more is refused with
   * {@link CapsuleQueueFullError}. Default `16 × size`.
   */
  readonly maxQueue?: number;
  /**
   * Longest a job may take from submission to its reply; past it the worker running it is
   * terminated (and replaced) and the job fails with {@link CapsuleTimeoutError}. Default 30 s.
   * Finite on purpose: it is what guarantees every job settles.
   */
  readonly timeoutMs?: number;
  /**
   * Move owned ArrayBuffers of the payload to the worker instead of copying them (see
   * {@link transferListOf}); the caller's buffers are detached. Default `true`.
   */
  readonly transfer?: boolean;
  /**
   * The workers' scheduling policy. `idle` (default): on Linux each worker thread puts itself in
   * SCHED_IDLE when it starts (with util-linux's `chrt`), so the event loop's thread — and every
   * other normal thread — preempts a worker the moment it wakes: I/O stays responsive while the
   * pool is busy, and the pool gets every cycle nobody else wants. The price: on a host whose
   * cores are all busy with normal work the workers get almost nothing (jobs then end by
   * `timeoutMs`). A worker where that fails (no `chrt`, not Linux) runs at `niceIncrement`
   * and is counted in {@link CapsulePoolStats.idleFallbacks}. `normal`: the process's policy.
   */
  readonly workerPolicy?: 'idle' | 'normal';
  /**
   * Added to the workers' nice value (0–19; Linux gives each thread its own), with either
   * policy. Default 0. A nice value shares a contended core out by weight but does not make a
   * waking event loop preempt a worker on EEVDF kernels (Linux 6.6 on): prefer `idle`.
   */
  readonly niceIncrement?: number;
}

/**
 * A snapshot of a {@link CapsulePool}'s load and outcomes (what `app.health().capsule` and the
 * `aem_capsule_*` metrics report). Counters count from the pool's creation and only grow.
 *
 * @example
 * ```ts
 * const { busy, size, queued, timedOut } = pool.stats();
 * if (busy === size && queued > 0) console.log(`capsule saturated, ${queued} waiting`);
 * ```
 */
export interface CapsulePoolStats {
  /** The pool's name (the metrics' `pool` label). */
  readonly name: string;
  /** Worker threads. */
  readonly size: number;
  /** Workers running a job now (0 to `size`). */
  readonly busy: number;
  /** Jobs waiting for a worker now (0 to `maxQueue`). */
  readonly queued: number;
  /** Jobs that settled with a result. */
  readonly completed: number;
  /**
   * Jobs that settled with an error, whatever the error: the task's own failure, a timeout, a
   * worker's crash, a full queue or a closed pool. `timedOut` and `crashed` are parts of it.
   */
  readonly failed: number;
  /** Jobs failed with {@link CapsuleTimeoutError} (each terminated and replaced its worker). */
  readonly timedOut: number;
  /** Jobs refused with {@link CapsuleQueueFullError} (back-pressure). */
  readonly refused: number;
  /**
   * Workers that died and were replaced: under a job (that job failed with
   * {@link CapsuleWorkerCrashedError}) or between jobs. Timeouts' terminations are not counted.
   */
  readonly crashedWorkers: number;
  /** Workers started (replacements included) that run in SCHED_IDLE. */
  readonly idleWorkers: number;
  /**
   * Workers started with `workerPolicy: 'idle'` that could not enter SCHED_IDLE and run at
   * normal policy (plus `niceIncrement`): a nonzero figure means the event loop's latency is not
   * protected from the pool.
   */
  readonly idleFallbacks: number;
}

/** Options of {@link CapsulePool.close}. */
export interface CapsuleCloseOptions {
  /**
   * `false` (default): refuse new jobs and wait for the submitted ones to finish (each is bounded
   * by `timeoutMs`). `true`: fail every queued and running job with {@link CapsuleClosedError}
   * now and terminate the workers.
   */
  readonly force?: boolean;
}

/**
 * A pool of worker threads running named tasks ({@link CapsuleTask}) off the event loop — the
 * AEM's `EVF_CAPSULE`: a CPU-heavy handler step (a digest, a signature, a codec) runs in a worker
 * while connections, timers and calls go on. It wraps piscina (a well-kept pool) and adds what an
 * AEM handler needs: explicit limits, and typed errors that tell a task's own failure
 * ({@link CapsuleTaskFailedError}) from a timeout ({@link CapsuleTimeoutError}), a worker's
 * death ({@link CapsuleWorkerCrashedError}, the worker is replaced), a full queue
 * ({@link CapsuleQueueFullError}) and a closed pool ({@link CapsuleClosedError}).
 *
 * Ordering is the caller's domain's: a handler that returns `pool.run(...)` (or awaits it) keeps
 * its AEM domain busy until the result is handled, so the domain's next activation waits while
 * other domains run. `@OnMessage({ execution: 'pool', task })` in the kit does exactly that.
 *
 * @example
 * ```ts
 * const pool = new CapsulePool({ size: 2, maxQueue: 32, timeoutMs: 2_000 });
 * const digest = capsuleTask(require.resolve('./digest.task.js'), 'digest');
 * channel.call('messages', {}, (bytes: Uint8Array) => pool.run(digest, bytes).then(reply), { domain });
 * await pool.close();
 * ```
 */
export class CapsulePool {
  /** The pool's name (errors). */
  readonly name: string;
  /** Worker threads. */
  readonly size: number;
  /** Jobs that may wait beyond the running ones. */
  readonly maxQueue: number;
  /** Per-job time limit in ms. */
  readonly timeoutMs: number;
  private readonly transfer: boolean;
  private readonly piscina: Piscina<CapsuleJob, CapsuleReply>;
  private pendingNow = 0;
  private completedNow = 0;
  private failedNow = 0;
  private workerErrorsNow = 0;
  private timedOutNow = 0;
  private refusedNow = 0;
  private crashedUnderJobNow = 0;
  private idleWorkersNow = 0;
  private idleFallbacksNow = 0;
  private readonly policyReports: BroadcastChannel;
  /** The workers' scheduling policy. */
  readonly workerPolicy: 'idle' | 'normal';
  private closing: Promise<void> | undefined;
  private forced = false;
  /**
   * The jobs' deadlines: one wheel timer each, one Node timer for them all. Not
   * `AbortSignal.timeout`, which arms a Node timer per job and holds it through a WeakRef and a
   * FinalizationRegistry for the whole timeout (30 s by default): at hundreds of jobs a second
   * that is thousands of live objects promoted to the old generation, and longer young-generation
   * pauses on the event loop the pool is there to keep free.
   */
  private readonly deadlines = new TimerWheel({ maxTimers: 1 << 24 });

  /**
   * @param options - size, limits and transfer policy.
   * @throws {@link InvalidConfigError} for a size, queue limit or timeout out of range.
   */
  constructor(options: CapsulePoolOptions = {}) {
    this.name = options.name ?? 'capsule';
    this.size = checkInt(
      'capsule.size',
      options.size ?? Math.max(1, availableParallelism() - 1),
      1,
      1024,
    );
    this.maxQueue = checkInt('capsule.maxQueue', options.maxQueue ?? 16 * this.size, 0, 1 << 24);
    this.timeoutMs = checkInt('capsule.timeoutMs', options.timeoutMs ?? 30_000, 1, 2 ** 31 - 1);
    this.transfer = options.transfer ?? true;
    this.workerPolicy = options.workerPolicy ?? 'idle';
    if (this.workerPolicy !== 'idle' && this.workerPolicy !== 'normal')
      throw new InvalidConfigError('capsule.workerPolicy', "'idle' or 'normal'", this.workerPolicy);
    // Each worker reports the policy it got on a channel of this pool's own.
    const channel = `aem-capsule-${randomUUID()}`;
    this.policyReports = new BroadcastChannel(channel);
    this.policyReports.unref();
    this.policyReports.onmessage = (event: unknown) => {
      if ((event as { data?: unknown }).data === 'idle') this.idleWorkersNow++;
      else if (this.workerPolicy === 'idle') this.idleFallbacksNow++;
    };
    this.piscina = new Piscina<CapsuleJob, CapsuleReply>({
      filename: workerFile(),
      minThreads: this.size,
      maxThreads: this.size,
      // One job per worker at a time: the work is CPU-bound, concurrency would only interleave it.
      concurrentTasksPerWorker: 1,
      // Our own count (`pending`) enforces the limit first; piscina's is a second guard.
      maxQueue: this.maxQueue,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: {
        niceIncrement: checkInt('capsule.niceIncrement', options.niceIncrement ?? 0, 0, 19),
        workerPolicy: this.workerPolicy,
        channel,
      },
    });
    // A worker that dies between jobs is replaced by piscina; no job is pending on it, so it
    // is counted (`workerErrors`), not thrown.
    this.piscina.on('error', () => void this.workerErrorsNow++);
  }

  /** Jobs submitted and not settled yet (running or queued). */
  get pending(): number {
    return this.pendingNow;
  }

  /** Jobs that settled with a result. */
  get completed(): number {
    return this.completedNow;
  }

  /** Jobs that settled with an error (any of the capsule errors). */
  get failed(): number {
    return this.failedNow;
  }

  /** Workers that died while running no job (each replaced); deaths under a job fail the job. */
  get workerErrors(): number {
    return this.workerErrorsNow;
  }

  /**
   * Load and outcome counters now (see {@link CapsulePoolStats}).
   *
   * @example
   * ```ts
   * console.log(pool.stats()); // { name: 'capsule', size: 2, busy: 1, queued: 0, completed: 41, ... }
   * ```
   * @returns a snapshot; later jobs do not change it.
   */
  stats(): CapsulePoolStats {
    // Our `pending` counts a job from submission until its promise settles; piscina's queue
    // holds those not yet posted to a worker. The rest are running (or their reply is on the way).
    const queued = Math.min(this.piscina.queueSize, this.pendingNow);
    return {
      name: this.name,
      size: this.size,
      busy: Math.min(this.size, this.pendingNow - queued),
      queued,
      completed: this.completedNow,
      failed: this.failedNow,
      timedOut: this.timedOutNow,
      refused: this.refusedNow,
      crashedWorkers: this.crashedUnderJobNow + this.workerErrorsNow,
      idleWorkers: this.idleWorkersNow,
      idleFallbacks: this.idleFallbacksNow,
    };
  }

  /** True when a job submitted now would be refused with {@link CapsuleQueueFullError}. */
  get full(): boolean {
    return this.pendingNow >= this.size + this.maxQueue;
  }

  /**
   * Runs `task` on `payload` in a worker.
   *
   * @example
   * ```ts
   * const hash = await pool.run(digest, new Uint8Array([1, 2, 3]));
   * ```
   * @param task - the named task.
   * @param payload - its argument, structured-cloned (owned ArrayBuffers moved, see
   *   {@link CapsulePoolOptions.transfer}).
   * @param options - `timeoutMs` for this job instead of the pool's.
   * @returns (resolves) the task's result.
   * @throws (rejects) {@link CapsuleQueueFullError}, {@link CapsuleClosedError},
   *   {@link CapsuleTaskFailedError}, {@link CapsuleTimeoutError},
   *   {@link CapsuleWorkerCrashedError} — never anything else.
   */
  run<R = unknown>(
    task: CapsuleTask,
    payload: unknown,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<R> {
    if (this.closing !== undefined) {
      this.failedNow++;
      return Promise.reject(new CapsuleClosedError(this.name));
    }
    if (this.full) {
      this.failedNow++;
      this.refusedNow++;
      return Promise.reject(new CapsuleQueueFullError(this.name, this.size + this.maxQueue));
    }
    const timeoutMs =
      options.timeoutMs === undefined
        ? this.timeoutMs
        : checkInt('timeoutMs', options.timeoutMs, 1, 2 ** 31 - 1);
    this.pendingNow++;
    // The job's deadline counts from submission: time queued behind busy workers is included.
    // Aborting makes piscina drop the job if queued, or end its worker if running.
    const deadline = new AbortController();
    const timer = this.deadlines.start(timeoutMs, abortJob, deadline);
    const signal = deadline.signal;
    const job: CapsuleJob = {
      module: task.module,
      exportName: task.exportName,
      version: task.version,
      payload,
    };
    const transferList = this.transfer ? transferListOf(payload) : [];
    return this.piscina.run(job, { signal, transferList }).then(
      (reply) => {
        this.pendingNow--;
        this.deadlines.cancel(timer);
        if (reply.ok) {
          this.completedNow++;
          return reply.value as R;
        }
        this.failedNow++;
        throw new CapsuleTaskFailedError(taskLabel(task), reply.phase, remoteError(reply.error));
      },
      (error: unknown) => {
        this.pendingNow--;
        this.failedNow++;
        this.deadlines.cancel(timer);
        const failure = this.translate(task, error, signal, timeoutMs);
        if (failure instanceof CapsuleTimeoutError) this.timedOutNow++;
        else if (failure instanceof CapsuleWorkerCrashedError) this.crashedUnderJobNow++;
        else if (failure instanceof CapsuleQueueFullError) this.refusedNow++;
        throw failure;
      },
    );
  }

  /**
   * An event handler that runs `task` in the pool: the activation's payload (or what `input`
   * picks from it) goes to a worker, and `then` gets the result back on the main thread. Its
   * promise keeps the activation's domain busy until `then` returned, so the domain's order holds;
   * a failure rejects it, which the core reports as for any handler (`HandlerFailedError` on
   * `aem.errors`, its `cause` the capsule error).
   *
   * @example
   * ```ts
   * server.onMessage(pool.handler(digest, {
   *   input: (message: TcpMessage) => message.data,
   *   then: (hash: Uint8Array, message) => message.connection.send(hash),
   * }));
   * ```
   * @param task - the named task.
   * @param options - `input` picks the payload (default: the activation's payload as is);
   *   `then` handles the result in the domain (default: nothing).
   * @returns the handler.
   */
  handler<P, R = unknown>(
    task: CapsuleTask,
    options: {
      readonly input?: (payload: P) => unknown;
      readonly then?: (result: R, payload: P) => unknown;
    } = {},
  ): (payload: P) => Promise<void> {
    const { input, then } = options;
    return async (payload) => {
      const result = await this.run<R>(task, input === undefined ? payload : input(payload));
      await then?.(result, payload);
    };
  }

  /**
   * Closes the pool (see {@link CapsuleCloseOptions}). Idempotent; resolves once every job
   * submitted before has settled and the workers have exited.
   *
   * @example
   * ```ts
   * await pool.close(); // drain
   * await pool.close({ force: true }); // or fail what is left
   * ```
   */
  close(options: CapsuleCloseOptions = {}): Promise<void> {
    if (options.force === true && !this.forced) {
      this.forced = true;
      // Fails queued and running jobs now ('Terminating worker thread'), whatever a drain waits.
      const destroyed = this.piscina.destroy().finally(() => this.policyReports.close());
      this.closing = destroyed;
      return destroyed;
    }
    this.closing ??= this.piscina.close().finally(() => this.policyReports.close());
    return this.closing;
  }

  private translate(
    task: CapsuleTask,
    error: unknown,
    signal: AbortSignal,
    timeoutMs: number,
  ): Error {
    const label = taskLabel(task);
    if (signal.aborted) return new CapsuleTimeoutError(label, timeoutMs);
    // postMessage refused the payload (not cloneable, or a buffer already moved): no worker saw it.
    // (A DOMException: not an `instanceof Error` in every realm, so told by its name.)
    if ((error as { name?: unknown } | null)?.name === 'DataCloneError')
      return new CapsuleTaskFailedError(label, 'send', error as Error);
    // Only a forced close fails jobs; a worker dying during a drain is still a crash.
    if (this.forced) return new CapsuleClosedError(this.name);
    if (error instanceof Error && error.message === 'Task queue is at limit')
      return new CapsuleQueueFullError(this.name, this.size + this.maxQueue);
    return new CapsuleWorkerCrashedError(label, error);
  }
}

/** A job's deadline passed (a wheel callback). */
function abortJob(deadline: AbortController): void {
  deadline.abort();
}

/** The worker entry: the built .js beside this file, or under jest the .ts source. */
function workerFile(): string {
  const built = join(__dirname, 'capsule-worker.js');
  return existsSync(built) ? built : join(__dirname, 'capsule-worker.ts');
}

function remoteError(shape: { name: string; message: string; stack?: string }): Error {
  const error = new Error(shape.message);
  error.name = shape.name;
  if (shape.stack !== undefined) error.stack = shape.stack;
  return error;
}

function checkInt(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidConfigError(what, `an integer from ${min} to ${max}`, value);
  return value;
}
