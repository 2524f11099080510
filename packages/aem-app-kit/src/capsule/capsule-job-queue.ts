import type { CapsuleJobRecord } from './capsule-job-record';

/**
 * @internal The jobs of a {@link CapsulePool} waiting for a worker, first in first out. A job
 * that leaves early (its deadline passed, a forced close) is marked `settled` and skipped when
 * its turn comes, so removal is O(1); `size` counts only the jobs still waiting.
 */
export class CapsuleJobQueue {
  private readonly items: (CapsuleJobRecord | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private waiting = 0;

  /** Jobs waiting (those that left early not counted). */
  get size(): number {
    return this.waiting;
  }

  /** Appends a job (its state `queued`). */
  push(job: CapsuleJobRecord): void {
    this.items[this.tail++] = job;
    this.waiting++;
  }

  /**
   * Counts a queued job that left early; the caller has set its state to `settled`. When no job
   * is left waiting, the slots of those that left are released at once.
   */
  left(): void {
    if (--this.waiting > 0) return;
    this.items.fill(undefined, this.head, this.tail);
    this.head = 0;
    this.tail = 0;
  }

  /** @returns the oldest job still `queued`, taken out, or undefined. */
  shift(): CapsuleJobRecord | undefined {
    while (this.head < this.tail) {
      const job = this.items[this.head];
      this.items[this.head++] = undefined;
      if (job?.state === 'queued') {
        this.waiting--;
        this.compact();
        return job;
      }
    }
    this.compact();
    return undefined;
  }

  /** @returns every job still `queued`, taken out (oldest first); the queue is then empty. */
  drain(): CapsuleJobRecord[] {
    const out: CapsuleJobRecord[] = [];
    for (let job = this.shift(); job !== undefined; job = this.shift()) out.push(job);
    return out;
  }

  /**
   * Reuses the array from its start when it is empty (the common case: slots are reused, nothing
   * is allocated per job), and moves the waiting jobs to the front once the consumed prefix is
   * most of it (amortised O(1) per job).
   */
  private compact(): void {
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.tail) {
      this.items.copyWithin(0, this.head, this.tail);
      this.items.fill(undefined, this.tail - this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }
}
