/**
 * A growable FIFO of `(event, payload, domain)` triples stored in three parallel arrays used as
 * one ring buffer.
 *
 * Parallel arrays instead of one object per activation: enqueueing an activation allocates
 * nothing once the ring has grown to its working size, which is what keeps the dispatcher within
 * a small factor of a synchronous `EventEmitter.emit`.
 *
 * Invariant: `capacity` is a power of two, `0 <= length <= capacity`, live slots are
 * `head, head+1, … head+length-1` (mod capacity); free slots hold no payload, so the ring never
 * keeps a payload alive after it was taken (the dispatcher's inlined shift may leave a free
 * slot's event and domain in place: long-lived objects, bounded by the capacity).
 *
 * @internal
 */
export class ActivationRing<E, D> {
  // The dispatcher's flush loop takes entries from the head directly (the hot path: one
  // inlined shift per activation); everything else about the ring lives here.
  events: (E | undefined)[];
  payloads: unknown[];
  domains: (D | undefined)[];
  mask: number;
  head = 0;
  /** Number of live entries. */
  length = 0;

  constructor(initialCapacity = 16) {
    let capacity = 1;
    while (capacity < initialCapacity) capacity <<= 1;
    this.events = new Array<E | undefined>(capacity).fill(undefined);
    this.payloads = new Array<unknown>(capacity).fill(undefined);
    this.domains = new Array<D | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  /** Appends an entry at the tail. */
  push(event: E | undefined, payload: unknown, domain: D): void {
    if (this.length > this.mask) this.grow();
    const slot = (this.head + this.length) & this.mask;
    this.events[slot] = event;
    this.payloads[slot] = payload;
    this.domains[slot] = domain;
    this.length++;
  }

  private grow(): void {
    const capacity = this.mask + 1;
    const events = new Array<E | undefined>(capacity * 2).fill(undefined);
    const payloads = new Array<unknown>(capacity * 2).fill(undefined);
    const domains = new Array<D | undefined>(capacity * 2).fill(undefined);
    for (let i = 0; i < this.length; i++) {
      const slot = (this.head + i) & this.mask;
      events[i] = this.events[slot];
      payloads[i] = this.payloads[slot];
      domains[i] = this.domains[slot];
    }
    this.events = events;
    this.payloads = payloads;
    this.domains = domains;
    this.head = 0;
    this.mask = capacity * 2 - 1;
  }
}
