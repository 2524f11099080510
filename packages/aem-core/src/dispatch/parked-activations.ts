/**
 * Activations waiting for their domain to become free, best first: higher priority first, then
 * arrival order (a stable insertion keeps arrival order within one priority).
 *
 * Almost every domain sees activations of one priority only, so insertion is an append in
 * practice; a higher-priority activation is inserted by a scan from the tail.
 *
 * @typeParam T - what an activation belongs to (the dispatcher's `DispatchTarget`); generic so
 *   this file depends on nothing.
 * @internal
 */
export class ParkedActivations<T> {
  private events: T[] = [];
  private payloads: unknown[] = [];
  private priorities: number[] = [];
  private head = 0;

  /** Number of parked activations. */
  get length(): number {
    return this.events.length - this.head;
  }

  /** Priority of the best parked activation. Only valid when `length > 0`. */
  get bestPriority(): number {
    return this.priorities[this.head];
  }

  /** Parks an activation behind every parked one of equal or higher priority. */
  insert(event: T, payload: unknown, priority: number): void {
    let at = this.events.length;
    while (at > this.head && this.priorities[at - 1] < priority) at--;
    if (at === this.events.length) {
      this.events.push(event);
      this.payloads.push(payload);
      this.priorities.push(priority);
    } else {
      this.events.splice(at, 0, event);
      this.payloads.splice(at, 0, payload);
      this.priorities.splice(at, 0, priority);
    }
  }

  /** The best parked event. Only valid when `length > 0`. */
  peekEvent(): T {
    return this.events[this.head];
  }

  /** The best parked payload. Only valid when `length > 0`. */
  peekPayload(): unknown {
    return this.payloads[this.head];
  }

  /** Removes the best parked activation (read it first with the `peek*` methods). */
  shift(): void {
    this.events[this.head] = undefined as unknown as T;
    this.payloads[this.head] = undefined;
    this.head++;
    if (this.head === this.events.length) {
      this.events.length = this.payloads.length = this.priorities.length = this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.events.length) {
      this.events.splice(0, this.head);
      this.payloads.splice(0, this.head);
      this.priorities.splice(0, this.head);
      this.head = 0;
    }
  }
}
