import fc from 'fast-check';
import { ByteQueue } from './byte-queue';

/** One operation on the queue; sizes are taken modulo what the queue holds. */
type Op =
  | { kind: 'push'; bytes: Uint8Array }
  | { kind: 'take' | 'skip' | 'peek'; size: number }
  | { kind: 'readUInt'; at: number; width: number; bigEndian: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({
    kind: fc.constantFrom('take' as const, 'skip' as const, 'peek' as const),
    size: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('readUInt' as const),
    at: fc.nat(),
    width: fc.integer({ min: 1, max: 6 }),
    bigEndian: fc.boolean(),
  }),
);

describe('ByteQueue', () => {
  it('behaves as one contiguous buffer under any pushes, takes, skips, peeks and reads (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const queue = new ByteQueue();
        // The model: the unconsumed bytes, in order.
        let model = Buffer.alloc(0);
        for (const o of ops) {
          if (o.kind === 'push') {
            queue.push(Buffer.from(o.bytes));
            model = Buffer.concat([model, o.bytes]);
          } else if (o.kind === 'readUInt') {
            if (model.length < o.width) continue;
            const at = o.at % (model.length - o.width + 1);
            const expected = o.bigEndian
              ? model.readUIntBE(at, o.width)
              : model.readUIntLE(at, o.width);
            expect(queue.readUInt(at, o.width, o.bigEndian)).toBe(expected);
          } else {
            const size = o.size % (model.length + 1);
            if (o.kind === 'skip') queue.skip(size);
            else {
              const got = o.kind === 'take' ? queue.take(size) : queue.peek(size);
              expect(Buffer.from(got).equals(model.subarray(0, size))).toBe(true);
            }
            if (o.kind !== 'peek') model = model.subarray(size);
          }
          expect(queue.length).toBe(model.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('hands over a chunk that is exactly one frame as it is, without a view', () => {
    const queue = new ByteQueue();
    const chunk = Buffer.from('one frame');
    queue.push(chunk);
    expect(queue.take(chunk.length)).toBe(chunk);
    expect(queue.length).toBe(0);
  });
});
