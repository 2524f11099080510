import { InvalidArgumentError } from '@aem/core';
import fc from 'fast-check';
import { ForeignHandleError } from './errors/foreign-handle.error';
import { InvalidDelayError } from './errors/invalid-delay.error';
import { WheelCapacityError } from './errors/wheel-capacity.error';
import { VirtualClock } from './testing/virtual-clock';
import type { TimerHandle } from './timer-handle';
import { MAX_DELAY_TICKS, TimerWheel } from './timing-wheel';

const DAY = 86_400_000;

function setup(start = 0, tickMs = 1) {
  const clock = new VirtualClock(start);
  const errors: unknown[] = [];
  const wheel = new TimerWheel({
    clock,
    tickMs,
    initialCapacity: 0,
    onError: (error) => errors.push(error),
  });
  return { clock, wheel, errors };
}

describe('TimerWheel', () => {
  describe('one-shot timers', () => {
    it('fires once at its deadline, never before', () => {
      const { clock, wheel } = setup();
      const fired: number[] = [];
      wheel.start(100, () => fired.push(clock.now()), 'x');
      clock.advance(99);
      expect(fired).toEqual([]);
      clock.advance(1);
      expect(fired).toEqual([100]);
      clock.advance(10_000);
      expect(fired).toEqual([100]);
      expect(wheel.size).toBe(0);
    });

    it('passes the argument, an expiration count of 1 and the handle', () => {
      const { clock, wheel } = setup();
      const calls: unknown[][] = [];
      const handle = wheel.start(5, (...args: unknown[]) => calls.push(args), { id: 7 });
      clock.advance(5);
      expect(calls).toEqual([[{ id: 7 }, 1, handle]]);
    });

    it('fires a fractional deadline at that exact time, not at the end of its tick', () => {
      const { clock, wheel } = setup(0.25);
      const fired: number[] = [];
      wheel.start(10.5, () => fired.push(clock.now()));
      clock.advance(10.49);
      expect(fired).toEqual([]);
      clock.advance(0.01);
      expect(fired).toEqual([10.75]);
    });

    it('treats a zero delay as the next tick boundary', () => {
      const { clock, wheel } = setup(50.5);
      const fired: number[] = [];
      wheel.start(0, () => fired.push(clock.now()));
      clock.advance(0);
      expect(fired).toEqual([]);
      clock.advance(1);
      expect(fired).toEqual([51]);
    });

    it('with a 10 ms tick, fires each timer of the next tick at its own deadline', () => {
      const { clock, wheel } = setup(0, 10);
      const fired: number[] = [];
      wheel.start(15, () => fired.push(clock.now()));
      wheel.start(11, () => fired.push(clock.now()));
      clock.advance(10.9);
      expect(fired).toEqual([]);
      clock.advance(100);
      expect(fired).toEqual([11, 15]);
    });

    it('fires delays crossing every level at their exact deadline', () => {
      const { clock, wheel } = setup(12_345);
      const delays = [
        1,
        63,
        64,
        65,
        4095,
        4096,
        4097,
        262_143,
        262_144,
        300_000,
        16_777_216,
        20_000_000,
        30 * DAY,
        40 * DAY,
      ];
      const fired = new Map<number, number>();
      for (const delay of delays)
        wheel.start(delay, (d: number) => fired.set(d, clock.now()), delay);
      clock.advance(41 * DAY);
      for (const delay of delays) expect(fired.get(delay)).toBe(12_345 + delay);
    });

    it('fires delays beyond the wheel span (parked on the top level) at their exact deadline', () => {
      const { clock, wheel } = setup();
      const delay = 2 ** 36 + 12_345;
      let at = -1;
      wheel.start(delay, () => (at = clock.now()));
      clock.advance(delay - 1);
      expect(at).toBe(-1);
      clock.advance(1);
      expect(at).toBe(delay);
    });

    it('clamps delays above MAX_DELAY_TICKS (documented)', () => {
      const { clock, wheel } = setup();
      const handle = wheel.start(Number.MAX_SAFE_INTEGER, () => undefined);
      expect(wheel.deadlineOf(handle)).toBe(MAX_DELAY_TICKS);
      void clock;
    });
  });

  describe('handles', () => {
    it('cancel returns true once, then the stale handle is a no-op', () => {
      const { clock, wheel } = setup();
      const fired: number[] = [];
      const handle = wheel.start(10, () => fired.push(1));
      expect(wheel.isPending(handle)).toBe(true);
      expect(wheel.cancel(handle)).toBe(true);
      expect(wheel.cancel(handle)).toBe(false);
      expect(wheel.isPending(handle)).toBe(false);
      clock.advance(20);
      expect(fired).toEqual([]);
    });

    it('a stale handle does not touch the timer that reused its slot', () => {
      const { clock, wheel } = setup();
      const fired: string[] = [];
      const old = wheel.start(10, () => fired.push('old'));
      wheel.cancel(old);
      const fresh = wheel.start(10, () => fired.push('fresh'));
      expect(fresh % 2 ** 25).toBe(old % 2 ** 25); // same slot, reused
      expect(wheel.cancel(old)).toBe(false);
      expect(wheel.reschedule(old, 1)).toBe(false);
      clock.advance(10);
      expect(fired).toEqual(['fresh']);
    });

    it('a fired handle is stale, also inside its own callback', () => {
      const { clock, wheel } = setup();
      let inside: boolean | undefined;
      const handle = wheel.start(
        1,
        (_: unknown, __: number, h: TimerHandle) => (inside = wheel.cancel(h)),
      );
      clock.advance(1);
      expect(inside).toBe(false);
      expect(wheel.cancel(handle)).toBe(false);
    });

    it('refuses a handle of another wheel with ForeignHandleError and changes nothing', () => {
      const a = setup();
      const b = setup();
      const fired: string[] = [];
      const handle = a.wheel.start(10, () => fired.push('a'));
      b.wheel.start(10, () => fired.push('b'));
      expect(() => b.wheel.cancel(handle)).toThrow(ForeignHandleError);
      expect(() => b.wheel.cancel(handle)).toThrow(
        expect.objectContaining({ code: 'AEM_TIMERS_FOREIGN_HANDLE', reason: 'other-wheel' }),
      );
      a.clock.advance(10);
      b.clock.advance(10);
      expect(fired.sort()).toEqual(['a', 'b']);
    });

    it.each([[0], [-1], [1.5], [NaN], [Infinity], ['7' as unknown as number], [2 ** 60]])(
      'refuses %p as not-a-handle',
      (value) => {
        const { wheel } = setup();
        expect(() => wheel.cancel(value)).toThrow(ForeignHandleError);
      },
    );
  });

  describe('bad input', () => {
    it.each([[-1], [NaN], [Infinity], [-Infinity], [undefined as unknown as number]])(
      'start(%p) throws InvalidDelayError',
      (delay) => {
        const { clock, wheel } = setup();
        wheel.start(5, () => undefined);
        expect(() => wheel.start(delay, () => undefined)).toThrow(InvalidDelayError);
        expect(() => wheel.every(delay, () => undefined)).toThrow(InvalidDelayError);
        expect(wheel.size).toBe(1);
        clock.advance(5);
        expect(wheel.size).toBe(0);
      },
    );

    it('every(0) is refused: a period must be > 0', () => {
      expect(() => setup().wheel.every(0, () => undefined)).toThrow(InvalidDelayError);
    });

    it('refuses a callback that is not a function', () => {
      expect(() => setup().wheel.start(1, 'nope' as never)).toThrow(InvalidArgumentError);
    });

    it('refuses bad options', () => {
      expect(() => new TimerWheel({ clock: new VirtualClock(), tickMs: 0 })).toThrow(
        InvalidArgumentError,
      );
      expect(() => new TimerWheel({ clock: new VirtualClock(), maxTimers: 0 })).toThrow(
        InvalidArgumentError,
      );
    });

    it('throws WheelCapacityError at maxTimers and keeps working', () => {
      const clock = new VirtualClock();
      const wheel = new TimerWheel({ clock, maxTimers: 2, initialCapacity: 0 });
      wheel.start(1, () => undefined);
      wheel.start(1, () => undefined);
      expect(() => wheel.start(1, () => undefined)).toThrow(WheelCapacityError);
      clock.advance(1);
      expect(wheel.size).toBe(0);
      expect(() => wheel.start(1, () => undefined)).not.toThrow();
    });
  });

  describe('periodic timers', () => {
    it('re-arms at previous deadline + period', () => {
      const { clock, wheel } = setup(3);
      const at: number[] = [];
      wheel.every(10, () => at.push(clock.now()));
      clock.advance(35);
      expect(at).toEqual([13, 23, 33]);
    });

    it('counts skipped periods in expirations when the wheel is advanced late (timerfd overrun)', () => {
      const { clock, wheel } = setup();
      const calls: [number, number][] = [];
      wheel.every(10, (_: unknown, expirations: number) => calls.push([clock.now(), expirations]));
      // A wheel driven by hand, as if the process had been blocked for 45 ms.
      wheel.advance(45);
      expect(calls).toEqual([[0, 4]]);
      clock.advance(50); // now 50: the next deadline was 50
      expect(calls).toEqual([
        [0, 4],
        [50, 1],
      ]);
    });

    it('honours firstDelayMs and stops when cancelled from its callback', () => {
      const { clock, wheel } = setup();
      const at: number[] = [];
      wheel.every(
        10,
        (_: unknown, __: number, handle: TimerHandle) => {
          at.push(clock.now());
          if (at.length === 3) wheel.cancel(handle);
        },
        undefined,
        { firstDelayMs: 1 },
      );
      clock.advance(100);
      expect(at).toEqual([1, 11, 21]);
      expect(wheel.size).toBe(0);
    });

    it('property: a period p started at t fires exactly at t + first + k·p', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5000 }),
          fc.integer({ min: 0, max: 5000 }),
          fc.integer({ min: 0, max: 1000 }),
          (period, first, start) => {
            const { clock, wheel } = setup(start);
            const at: number[] = [];
            wheel.every(period, () => at.push(clock.now()), undefined, { firstDelayMs: first });
            const horizon = first + period * 20;
            clock.advance(horizon);
            const expected: number[] = [];
            for (let t = start + Math.max(first, 1); t <= start + horizon; t += period)
              expected.push(t);
            expect(at).toEqual(expected);
          },
        ),
        { numRuns: 100 },
      );
    });
  });

  describe('order and re-entrancy', () => {
    it('fires timers due on the same tick in start order', () => {
      const { clock, wheel } = setup(7);
      const order: number[] = [];
      for (let i = 0; i < 50; i++) wheel.start(5000, (n: number) => order.push(n), i);
      clock.advance(5000);
      expect(order).toEqual([...Array(50).keys()]);
    });

    it('lets a callback cancel a timer of the same slot not yet fired', () => {
      const { clock, wheel } = setup();
      const order: string[] = [];
      let second: TimerHandle = 0;
      wheel.start(10, () => {
        order.push('first');
        wheel.cancel(second);
      });
      second = wheel.start(10, () => order.push('second'));
      clock.advance(10);
      expect(order).toEqual(['first']);
    });

    it('lets a callback start timers, including ones due on the next tick', () => {
      const { clock, wheel } = setup();
      const at: number[] = [];
      const chain = (n: number) => {
        at.push(clock.now());
        if (n > 0) wheel.start(0, chain, n - 1);
      };
      wheel.start(3, chain, 3);
      clock.advance(100);
      expect(at).toEqual([3, 4, 5, 6]);
    });

    it('sends a throwing callback to onError and still fires the others', () => {
      const { clock, wheel, errors } = setup();
      const fired: string[] = [];
      wheel.start(1, () => {
        throw new Error('boom');
      });
      wheel.start(1, () => fired.push('ok'));
      clock.advance(1);
      expect(fired).toEqual(['ok']);
      expect(errors).toEqual([new Error('boom')]);
    });
  });

  describe('reschedule, close, keep-alive, growth', () => {
    it('reschedule moves the deadline and keeps the handle', () => {
      const { clock, wheel } = setup();
      const at: number[] = [];
      const handle = wheel.start(100, () => at.push(clock.now()));
      clock.advance(50);
      expect(wheel.reschedule(handle, 100)).toBe(true);
      expect(wheel.deadlineOf(handle)).toBe(150);
      clock.advance(60);
      expect(at).toEqual([]);
      clock.advance(40);
      expect(at).toEqual([150]);
    });

    it('close cancels everything and disarms', () => {
      const { clock, wheel } = setup();
      const fired: number[] = [];
      const handles = [1, 100, 10_000, 1_000_000].map((d) => wheel.start(d, () => fired.push(d)));
      wheel.close();
      expect(wheel.size).toBe(0);
      expect(clock.armedAlarms).toBe(0);
      expect(handles.map((h) => wheel.isPending(h))).toEqual([false, false, false, false]);
      clock.advance(2_000_000);
      expect(fired).toEqual([]);
    });

    it('arms its alarm keep-alive only while a keep-alive timer is pending', () => {
      const { clock, wheel } = setup();
      const plain = wheel.start(10, () => undefined);
      expect(clock.keepAlive).toBe(false);
      const held = wheel.start(1000, () => undefined, undefined, true);
      expect(clock.keepAlive).toBe(true);
      wheel.cancel(held);
      expect(clock.keepAlive).toBe(false);
      wheel.cancel(plain);
      expect(clock.armedAlarms).toBe(0);
    });

    it('arms one alarm for the next due tick, whatever the number of timers', () => {
      const { clock, wheel } = setup();
      for (let i = 0; i < 1000; i++) wheel.start(500 + i, () => undefined);
      wheel.start(20, () => undefined);
      expect(clock.armedAlarms).toBe(1);
      expect(wheel.nextWakeUp()).toBe(20);
    });

    it('grows past its initial capacity and reuses freed slots', () => {
      const { clock, wheel } = setup();
      let fired = 0;
      for (let i = 0; i < 5000; i++) wheel.start(i % 700, () => fired++);
      const capacity = wheel.capacity;
      expect(capacity).toBeGreaterThanOrEqual(5000);
      clock.advance(700);
      expect(fired).toBe(5000);
      for (let i = 0; i < 5000; i++) wheel.start(10, () => fired++);
      expect(wheel.capacity).toBe(capacity);
    });

    it('catches up after sleeping with nothing pending (regression: a timer filed against a stale tick woke the wheel early for nothing)', () => {
      const { clock, wheel } = setup();
      clock.advance(10 * DAY);
      const at: number[] = [];
      wheel.start(5, () => at.push(clock.now()));
      expect(wheel.nextWakeUp()).toBe(10 * DAY + 5);
      clock.advance(5);
      expect(at).toEqual([10 * DAY + 5]);
    });
  });

  describe('properties', () => {
    type Op =
      | { kind: 'start'; delay: number }
      | { kind: 'advance'; ms: number }
      | { kind: 'cancel'; pick: number };
    const delay = fc.oneof(
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 0, max: 70_000 }),
      fc.integer({ min: 0, max: 40 * DAY }),
      fc.double({ min: 0, max: 5000, noNaN: true }),
    );
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: delay.map((d) => ({ kind: 'start' as const, delay: d })) },
      {
        weight: 2,
        arbitrary: fc
          .oneof(
            fc.integer({ min: 0, max: 300 }),
            fc.integer({ min: 0, max: 5 * DAY }),
            fc.double({ min: 0, max: 100, noNaN: true }),
          )
          .map((ms) => ({ kind: 'advance' as const, ms })),
      },
      { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'cancel' as const, pick })) },
    );

    it('nothing fires before its deadline, everything due fires once within a tick, cancelled timers never fire', () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 1e9, noNaN: true }),
          fc.array(op, { maxLength: 120 }),
          (start, ops) => {
            const { clock, wheel } = setup(start);
            const deadlines: number[] = [];
            const ticks: number[] = [];
            const handles: TimerHandle[] = [];
            const firedAt = new Map<number, number>();
            const cancelled = new Set<number>();
            const onFire = (id: number) => {
              expect(firedAt.has(id)).toBe(false);
              firedAt.set(id, clock.now());
            };
            for (const o of ops) {
              if (o.kind === 'start') {
                const id = deadlines.length;
                deadlines.push(clock.now() + o.delay);
                // Latest allowed firing time: the deadline rounded up to a tick (the bound when the
                // timer reaches level 0 by a cascade), or the next tick boundary for a zero delay.
                ticks.push(Math.max(Math.ceil(clock.now() + o.delay), Math.floor(clock.now()) + 1));
                handles.push(wheel.start(o.delay, onFire, id));
              } else if (o.kind === 'advance') {
                clock.advance(o.ms);
              } else if (handles.length > 0) {
                const id = o.pick % handles.length;
                const wasPending = !firedAt.has(id) && !cancelled.has(id);
                expect(wheel.cancel(handles[id])).toBe(wasPending);
                cancelled.add(id);
              }
              // Everything due by now has fired, nothing not yet due has.
              for (let id = 0; id < deadlines.length; id++) {
                if (cancelled.has(id) && !firedAt.has(id)) continue;
                if (firedAt.has(id)) {
                  expect(firedAt.get(id)).toBeGreaterThanOrEqual(deadlines[id]);
                  expect(firedAt.get(id)).toBeLessThanOrEqual(ticks[id]);
                } else {
                  expect(clock.now()).toBeLessThan(ticks[id]);
                }
              }
            }
            clock.advance(50 * DAY);
            for (let id = 0; id < deadlines.length; id++) {
              expect(firedAt.has(id)).toBe(!cancelled.has(id) || firedAt.has(id));
            }
            expect(wheel.size).toBe(0);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('on the virtual clock, a timer filed on level 0 fires exactly at its deadline (no rounding lateness)', () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 1e6, noNaN: true }),
          fc.array(fc.double({ min: 0.001, max: 62, noNaN: true }), {
            minLength: 1,
            maxLength: 40,
          }),
          (start, delays) => {
            const { clock, wheel } = setup(start);
            const firedAt: number[] = [];
            const deadlines = delays.map((d) => clock.now() + d);
            delays.forEach((d, id) =>
              wheel.start(d, (n: number) => (firedAt[n] = clock.now()), id),
            );
            clock.advance(100);
            expect(firedAt).toEqual(deadlines);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('cancelling any subset leaves exactly the rest to fire', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 10 * DAY }), fc.boolean()), {
            maxLength: 300,
          }),
          (timers) => {
            const { clock, wheel } = setup(1000);
            const fired = new Set<number>();
            const handles = timers.map(([d], id) =>
              wheel.start(d, (n: number) => fired.add(n), id),
            );
            timers.forEach(([, cancel], id) => {
              if (cancel) expect(wheel.cancel(handles[id])).toBe(true);
            });
            expect(wheel.size).toBe(timers.filter(([, c]) => !c).length);
            clock.advance(11 * DAY);
            const expected = new Set(timers.flatMap(([, c], id) => (c ? [] : [id])));
            expect(fired).toEqual(expected);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('timers started in the same tick with the same deadline fire in start order, across levels', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 20 * DAY }),
          fc.integer({ min: 1, max: 30 }),
          fc.integer({ min: 0, max: 100_000 }),
          (delay, n, start) => {
            const { clock, wheel } = setup(start);
            const order: number[] = [];
            for (let i = 0; i < n; i++) wheel.start(delay, (k: number) => order.push(k), i);
            clock.advance(delay + 1);
            expect(order).toEqual([...Array(n).keys()]);
          },
        ),
        { numRuns: 100 },
      );
    });
  });
});
