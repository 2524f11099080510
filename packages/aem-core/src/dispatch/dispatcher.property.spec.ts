import fc from 'fast-check';
import { createAem } from '../aem';
import type { Domain } from './domain';
import { manualService, settle } from '../testing/manual-service.spec-helper';

/**
 * Property tests of the dispatcher's ordering invariants on random workloads: events with
 * random priorities, shared or implicit domains, sync or async handlers, activations fired in
 * batches with random pauses.
 */
interface EventSpec {
  readonly priority: number;
  /** -1: the event's own domain; otherwise an index into the shared domains. */
  readonly domain: number;
  /** 0: synchronous handler; k > 0: async, settles after k macrotask turns. */
  readonly asyncTurns: number;
}

const eventSpec = fc.record({
  priority: fc.integer({ min: 0, max: 7 }),
  domain: fc.integer({ min: -1, max: 2 }),
  asyncTurns: fc.integer({ min: 0, max: 2 }),
});

const scenario = fc.array(eventSpec, { minLength: 1, maxLength: 6 }).chain((events) =>
  fc.record({
    events: fc.constant(events),
    batches: fc.array(
      fc.record({
        fires: fc.array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: 12 }),
        pause: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

interface Run {
  readonly starts: { seq: number; event: number; domain: string }[];
  readonly intervals: Map<string, [number, number][]>;
  readonly fired: { seq: number; event: number }[];
}

async function execute(
  events: readonly EventSpec[],
  batches: { fires: number[]; pause: number }[],
): Promise<Run> {
  const runtime = createAem({ backend: 'userspace' });
  const manual = manualService();
  runtime.load(manual.definition);
  const shared: Domain[] = [0, 1, 2].map((i) => runtime.createDomain(`shared-${i}`));
  let clock = 0;
  const starts: Run['starts'] = [];
  const intervals = new Map<string, [number, number][]>();
  const fired: Run['fired'] = [];
  events.forEach((spec, index) => {
    const domainName = spec.domain < 0 ? `own-${index}` : `shared-${spec.domain}`;
    const record = (seq: number): [number, number] => {
      const interval: [number, number] = [clock++, Infinity];
      starts.push({ seq, event: index, domain: domainName });
      const list = intervals.get(domainName) ?? [];
      list.push(interval);
      intervals.set(domainName, list);
      return interval;
    };
    runtime.bind<typeof manual.definition>('manual').call(
      'listen',
      { key: String(index) },
      spec.asyncTurns === 0
        ? (seq) => void (record(seq as number)[1] = clock++)
        : async (seq) => {
            const interval = record(seq as number);
            await settle(spec.asyncTurns);
            interval[1] = clock++;
          },
      { priority: spec.priority, domain: spec.domain < 0 ? undefined : shared[spec.domain] },
    );
  });
  let seq = 0;
  for (const batch of batches) {
    for (const event of batch.fires) {
      fired.push({ seq, event });
      manual.fire(String(event), seq++);
    }
    await settle(batch.pause);
  }
  await settle(3 * (fired.length + 2));
  expect(runtime.stats().queuedActivations).toBe(0);
  runtime.close();
  return { starts, intervals, fired };
}

describe('Dispatcher ordering invariants (property)', () => {
  it('delivers every activation exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ events, batches }) => {
        const run = await execute(events, batches);
        expect(run.starts.map((s) => s.seq).sort((a, b) => a - b)).toEqual(
          run.fired.map((f) => f.seq),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('runs at most one handler per domain at a time', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ events, batches }) => {
        const run = await execute(events, batches);
        for (const list of run.intervals.values()) {
          for (let i = 1; i < list.length; i++) expect(list[i][0]).toBeGreaterThan(list[i - 1][1]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('within a domain, activations of equal priority start in arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ events, batches }) => {
        const run = await execute(events, batches);
        const lastSeq = new Map<string, number>();
        for (const start of run.starts) {
          const key = `${start.domain}/${events[start.event].priority}`;
          expect(start.seq).toBeGreaterThan(lastSeq.get(key) ?? -1);
          lastSeq.set(key, start.seq);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('with synchronous handlers, one batch runs in priority order then arrival order', async () => {
    const syncScenario = fc.record({
      events: fc.array(
        eventSpec.map((spec) => ({ ...spec, asyncTurns: 0 })),
        { minLength: 1, maxLength: 6 },
      ),
      fires: fc.array(fc.nat(), { maxLength: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(syncScenario, async ({ events, fires }) => {
        const batch = { fires: fires.map((f) => f % events.length), pause: 0 };
        const run = await execute(events, [batch]);
        const expected = run.fired
          .slice()
          .sort((a, b) => events[b.event].priority - events[a.event].priority || a.seq - b.seq)
          .map((f) => f.seq);
        expect(run.starts.map((s) => s.seq)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});
