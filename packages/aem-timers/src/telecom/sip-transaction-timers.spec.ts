import { InvalidArgumentError } from '@aem/core';
import fc from 'fast-check';
import { Subject, takeUntil } from 'rxjs';
import { SipTransactionTimeoutError } from '../errors/sip-transaction-timeout.error';
import { VirtualClock } from '../testing/virtual-clock';
import { TimerWheel } from '../timing-wheel';
import { WheelScheduler } from '../wheel-scheduler';
import {
  sipRetransmissions,
  sipRetransmitDelays,
  sipRetransmitIntervals,
  sipTimerValues,
} from './sip-transaction-timers';

function setup() {
  const clock = new VirtualClock();
  return { clock, scheduler: new WheelScheduler(new TimerWheel({ clock })) };
}

describe('SIP transaction timers (RFC 3261)', () => {
  describe('sipTimerValues', () => {
    it('gives the RFC defaults over an unreliable transport', () => {
      expect(sipTimerValues()).toEqual({
        T1: 500,
        T2: 4000,
        T4: 5000,
        A: 500,
        B: 32_000,
        D: 32_000,
        E: 500,
        F: 32_000,
        G: 500,
        H: 32_000,
        I: 5000,
        J: 32_000,
        K: 5000,
      });
    });

    it('zeroes the retransmission and wait timers over a reliable transport', () => {
      expect(sipTimerValues({ transport: 'reliable' })).toEqual({
        T1: 500,
        T2: 4000,
        T4: 5000,
        A: 0,
        B: 32_000,
        D: 0,
        E: 0,
        F: 32_000,
        G: 0,
        H: 32_000,
        I: 0,
        J: 0,
        K: 0,
      });
    });

    it('derives B/F/H = 64·T1 and D ≥ 32 s from a configured T1', () => {
      const values = sipTimerValues({ t1Ms: 1000, t2Ms: 8000, t4Ms: 10_000 });
      expect([values.B, values.F, values.H, values.J, values.D, values.I, values.K]).toEqual([
        64_000, 64_000, 64_000, 64_000, 64_000, 10_000, 10_000,
      ]);
      expect(sipTimerValues({ t1Ms: 100 }).D).toBe(32_000);
    });

    it.each([
      [{ t1Ms: 0 }],
      [{ t2Ms: -1 }],
      [{ t4Ms: NaN }],
      [{ t1Ms: 500, t2Ms: 400 }],
      [{ transport: 'carrier-pigeon' as never }],
    ])('refuses %p', (options) => {
      expect(() => sipTimerValues(options)).toThrow(InvalidArgumentError);
    });
  });

  describe('sipRetransmitIntervals', () => {
    it('A doubles without cap until B', () => {
      expect(sipRetransmitIntervals('A')).toEqual([500, 1000, 2000, 4000, 8000, 16_000]);
    });

    it('E and G double and are capped at T2', () => {
      const capped = [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000];
      expect(sipRetransmitIntervals('E')).toEqual(capped);
      expect(sipRetransmitIntervals('G')).toEqual(capped);
    });

    it('is empty over a reliable transport', () => {
      expect(sipRetransmitIntervals('A', { transport: 'reliable' })).toEqual([]);
    });

    it('property: intervals double up to the cap and all retransmissions happen before the timeout', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2000 }),
          fc.integer({ min: 1, max: 20 }),
          fc.constantFrom('A' as const, 'E' as const, 'G' as const),
          (t1, factor, timer) => {
            const t2 = t1 * factor;
            const intervals = sipRetransmitIntervals(timer, { t1Ms: t1, t2Ms: t2 });
            expect(intervals[0]).toBe(t1);
            for (let i = 1; i < intervals.length; i++) {
              expect(intervals[i]).toBe(
                timer === 'A' ? 2 * intervals[i - 1] : Math.min(2 * intervals[i - 1], t2),
              );
            }
            const total = intervals.reduce((a, b) => a + b, 0);
            expect(total).toBeLessThan(64 * t1);
          },
        ),
      );
    });
  });

  describe('sipRetransmitDelays', () => {
    it('G: ten retransmissions, then timer H at 64·T1', () => {
      expect(sipRetransmitDelays('G')).toEqual([
        500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000, 500,
      ]);
    });

    it('is the timeout alone over a reliable transport', () => {
      expect(sipRetransmitDelays('G', { transport: 'reliable' })).toEqual([32_000]);
      expect(sipRetransmitDelays('E', { transport: 'reliable', t1Ms: 20 })).toEqual([1280]);
    });

    it('property: wakes up at the same times as sipRetransmissions, the last one the timeout', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2000 }),
          fc.integer({ min: 1, max: 20 }),
          fc.constantFrom('A' as const, 'E' as const, 'G' as const),
          fc.constantFrom('reliable' as const, 'unreliable' as const),
          (t1, factor, timer, transport) => {
            const options = { t1Ms: t1, t2Ms: t1 * factor, transport };
            const delays = sipRetransmitDelays(timer, options);
            expect(delays.every((delay) => delay > 0)).toBe(true);
            expect(delays.reduce((a, b) => a + b, 0)).toBe(64 * t1);
            expect(delays.slice(0, -1)).toEqual(sipRetransmitIntervals(timer, options));
          },
        ),
      );
    });
  });

  describe('sipRetransmissions', () => {
    it('emits at each timer E expiry, then errors with timer F', () => {
      const { clock, scheduler } = setup();
      const sentAt: number[] = [];
      let failure: unknown;
      sipRetransmissions('E', scheduler).subscribe({
        next: () => sentAt.push(clock.now()),
        error: (e) => (failure = e),
      });
      clock.advance(40_000);
      expect(sentAt).toEqual([
        500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
      ]);
      expect(failure).toBeInstanceOf(SipTransactionTimeoutError);
      expect(failure).toMatchObject({
        timer: 'F',
        afterMs: 32_000,
        retransmissions: 10,
        code: 'AEM_SIP_TRANSACTION_TIMEOUT',
      });
    });

    it('timer A: retransmissions at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s, timeout B at 32 s', () => {
      const { clock, scheduler } = setup();
      const sentAt: number[] = [];
      let failedAt = -1;
      sipRetransmissions('A', scheduler).subscribe({
        next: () => sentAt.push(clock.now()),
        error: () => (failedAt = clock.now()),
      });
      clock.advance(60_000);
      expect(sentAt).toEqual([500, 1500, 3500, 7500, 15_500, 31_500]);
      expect(failedAt).toBe(32_000);
    });

    it('over a reliable transport only the timeout runs', () => {
      const { clock, scheduler } = setup();
      const events: string[] = [];
      sipRetransmissions('A', scheduler, { transport: 'reliable' }).subscribe({
        next: () => events.push('sent'),
        error: (e: SipTransactionTimeoutError) => events.push(`timer ${e.timer}@${clock.now()}`),
      });
      clock.advance(40_000);
      expect(events).toEqual(['timer B@32000']);
    });

    it('stops, with no timer left, when the final response arrives', () => {
      const { clock, scheduler } = setup();
      const response = new Subject<void>();
      const events: string[] = [];
      sipRetransmissions('A', scheduler)
        .pipe(takeUntil(response))
        .subscribe({
          next: (n) => events.push(`sent ${n}`),
          error: () => events.push('error'),
          complete: () => events.push('complete'),
        });
      clock.advance(2000);
      response.next();
      clock.advance(60_000);
      expect(events).toEqual(['sent 1', 'sent 2', 'complete']);
      expect((scheduler.wheel as TimerWheel).size).toBe(0);
    });
  });
});
