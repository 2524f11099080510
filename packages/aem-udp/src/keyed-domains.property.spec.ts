import fc from 'fast-check';
import { KeyedDomains, type IdleCheck } from './keyed-domains';

/** A domain whose idleness the test sets (the table only reads `queued` and `busy`). */
interface FakeDomain extends IdleCheck {
  readonly key: string;
  queued: number;
  busy: boolean;
}

type Step =
  { kind: 'get'; key: number } | { kind: 'work'; key: number; queued: number; busy: boolean };

const steps = (keys: number): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.nat(keys - 1) }),
      fc.record({
        kind: fc.constant('work' as const),
        key: fc.nat(keys - 1),
        queued: fc.nat(3),
        busy: fc.boolean(),
      }),
    ),
    { maxLength: 400 },
  );

describe('KeyedDomains', () => {
  it('keeps at most max domains, never forgets a busy one, refuses only when it must', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 80 }), (max, keys) =>
        fc.assert(
          fc.property(steps(keys), (script) => {
            const table = new KeyedDomains<FakeDomain>(max, (key) => ({
              key,
              queued: 0,
              busy: false,
            }));
            /** The domain each key was last given, as the socket sees it. */
            const given = new Map<string, FakeDomain>();
            for (const step of script) {
              const key = `k${step.key}`;
              if (step.kind === 'work') {
                // Work only reaches a domain the table still holds for the key: a datagram of a
                // key whose idle domain was forgotten asks the table again (and gets a new one).
                const domain = given.get(key);
                if (domain !== undefined && [...table.values()].includes(domain)) {
                  domain.queued = step.queued;
                  domain.busy = step.busy;
                }
                continue;
              }
              const previous = given.get(key);
              const live = [...table.values()];
              const busyBefore = live.filter((d) => d.queued > 0 || d.busy).length;
              const domain = table.get(key);
              expect(table.size).toBeLessThanOrEqual(max);
              if (domain === null) {
                // Refused: only a new key, only with the table full.
                expect(live.some((d) => d.key === key)).toBe(false);
                expect(live.length).toBe(max);
                continue;
              }
              expect(domain.key).toBe(key);
              // A key with pending work keeps its domain: its order is never split.
              if (previous !== undefined && (previous.queued > 0 || previous.busy))
                expect(domain).toBe(previous);
              // Every busy domain survives a sweep.
              const after = new Set(table.values());
              for (const d of live) if (d.queued > 0 || d.busy) expect(after.has(d)).toBe(true);
              expect(
                [...after].filter((d) => d.queued > 0 || d.busy).length,
              ).toBeGreaterThanOrEqual(busyBefore);
              given.set(key, domain);
            }
          }),
          { numRuns: 20 },
        ),
      ),
      { numRuns: 25 },
    );
  });

  it('a full table of busy domains refuses new keys without sweeping each time', () => {
    let made = 0;
    const max = 64;
    const table = new KeyedDomains<FakeDomain>(max, (key) => {
      made++;
      return { key, queued: 1, busy: true };
    });
    for (let i = 0; i < max; i++) expect(table.get(`k${i}`)).not.toBeNull();
    // A failed sweep, then max/16 = 4 refusals without one, then a sweep again, …
    for (let i = 0; i < 10; i++) expect(table.get(`new${i}`)).toBeNull();
    expect(made).toBe(max);
    // Once they are idle, a new key sweeps them away within max/16 attempts.
    for (const domain of table.values()) domain.queued = 0;
    for (const domain of table.values()) domain.busy = false;
    let key = 0;
    while (table.get(`late${key}`) === null) key++;
    expect(key).toBeLessThanOrEqual(max >> 4);
    expect(table.size).toBe(1);
  });
});
