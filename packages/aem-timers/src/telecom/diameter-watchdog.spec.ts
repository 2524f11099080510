import { InvalidArgumentError } from '@aem/core';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { VirtualClock } from '../testing/virtual-clock';
import { TimerWheel } from '../timing-wheel';
import { WheelScheduler } from '../wheel-scheduler';
import { diameterWatchdog, diameterWatchdogInterval } from './diameter-watchdog';

describe('Diameter watchdog (RFC 3539)', () => {
  describe('diameterWatchdogInterval', () => {
    it('is TwInit ± 2 s for any random draw', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 6000, max: 120_000 }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (twInitMs, r) => {
            const tw = diameterWatchdogInterval({ twInitMs, random: () => r });
            expect(tw).toBeGreaterThanOrEqual(twInitMs - 2000);
            expect(tw).toBeLessThanOrEqual(twInitMs + 2000);
          },
        ),
      );
    });

    it('maps the random source linearly onto the jitter range', () => {
      expect(diameterWatchdogInterval({ random: () => 0 })).toBe(28_000);
      expect(diameterWatchdogInterval({ random: () => 0.5 })).toBe(30_000);
      expect(diameterWatchdogInterval({ twInitMs: 6000, random: () => 0.75 })).toBe(7000);
    });

    it('clamps a random source out of [0, 1)', () => {
      expect(diameterWatchdogInterval({ random: () => 7 })).toBe(32_000);
      expect(diameterWatchdogInterval({ random: () => NaN })).toBe(28_000);
    });

    it.each([[5999], [0], [NaN], [Infinity]])('refuses TwInit %p (RFC 3539: ≥ 6 s)', (twInitMs) => {
      expect(() => diameterWatchdogInterval({ twInitMs })).toThrow(InvalidArgumentError);
      expect(() =>
        diameterWatchdog(new WheelScheduler(new TimerWheel({ clock: new VirtualClock() })), {
          twInitMs,
        }),
      ).toThrow(InvalidArgumentError);
    });
  });

  describe('diameterWatchdog', () => {
    it('fires every Tw with a fresh jitter, and a reset restarts the count', () => {
      const clock = new VirtualClock();
      const scheduler = new WheelScheduler(new TimerWheel({ clock }));
      const draws = [0, 1 - Number.EPSILON, 0.5, 0.5];
      let d = 0;
      const reset = new Subject<void>();
      const seen: string[] = [];
      const sub = diameterWatchdog(scheduler, {
        twInitMs: 6000,
        random: () => draws[d++ % draws.length],
        reset,
      }).subscribe((n) => seen.push(`${n}@${clock.now()}`));
      clock.advance(4000); // Tw 4000
      clock.advance(8000); // Tw ≈ 8000
      expect(seen).toEqual(['1@4000', '2@12000']);
      reset.next(); // at 12000: Tw 6000
      clock.advance(5999);
      expect(seen).toHaveLength(2);
      clock.advance(1);
      expect(seen).toEqual(['1@4000', '2@12000', '1@18000']);
      sub.unsubscribe();
      expect(scheduler.wheel.size).toBe(0);
    });
  });
});
