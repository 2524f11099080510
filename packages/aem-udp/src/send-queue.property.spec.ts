import fc from 'fast-check';
import { DEFAULT_UDP_LIMITS } from './udp-limits';
import { SocketFailedError } from './errors/socket-failed.error';
import { SendQueue } from './send-queue';
import type { OutgoingDatagram } from './transport/transport';

/** A transport double that keeps each batch until the script completes it. */
class ScriptedSocket {
  readonly batches: {
    batch: readonly OutgoingDatagram[];
    done: (sent: number, errors: number, firstError?: Error) => void;
  }[] = [];
  sendBatch(
    batch: readonly OutgoingDatagram[],
    done: (sent: number, errors: number, firstError?: Error) => void,
  ): void {
    this.batches.push({ batch, done });
  }
}

type Step =
  | { kind: 'send'; bytes: number }
  | { kind: 'tick' }
  | { kind: 'complete'; failures: number }
  | { kind: 'flush' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), bytes: fc.nat(300) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('complete' as const), failures: fc.nat(3) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
);

describe('SendQueue', () => {
  it('sends each tick as one batch in order, within its limits, and accounts for every datagram', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 2_000 }),
        async (script, maxDatagrams, maxBytes) => {
          const socket = new ScriptedSocket();
          const limits = {
            ...DEFAULT_UDP_LIMITS,
            maxSendQueueDatagrams: maxDatagrams,
            maxSendQueueBytes: maxBytes,
          };
          const ticks: (() => void)[] = [];
          const queue = new SendQueue(socket, limits, (send, q) => ticks.push(() => send(q)));
          let accepted = 0;
          let refused = 0;
          let tickSends: Buffer[] = [];
          const expectedBatches: Buffer[][] = [];
          const flushes: { upTo: number; settled: boolean }[] = [];
          let completedCount = 0;
          for (const s of script) {
            if (s.kind === 'send') {
              const data = Buffer.alloc(s.bytes);
              if (queue.push(data, '127.0.0.1', 1000)) {
                accepted++;
                tickSends.push(data);
              } else refused++;
            } else if (s.kind === 'tick') {
              for (const run of ticks.splice(0)) run();
              if (tickSends.length > 0) expectedBatches.push(tickSends);
              tickSends = [];
            } else if (s.kind === 'complete') {
              const next = socket.batches.find((b) => !(b as { completed?: boolean }).completed);
              if (next) {
                (next as { completed?: boolean }).completed = true;
                const failures = Math.min(s.failures, next.batch.length);
                const error = Object.assign(new Error('send EPERM'), { code: 'EPERM' });
                next.done(next.batch.length - failures, failures, failures > 0 ? error : undefined);
                completedCount += next.batch.length;
              }
            } else {
              const entry = { upTo: accepted, settled: false };
              flushes.push(entry);
              void queue.flush().then(() => (entry.settled = true));
            }
            // Bounded: what waits and what is in flight stays within the limits.
            expect(queue.queued).toBeLessThanOrEqual(maxDatagrams);
            expect(queue.queuedBytes).toBeLessThanOrEqual(maxBytes);
            // Every accepted datagram is sent, failed, or still queued; every refusal counted.
            expect(queue.sent + queue.sendErrors + queue.queued).toBe(accepted);
            expect(queue.droppedSendQueueFull).toBe(refused);
          }
          await Promise.resolve();
          // A flush settles exactly when everything accepted before it completed.
          for (const entry of flushes) expect(entry.settled).toBe(entry.upTo <= completedCount);
          // One batch per tick that had sends, in send order (the very buffers given).
          expect(socket.batches).toHaveLength(expectedBatches.length);
          socket.batches.forEach(({ batch }, b) => {
            expect(batch).toHaveLength(expectedBatches[b].length);
            batch.forEach((d, i) => expect(d.data).toBe(expectedBatches[b][i]));
          });
          if (queue.sendErrors > 0) expect(queue.lastError).toBeInstanceOf(SocketFailedError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('close sends the outbox at once, refuses later sends, and resolves when they left', async () => {
    const socket = new ScriptedSocket();
    const queue = new SendQueue(socket, DEFAULT_UDP_LIMITS, () => undefined);
    expect(queue.push(Buffer.from('a'), '127.0.0.1', 9)).toBe(true);
    let closed = false;
    void queue.close().then(() => (closed = true));
    expect(socket.batches).toHaveLength(1);
    expect(queue.push(Buffer.from('b'), '127.0.0.1', 9)).toBe(false);
    expect(queue.droppedSendClosed).toBe(1);
    await Promise.resolve();
    expect(closed).toBe(false);
    socket.batches[0].done(1, 0);
    await Promise.resolve();
    expect(closed).toBe(true);
    expect(queue.sent).toBe(1);
    expect(queue.sentBytes).toBe(1);
  });

  it('a transport that throws fails its whole batch, counted', () => {
    const queue = new SendQueue(
      {
        sendBatch: () => {
          throw new Error('gone');
        },
      },
      DEFAULT_UDP_LIMITS,
      (send, q) => send(q),
    );
    queue.push(Buffer.from('a'), '127.0.0.1', 9);
    expect(queue.sendErrors).toBe(1);
    expect(queue.queued).toBe(0);
    expect(queue.lastError?.message).toMatch(/gone/);
  });
});
