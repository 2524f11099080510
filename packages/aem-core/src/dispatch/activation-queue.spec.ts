import fc from 'fast-check';
import { ActivationQueue, SEGMENT_ENTRIES, SEGMENT_LINK } from './activation-queue';

/** Takes the head entry the way the dispatcher's flush loop does (its inlined shift). */
function shift(queue: ActivationQueue<number, string>): [number, unknown, string] {
  if (queue.headAt === SEGMENT_LINK) queue.nextSegment();
  const segment = queue.head;
  const at = queue.headAt;
  const entry: [number, unknown, string] = [
    segment[at] as number,
    segment[at + 1],
    segment[at + 2] as string,
  ];
  segment[at + 1] = undefined;
  queue.headAt = at + 3;
  queue.length--;
  return entry;
}

describe('ActivationQueue', () => {
  it('is a FIFO across segments for any interleaving of pushes and shifts', () => {
    // Runs of pushes and shifts long enough to cross several segment boundaries.
    const op = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3 * SEGMENT_ENTRIES }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const queue = new ActivationQueue<number, string>();
        const model: number[] = [];
        let next = 0;
        for (const [push, count] of ops) {
          for (let i = 0; i < count; i++) {
            if (push) {
              queue.push(next, { n: next }, `d${next}`);
              model.push(next++);
            } else if (model.length > 0) {
              const expected = model.shift() as number;
              const [event, payload, domain] = shift(queue);
              expect(event).toBe(expected);
              expect(payload).toEqual({ n: expected });
              expect(domain).toBe(`d${expected}`);
            }
            expect(queue.length).toBe(model.length);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('keeps no payload after it was taken, and drops the link of a segment read through', () => {
    const queue = new ActivationQueue<number, string>();
    const first = queue.head;
    for (let i = 0; i < SEGMENT_ENTRIES + 1; i++) queue.push(i, { n: i }, 'd');
    for (let i = 0; i < SEGMENT_ENTRIES + 1; i++) shift(queue);
    expect(queue.length).toBe(0);
    // Read through to its end: every payload slot cleared, and no link to the live segment.
    for (let at = 1; at < SEGMENT_LINK; at += 3) expect(first[at]).toBeUndefined();
    expect(first[SEGMENT_LINK]).toBeUndefined();
    expect(queue.head).not.toBe(first);
    expect(queue.head[1]).toBeUndefined();
  });
});
