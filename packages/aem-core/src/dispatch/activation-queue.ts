/** Activations per segment of an {@link ActivationQueue}. */
export const SEGMENT_ENTRIES = 512;
/** Slots per activation in a segment: event, payload, domain. */
const STRIDE = 3;
/** Index of a segment's link to the next segment (its last slot). */
export const SEGMENT_LINK = SEGMENT_ENTRIES * STRIDE;

/** A fresh segment: `SEGMENT_ENTRIES` entries and the link slot. */
function newSegment(): unknown[] {
  return new Array<unknown>(SEGMENT_LINK + 1).fill(undefined);
}

/**
 * A FIFO of `(event, payload, domain)` triples, stored three slots per entry in fixed-size
 * segments that are written once each: the tail fills a segment, then links a freshly allocated
 * one; the head drops each segment it has read to the end. Nothing wraps around.
 *
 * Why fresh segments instead of a ring buffer that is reused: a long-lived array is in V8's old
 * generation, and every store of a young object into it (a payload just created by a socket read,
 * an event registered a moment ago) goes through the generational write barrier, an out-of-line
 * call that records the slot in a remembered set. A segment allocated a moment ago is itself in
 * the young generation, so storing into it costs no barrier at all. At the rates where this
 * matters a segment fills in milliseconds and dies young; the price is 24 bytes of short-lived
 * allocation per activation (a bump of the allocation pointer), which a scavenge does not pay
 * for, since it only copies what is still alive. On `npm run bench:core` (whose payloads and
 * event are young, as a socket's messages are), queueing one activation took about 21 ns with a
 * reused ring buffer and 13 ns with fresh segments (2026-12-03).
 *
 * Invariants: `length` entries are live, from slot `headAt` of segment `head` up to slot
 * `tailAt` of segment `tail`, following the links; `headAt` and `tailAt` are multiples of 3 and
 * at most {@link SEGMENT_LINK} (a full segment, whose link is set once the next entry is pushed).
 * A consumed entry's payload slot is cleared at once, so the queue never keeps a payload alive
 * after its delivery; its event and domain stay until the segment is dropped, which bounds what a
 * queue retains to one segment of long-lived objects.
 *
 * The dispatcher's flush loop takes entries from the head itself (the hot path, inlined);
 * everything else about the queue lives here.
 *
 * @internal
 */
export class ActivationQueue<E, D> {
  /** Segment holding the oldest entry (or, when empty, the segment the next one goes to). */
  head: unknown[];
  /** Slot of the oldest entry in `head`. */
  headAt = 0;
  /** Segment the next entry goes to. */
  tail: unknown[];
  /** Slot of the next entry in `tail`. */
  tailAt = 0;
  /** Number of live entries. */
  length = 0;

  constructor() {
    this.head = this.tail = newSegment();
  }

  /** Appends an entry at the tail. */
  push(event: E | undefined, payload: unknown, domain: D): void {
    let segment = this.tail;
    let at = this.tailAt;
    if (at === SEGMENT_LINK) {
      const next = newSegment();
      segment[SEGMENT_LINK] = next;
      this.tail = segment = next;
      at = 0;
    }
    segment[at] = event;
    segment[at + 1] = payload;
    segment[at + 2] = domain;
    this.tailAt = at + STRIDE;
    this.length++;
  }

  /**
   * Moves the head to the next segment once the head segment is read to its end. Called by the
   * reader before taking an entry when `headAt === SEGMENT_LINK`; only valid when `length > 0`.
   */
  nextSegment(): void {
    const done = this.head;
    this.head = done[SEGMENT_LINK] as unknown[];
    this.headAt = 0;
    // Cut the chain: a segment that reached the old generation before it was read through would
    // otherwise keep, through its link, every later segment alive in each scavenge (V8 treats old
    // objects as live there), and the scavenger would copy the whole chain again and again.
    done[SEGMENT_LINK] = undefined;
  }
}
