import type { AemError } from '../errors/aem.error';
import { JobFailedError } from '../errors/job-failed.error';
import { GATE_DISCARD, GATE_RUN, type DispatchTarget, type DomainState } from './dispatch-target';
import type { Dispatcher } from './dispatcher';
import { PRIORITY_LEVELS } from './dispatcher';

/** A unit of work posted into a domain with {@link Domain.post}. */
export type DomainJob = () => unknown;

/**
 * The dispatch target of the jobs of one priority: what an event is to its activations, for
 * jobs posted with `Domain.post`. A job is an activation whose payload is the job itself, so it
 * goes through the same queues, limits, priority order and domain serialization as any other.
 *
 * @internal
 */
class JobTarget implements DispatchTarget {
  _gate = GATE_RUN;
  _pending = 0;

  constructor(
    readonly _priority: number,
    private readonly report: (error: AemError) => void,
  ) {}

  /** Jobs always name their domain; this one is never used. */
  get _domain(): DomainState {
    throw new Error('a job has no domain of its own');
  }

  _hold(): void {
    // Never called: the gate is never GATE_HOLD.
  }

  _discarded(): void {
    // A job dropped at runtime close has no source to tell.
  }

  _deliver(job: unknown): unknown {
    return (job as DomainJob)();
  }

  _failed(error: unknown, domain: DomainState): void {
    this.report(new JobFailedError(domain._name, error));
  }
}

/**
 * Posts jobs into domains (`Domain.post`): one {@link JobTarget} per priority, created on first
 * use. Closing (with the runtime) discards the jobs still queued and refuses new ones.
 *
 * @internal
 */
export class JobQueue {
  private readonly targets: (JobTarget | undefined)[] = new Array(PRIORITY_LEVELS);
  private closed = false;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly report: (error: AemError) => void,
  ) {}

  /**
   * Queues `job` in `domain` at `priority` (already checked).
   *
   * @returns `false` when the runtime is closed.
   * @throws {@link QueueFullError} when a queue limit is reached; nothing was queued.
   */
  post(job: DomainJob, domain: DomainState, priority: number): boolean {
    if (this.closed) return false;
    const target = (this.targets[priority] ??= new JobTarget(priority, this.report));
    this.dispatcher.enqueue(target, job, domain, 0);
    return true;
  }

  /** Refuses new jobs; those queued are discarded when they reach the head of the queue. */
  close(): void {
    this.closed = true;
    for (const target of this.targets) if (target !== undefined) target._gate = GATE_DISCARD;
  }
}
