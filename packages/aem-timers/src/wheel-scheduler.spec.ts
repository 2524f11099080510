import {
  Subject,
  TimeoutError,
  debounceTime,
  delay,
  interval,
  of,
  take,
  timeout,
  timer,
} from 'rxjs';
import { VirtualClock } from './testing/virtual-clock';
import { TimerWheel } from './timing-wheel';
import { WheelScheduler } from './wheel-scheduler';

function setup(start = 0) {
  const clock = new VirtualClock(start);
  const wheel = new TimerWheel({ clock });
  return { clock, wheel, scheduler: new WheelScheduler(wheel) };
}

describe('WheelScheduler', () => {
  it('reports the wheel clock as now()', () => {
    const { clock, scheduler } = setup(42);
    expect(scheduler.now()).toBe(42);
    clock.advance(8);
    expect(scheduler.now()).toBe(50);
  });

  it('runs scheduled work after its delay with its state, once', () => {
    const { clock, scheduler } = setup();
    const runs: [number, string][] = [];
    scheduler.schedule((state) => runs.push([clock.now(), state as string]), 30, 'hello');
    clock.advance(29);
    expect(runs).toEqual([]);
    clock.advance(100);
    expect(runs).toEqual([[30, 'hello']]);
  });

  it('unsubscribing cancels the wheel timer', () => {
    const { clock, wheel, scheduler } = setup();
    const runs: number[] = [];
    const sub = scheduler.schedule(() => runs.push(1), 10);
    expect(wheel.size).toBe(1);
    sub.unsubscribe();
    expect(wheel.size).toBe(0);
    clock.advance(20);
    expect(runs).toEqual([]);
  });

  describe('with RxJS operators', () => {
    it('interval keeps a fixed rate on the wheel', () => {
      const { clock, scheduler, wheel } = setup(5);
      const seen: [number, number][] = [];
      interval(100, scheduler)
        .pipe(take(4))
        .subscribe((n) => seen.push([n, clock.now()]));
      clock.advance(1000);
      expect(seen).toEqual([
        [0, 105],
        [1, 205],
        [2, 305],
        [3, 405],
      ]);
      expect(wheel.size).toBe(0);
    });

    it('timer with a delay emits once then completes', () => {
      const { clock, scheduler } = setup();
      const events: string[] = [];
      timer(250, scheduler).subscribe({
        next: () => events.push(`next@${clock.now()}`),
        complete: () => events.push(`complete@${clock.now()}`),
      });
      clock.advance(300);
      expect(events).toEqual(['next@250', 'complete@250']);
    });

    it('timeout errors with TimeoutError when the source is silent for too long', () => {
      const { clock, scheduler } = setup();
      const source = new Subject<string>();
      const events: string[] = [];
      source.pipe(timeout({ each: 100, scheduler })).subscribe({
        next: (v) => events.push(`next ${v}@${clock.now()}`),
        error: (e) =>
          events.push(`${e instanceof TimeoutError ? 'timeout' : 'error'}@${clock.now()}`),
      });
      clock.advance(60);
      source.next('a');
      clock.advance(99);
      expect(events).toEqual(['next a@60']);
      clock.advance(1);
      expect(events).toEqual(['next a@60', 'timeout@160']);
    });

    it('timeout does not fire when the source completes in time, and leaves no timer behind', () => {
      const { clock, scheduler, wheel } = setup();
      const source = new Subject<number>();
      const events: string[] = [];
      source.pipe(timeout(100, scheduler)).subscribe({
        next: (v) => events.push(`next ${v}`),
        error: () => events.push('error'),
        complete: () => events.push('complete'),
      });
      clock.advance(50);
      source.next(1);
      source.complete();
      clock.advance(500);
      expect(events).toEqual(['next 1', 'complete']);
      expect(wheel.size).toBe(0);
    });

    it('debounceTime emits the last value after a quiet period', () => {
      const { clock, scheduler } = setup();
      const source = new Subject<string>();
      const seen: string[] = [];
      source.pipe(debounceTime(50, scheduler)).subscribe((v) => seen.push(`${v}@${clock.now()}`));
      source.next('a');
      clock.advance(30);
      source.next('b');
      clock.advance(30);
      source.next('c');
      clock.advance(49);
      expect(seen).toEqual([]);
      clock.advance(1);
      expect(seen).toEqual(['c@110']);
      source.next('d');
      clock.advance(50);
      expect(seen).toEqual(['c@110', 'd@160']);
    });

    it('delay shifts every value by the delay', () => {
      const { clock, scheduler } = setup();
      const source = new Subject<number>();
      const seen: string[] = [];
      source.pipe(delay(20, scheduler)).subscribe((v) => seen.push(`${v}@${clock.now()}`));
      source.next(1);
      clock.advance(5);
      source.next(2);
      clock.advance(100);
      expect(seen).toEqual(['1@20', '2@25']);
    });
  });

  // Issue #16 point 1: actions were unref'd, so `delay(500, timers.scheduler)` in a script let
  // Node exit before the value came (exit code 13 under a top-level await).
  describe('keep-alive', () => {
    it('holds the process open while an action is pending, as asyncScheduler does', () => {
      const { clock, scheduler } = setup();
      expect(scheduler.keepAlive).toBe(true);
      const values: number[] = [];
      of(42)
        .pipe(delay(500, scheduler))
        .subscribe((v) => values.push(v));
      expect(clock.keepAlive).toBe(true);
      clock.advance(500);
      expect(values).toEqual([42]);
      expect(clock.keepAlive).toBe(false);
    });

    it('releases the process when the pending action is cancelled', () => {
      const { clock, scheduler } = setup();
      const subscription = interval(100, scheduler).subscribe();
      clock.advance(250);
      expect(clock.keepAlive).toBe(true);
      subscription.unsubscribe();
      expect(clock.keepAlive).toBe(false);
    });

    it('with keepAlive: false, never holds the process open', () => {
      const clock = new VirtualClock();
      const scheduler = new WheelScheduler(new TimerWheel({ clock }), { keepAlive: false });
      const seen: number[] = [];
      interval(100, scheduler)
        .pipe(take(2))
        .subscribe((n) => seen.push(n));
      expect(clock.armedAlarms).toBe(1);
      expect(clock.keepAlive).toBe(false);
      clock.advance(200);
      expect(seen).toEqual([0, 1]);
    });
  });
});
