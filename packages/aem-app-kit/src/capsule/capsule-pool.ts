import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { TimerWheel } from '@aem/timers';
import { CapsuleClosedError } from '../errors/capsule-closed.error';
import { CapsuleQueueFullError } from '../errors/capsule-queue-full.error';
import { CapsuleTaskFailedError } from '../errors/capsule-task-failed.error';
import { CapsuleTimeoutError } from '../errors/capsule-timeout.error';
import { CapsuleWorkerCrashedError } from '../errors/capsule-worker-crashed.error';
import { InvalidConfigError } from '../errors/invalid-config.error';
import { CapsuleJobQueue } from './capsule-job-queue';
import { CapsuleJobRecord } from './capsule-job-record';
import type { CapsuleReady, CapsuleReply, CapsuleWorkerData } from './capsule-protocol';
import { taskLabel, type CapsuleTask } from './capsule-task';
import { CapsuleThread } from './capsule-thread';
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
 * while connections, timers and calls go on. It adds what an AEM handler needs to Node's
 * `worker_threads`: explicit limits, and typed errors that tell a task's own failure
 * ({@link CapsuleTaskFailedError}) from a timeout ({@link CapsuleTimeoutError}), a worker's
 * death ({@link CapsuleWorkerCrashedError}, the worker is replaced), a full queue
 * ({@link CapsuleQueueFullError}) and a closed pool ({@link CapsuleClosedError}).
 *
 * Jobs travel over each worker's own message port, one job per worker at a time, first come
 * first served. It is not built on a pool library on purpose: piscina (which it used before)
 * allocates on the event loop, for every job, objects that V8 keeps through young-generation
 * collections until the next full one — six accessor pairs per worker per job, allocated by V8
 * in the old generation, drag their getters and whatever those reach along — and the pool's
 * purpose is to keep the event loop's pauses short. See the README's capsule benchmark for the
 * measurements.
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
  /** The workers' scheduling policy. */
  readonly workerPolicy: 'idle' | 'normal';
  private readonly transfer: boolean;
  private readonly workerData: CapsuleWorkerData;
  /** The threads serving jobs (`size` of them unless a replacement could not be started). */
  private readonly threads: CapsuleThread[] = [];
  /** Every thread not yet exited, retired ones included (what `close` waits for). */
  private readonly alive = new Set<CapsuleThread>();
  private readonly queue = new CapsuleJobQueue();
  private pendingNow = 0;
  private runningNow = 0;
  private completedNow = 0;
  private failedNow = 0;
  private workerErrorsNow = 0;
  private timedOutNow = 0;
  private refusedNow = 0;
  private crashedUnderJobNow = 0;
  private idleWorkersNow = 0;
  private idleFallbacksNow = 0;
  private closing: Promise<void> | undefined;
  private forced = false;
  /** Resolves a drain (`close()`) when the last pending job settles. */
  private drained: (() => void) | undefined;
  /**
   * The jobs' deadlines: one wheel timer each, one Node timer for them all. Not
   * `AbortSignal.timeout`, which arms a Node timer per job and holds it through a WeakRef and a
   * FinalizationRegistry for the whole timeout (30 s by default): at hundreds of jobs a second
   * that is thousands of live objects promoted to the old generation, and longer young-generation
   * pauses on the event loop the pool is there to keep free.
   */
  private readonly deadlines = new TimerWheel({ maxTimers: 1 << 24 });
  /** The wheel's callback, one for all jobs (the job is the timer's argument). */
  private readonly onDeadline = (job: CapsuleJobRecord): void => this.expire(job);

  /**
   * Starts the pool's workers.
   *
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
    this.workerData = {
      niceIncrement: checkInt('capsule.niceIncrement', options.niceIncrement ?? 0, 0, 19),
      workerPolicy: this.workerPolicy,
    };
    for (let i = 0; i < this.size; i++) this.spawn();
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
    return {
      name: this.name,
      size: this.size,
      busy: this.runningNow,
      queued: this.queue.size,
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
    const job = new CapsuleJobRecord(
      task,
      { module: task.module, exportName: task.exportName, version: task.version, payload },
      this.transfer ? transferListOf(payload) : [],
      timeoutMs,
    );
    const result = new Promise<R>((resolve, reject) => {
      job.resolve = resolve as (value: unknown) => void;
      job.reject = reject;
    });
    this.pendingNow++;
    // The job's deadline counts from submission: time queued behind busy workers is included.
    job.timer = this.deadlines.start(timeoutMs, this.onDeadline, job);
    this.queue.push(job);
    this.dispatch();
    return result;
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
      const closed = new CapsuleClosedError(this.name);
      for (const job of this.queue.drain()) this.fail(job, closed);
      for (const thread of this.threads)
        if (thread.job !== undefined) this.fail(thread.job, closed);
      const destroyed = this.terminateAll();
      this.closing = destroyed;
      return destroyed;
    }
    this.closing ??= new Promise<void>((resolve) => {
      if (this.pendingNow === 0) resolve();
      else this.drained = resolve;
    }).then(() => this.terminateAll());
    return this.closing;
  }

  /** Starts a worker thread and wires its events (once per thread, no closure per job). */
  private spawn(): void {
    const thread = new CapsuleThread(workerFile(), this.workerData);
    thread.worker.on('message', (message: CapsuleReply | CapsuleReady) =>
      this.onMessage(thread, message),
    );
    // A reply this thread could not deserialize: the job fails as a reply failure, not at its
    // timeout (the worker lives on).
    thread.worker.on('messageerror', (error: Error) =>
      this.onMessage(thread, { ok: false, phase: 'reply', error: errorShape(error) }),
    );
    thread.worker.on('error', (error: unknown) => void (thread.error = error));
    thread.worker.on('exit', (code: number) => this.onExit(thread, code));
    this.threads.push(thread);
    this.alive.add(thread);
  }

  /** Posts queued jobs to idle threads while both exist. */
  private dispatch(): void {
    for (let i = 0; i < this.threads.length && this.queue.size > 0; i++) {
      const thread = this.threads[i] as CapsuleThread;
      if (thread.job !== undefined) continue;
      const job = this.queue.shift() as CapsuleJobRecord;
      try {
        // (A mutable copy of the list: postMessage's type wants one.)
        thread.worker.postMessage(job.message, job.transferList as ArrayBuffer[]);
      } catch (error) {
        // postMessage refused the payload (not cloneable, or a buffer already moved): no worker
        // saw it, this thread is still free. (A DOMException, told by its name.)
        job.state = 'settled';
        this.settleFailed(
          job,
          new CapsuleTaskFailedError(taskLabel(job.task), 'send', error as Error),
        );
        i--;
        continue;
      }
      job.state = 'running';
      thread.job = job;
      this.runningNow++;
      // A running job keeps the process alive, as a pending timer would.
      thread.worker.ref();
    }
  }

  private onMessage(thread: CapsuleThread, message: CapsuleReply | CapsuleReady): void {
    if ('policy' in message) {
      thread.ready = true;
      if (message.policy === 'idle') this.idleWorkersNow++;
      else if (this.workerPolicy === 'idle') this.idleFallbacksNow++;
      return;
    }
    const job = thread.job;
    if (job === undefined || thread.retired) return; // a reply racing its job's timeout or close
    this.release(thread);
    job.state = 'settled';
    if (message.ok) {
      this.deadlines.cancel(job.timer);
      this.completedNow++;
      this.pendingNow--;
      job.resolve(message.value);
      this.drainedCheck();
    } else {
      this.settleFailed(
        job,
        new CapsuleTaskFailedError(taskLabel(job.task), message.phase, remoteError(message.error)),
      );
    }
    this.dispatch();
  }

  /**
   * A thread exited. Retired by the pool (timeout, close): expected. Otherwise it crashed: the job
   * it ran fails with {@link CapsuleWorkerCrashedError} (or it is counted in `workerErrors`) and a
   * new thread takes its place — unless it died before its entry file ran, where a replacement
   * would die the same way; when no thread is left then, the waiting jobs fail at once.
   */
  private onExit(thread: CapsuleThread, code: number): void {
    this.alive.delete(thread);
    if (thread.retired) return;
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    const cause = thread.error ?? new Error(`worker exited with code ${code}`);
    const job = thread.job;
    if (job !== undefined) {
      this.release(thread);
      this.crashedUnderJobNow++;
      job.state = 'settled';
      this.settleFailed(job, new CapsuleWorkerCrashedError(taskLabel(job.task), cause));
    } else {
      this.workerErrorsNow++;
    }
    if (this.forced) return;
    if (thread.ready) this.spawn();
    else if (this.threads.length === 0) {
      for (const waiting of this.queue.drain()) {
        waiting.state = 'settled';
        this.settleFailed(waiting, new CapsuleWorkerCrashedError(taskLabel(waiting.task), cause));
      }
    }
    this.dispatch();
  }

  /** A job's deadline passed: drop it from the queue, or end the worker running it. */
  private expire(job: CapsuleJobRecord): void {
    if (job.state === 'settled') return;
    if (job.state === 'queued') this.queue.left();
    else this.retire(this.threadOf(job), true);
    job.state = 'settled';
    this.timedOutNow++;
    this.settleFailed(job, new CapsuleTimeoutError(taskLabel(job.task), job.timeoutMs), false);
    this.dispatch();
  }

  /** Fails a job for a forced close, wherever it is. */
  private fail(job: CapsuleJobRecord, error: Error): void {
    if (job.state === 'running') this.release(this.threadOf(job));
    job.state = 'settled';
    this.settleFailed(job, error);
  }

  /** Ends a thread on the pool's own initiative; `replace` starts another in its place. */
  private retire(thread: CapsuleThread, replace: boolean): void {
    if (thread.job !== undefined) this.release(thread);
    thread.retired = true;
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    void thread.worker.terminate();
    if (replace && !this.forced) this.spawn();
  }

  /** The thread running a job (`running` jobs only; a linear search of `size` threads). */
  private threadOf(job: CapsuleJobRecord): CapsuleThread {
    return this.threads.find((thread) => thread.job === job) as CapsuleThread;
  }

  /** The thread no longer runs a job. */
  private release(thread: CapsuleThread): void {
    thread.job = undefined;
    this.runningNow--;
    thread.worker.unref();
  }

  private settleFailed(job: CapsuleJobRecord, error: Error, cancelTimer = true): void {
    if (cancelTimer) this.deadlines.cancel(job.timer);
    this.failedNow++;
    this.pendingNow--;
    job.reject(error);
    this.drainedCheck();
  }

  private drainedCheck(): void {
    if (this.pendingNow === 0 && this.drained !== undefined) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }

  /** Terminates every thread and resolves once all have exited. */
  private async terminateAll(): Promise<void> {
    for (const thread of [...this.threads]) this.retire(thread, false);
    await Promise.all([...this.alive].map((thread) => thread.exited));
  }
}

/** The worker entry: the built .js beside this file, or under jest the .ts source. */
function workerFile(): string {
  const built = join(__dirname, 'capsule-worker.js');
  return existsSync(built) ? built : join(__dirname, 'capsule-worker.ts');
}

function errorShape(error: Error): { name: string; message: string; stack?: string } {
  return { name: error.name, message: error.message, stack: error.stack };
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
