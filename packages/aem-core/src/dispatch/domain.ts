import { InvalidArgumentError } from '../errors/invalid-argument.error';
import { checkPriority, DEFAULT_PRIORITY } from './priority';
import type { DispatchTarget } from './dispatch-target';
import type { DomainJob, JobQueue } from './job-queue';
import type { ParkedActivations } from './parked-activations';

/** Options of {@link Aem.createDomain}. */
export interface DomainOptions {
  /**
   * Most activations this domain may have queued (ready, waiting for the domain, or held by a
   * stopped event). Default: the runtime's `limits.maxQueuePerDomain`.
   */
  readonly maxQueue?: number;
}

/** Options of {@link Domain.post}. */
export interface PostOptions {
  /** Priority of the job, 0 (lowest) to 7 (highest), as an event's. Default 4. */
  readonly priority?: number;
}

/**
 * A serialization domain: the activations of all events in one domain run one at a time — an
 * async handler's promise is awaited before the next one starts — while different domains
 * interleave freely. Give one domain to everything that must not race: a connection, a call, a
 * transaction.
 *
 * An event without an explicit domain is its own domain, so its own activations never overlap.
 *
 * Create domains with {@link Aem.createDomain}; a domain is a plain object that the garbage
 * collector reclaims once nothing references it. Any code can run work inside a domain with
 * {@link Domain.post}, queued behind what the domain already has, with no service in between.
 *
 * @example
 * ```ts
 * const call = runtime.createDomain('call-42');
 * channel.call('messages', { topic: 'call-42' }, async (msg) => {
 *   await store.save(msg); // the next message of call-42 waits for this
 * }, { domain: call });
 * ```
 */
// Structurally a DomainState (kept out of the public type surface, hence no `implements`).
export class Domain {
  /** @internal */ _busy = false;
  /** @internal */ _queued = 0;
  /** @internal */ _parked: ParkedActivations<DispatchTarget> | null = null;
  /** @internal */ _tokenQueued = false;

  /**
   * @param name - name shown in errors and metrics.
   * @param _maxQueue - queue limit for this domain.
   * @param jobs - the runtime's job queue, for {@link Domain.post}.
   * @internal Use {@link Aem.createDomain}.
   */
  constructor(
    readonly name: string,
    /** @internal */ readonly _maxQueue: number,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Queues `job` to run inside this domain: after the activations and jobs the domain already
   * has queued (within a priority), never at the same time as another of them, an async job's
   * promise awaited before the domain's next work starts. It counts against the same limits as
   * an activation (`maxQueue` of the domain, `limits.maxQueuedActivations` of the runtime), and
   * a job that throws or rejects is reported on `Aem.errors` as a {@link JobFailedError}.
   *
   * @example
   * ```ts
   * const call = runtime.createDomain('call-42');
   * call.post(async () => {
   *   await store.save(callState); // the call's next activation waits for this
   * });
   * ```
   * @param job - the work; never run synchronously inside `post`.
   * @param options - the job's priority.
   * @returns `true` when queued; `false` when the runtime is closed (the job will not run).
   *   Jobs still queued when the runtime closes are discarded.
   * @throws {@link QueueFullError} (`eventId` 0) when a queue limit is reached: nothing was
   *   queued.
   * @throws {@link InvalidArgumentError} for a job that is not a function or a bad priority.
   */
  post(job: DomainJob, options: PostOptions = {}): boolean {
    if (typeof job !== 'function') throw new InvalidArgumentError('job', 'a function', job);
    const priority =
      options.priority === undefined ? DEFAULT_PRIORITY : checkPriority(options.priority);
    return this.jobs.post(job, this, priority);
  }

  /** @internal */
  get _name(): string {
    return this.name;
  }

  /** Activations of this domain that are queued and have not run yet. */
  get queued(): number {
    return this._queued;
  }

  /** True while an async handler of this domain is running. */
  get busy(): boolean {
    return this._busy;
  }
}
