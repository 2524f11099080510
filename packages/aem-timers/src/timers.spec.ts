import {
  AbortedError,
  RuntimeClosedError,
  ServiceNotFoundError,
  createAem,
  type Aem,
} from '@aem/core';
import { debounceTime, firstValueFrom, Subject, take, toArray } from 'rxjs';
import { InvalidDelayError } from './errors/invalid-delay.error';
import { TimersError } from './errors/timers.error';
import { VirtualClock } from './testing/virtual-clock';
import type { TimerExpiration } from './timer-expiration';
import { Timers } from './timers';
import {
  TIMERS_SERVICE_NAME,
  TIMERS_SERVICE_VERSION,
  createTimersService,
  timersService,
} from './timers-service';

/** Lets the dispatcher deliver queued activations (microtasks and its setImmediate continuation). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Timers (the timers service)', () => {
  let runtime: Aem;
  let clock: VirtualClock;
  let timers: Timers;

  beforeEach(() => {
    clock = new VirtualClock(1000);
    runtime = createAem({ backend: 'userspace' });
    runtime.load(createTimersService({ clock }));
    timers = new Timers(runtime);
  });

  afterEach(() => runtime.close());

  describe('registration', () => {
    it('is the AEM service timers@1.0.0 with calls after and every', () => {
      expect(runtime.services()).toEqual([
        expect.objectContaining({
          name: TIMERS_SERVICE_NAME,
          version: TIMERS_SERVICE_VERSION,
          calls: ['after', 'every'],
        }),
      ]);
      expect(timers.binding.id).toBe('timers@1.0.0');
    });

    it('needs a loaded timers service, and Timers.load loads one only when missing', () => {
      const bare = createAem({ backend: 'userspace' });
      expect(() => new Timers(bare)).toThrow(ServiceNotFoundError);
      const a = Timers.load(bare);
      const b = Timers.load(bare);
      expect(bare.services()).toHaveLength(1);
      expect(a.wheel).toBe(b.wheel);
      bare.close();
    });

    it('Timers.from binds a loaded version, and loads the default one only when none is', () => {
      expect(Timers.from(runtime).wheel).toBe(timers.wheel); // the virtual-clock one, kept
      const bare = createAem({ backend: 'userspace' });
      const fresh = Timers.from(bare);
      expect(fresh.binding.id).toBe('timers@1.0.0');
      expect(Timers.from(bare).wheel).toBe(fresh.wheel);
      expect(() => Timers.from(bare, '^2')).toThrow(ServiceNotFoundError);
      bare.close();
    });

    it('timers default to keep-alive; keepAlive: false does not hold the process', async () => {
      const held = timers.after(100, () => undefined);
      expect(runtime.stats().keepAliveRefs).toBe(1);
      held.shutdown();
      timers.after(100, () => undefined, { keepAlive: false });
      expect(runtime.stats().keepAliveRefs).toBe(0);
    });

    it('unloading the service closes its wheel', async () => {
      const event = timers.after(100, () => undefined);
      expect(timers.wheel.size).toBe(1);
      await runtime.unload(TIMERS_SERVICE_NAME, TIMERS_SERVICE_VERSION, { force: true });
      expect(event.state).toBe('closed');
      expect(timers.wheel.size).toBe(0);
      expect(clock.armedAlarms).toBe(0);
    });

    it('the default definition is the same service on the real clock', () => {
      expect(timersService.name).toBe('timers');
      expect(timersService.version).toBe('1.0.0');
    });
  });

  describe('messages say what is wrong (issue #16)', () => {
    it('a period of 0 must be > 0, not "≥ 0"', () => {
      expect(() => timers.every(0, () => undefined)).toThrow(
        'args.ms must be a finite number of milliseconds > 0, got 0',
      );
      expect(() => timers.wheel.every(0, () => undefined)).toThrow(
        new InvalidDelayError('periodMs', 0, 'period'),
      );
    });

    it('a string delay is refused everywhere and named as a string', () => {
      expect(() => timers.after('100' as never, () => undefined)).toThrow(
        'args.ms must be a finite number of milliseconds ≥ 0, got the string "100"',
      );
      // Regression: the wheel compared '100' >= 0 (true) and armed a timer.
      let refused: unknown;
      try {
        timers.wheel.start('100' as never, () => undefined);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(TimersError);
      expect(timers.wheel.size).toBe(0);
    });

    it('after runtime.close(), a registration says the runtime is closed, not "bind again"', () => {
      runtime.close();
      expect(() => timers.after(10, () => undefined)).toThrow(RuntimeClosedError);
      expect(() => timers.after(10, () => undefined)).not.toThrow(/bind again/);
    });
  });

  describe('callback form', () => {
    it('after: one activation with expiration count and time, then the event closes', async () => {
      const seen: TimerExpiration[] = [];
      const event = timers.after(100, (expiration) => void seen.push(expiration));
      clock.advance(99);
      await flush();
      expect(seen).toEqual([]);
      clock.advance(1);
      await flush();
      expect(seen).toEqual([{ expirations: 1, count: 1, time: 1100 }]);
      expect(event.state).toBe('closed');
      expect(timers.wheel.size).toBe(0);
    });

    it('every: fixed-rate activations until shut down', async () => {
      const times: number[] = [];
      const event = timers.every(
        10,
        ({ time, count }) => void times.push(time - 1000 + count / 100),
      );
      clock.advance(35);
      await flush();
      expect(times).toEqual([10.01, 20.02, 30.03]);
      event.shutdown();
      clock.advance(100);
      await flush();
      expect(times).toHaveLength(3);
      expect(timers.wheel.size).toBe(0);
    });

    it('every honours firstDelayMs', async () => {
      const times: number[] = [];
      timers.every(10, ({ time }) => void times.push(time - 1000), { firstDelayMs: 1 });
      clock.advance(25);
      await flush();
      expect(times).toEqual([1, 11, 21]);
    });

    it('shutdown before the deadline cancels: no activation, no wheel timer', async () => {
      const seen: unknown[] = [];
      const event = timers.after(50, (e) => void seen.push(e));
      timers.cancel(event);
      expect(timers.wheel.size).toBe(0);
      clock.advance(100);
      await flush();
      expect(seen).toEqual([]);
      expect(event.closeReason).toBe('shutdown');
    });

    it('stop disarms; start re-arms from then with the full delay', async () => {
      const times: number[] = [];
      const event = timers.after(100, ({ time }) => void times.push(time - 1000));
      clock.advance(50);
      event.stop();
      expect(timers.wheel.size).toBe(0);
      clock.advance(500);
      event.start();
      clock.advance(99);
      await flush();
      expect(times).toEqual([]);
      clock.advance(1);
      await flush();
      expect(times).toEqual([650]);
    });

    it('refresh re-arms from now with the same delay', async () => {
      const times: number[] = [];
      const event = timers.after(100, ({ time }) => void times.push(time - 1000));
      clock.advance(60);
      expect(timers.refresh(event)).toBe(true);
      clock.advance(60);
      await flush();
      expect(times).toEqual([]);
      clock.advance(40);
      await flush();
      expect(times).toEqual([160]);
      expect(timers.refresh(event)).toBe(false);
    });

    it('reschedule sets a new delay, or a new period for a periodic timer', async () => {
      const once: number[] = [];
      const periodic: number[] = [];
      const a = timers.after(100, ({ time }) => void once.push(time - 1000));
      const b = timers.every(100, ({ time }) => void periodic.push(time - 1000));
      expect(timers.reschedule(a, 10)).toBe(true);
      expect(timers.reschedule(b, 30)).toBe(true);
      clock.advance(100);
      await flush();
      expect(once).toEqual([10]);
      expect(periodic).toEqual([30, 60, 90]);
      expect(() => timers.reschedule(b, 0)).toThrow(InvalidDelayError);
    });

    it('carries a periodic expiration refused by a full queue into the next activation, never loses it', async () => {
      const limited = createAem({ backend: 'userspace', limits: { maxQueuePerDomain: 1 } });
      limited.load(createTimersService({ clock }));
      const seen: [number, number][] = [];
      new Timers(limited).every(
        10,
        ({ expirations, count }) => void seen.push([expirations, count]),
      );
      clock.advance(10); // queued
      clock.advance(10); // refused: the domain queue holds 1
      await flush();
      clock.advance(10);
      await flush();
      expect(seen).toEqual([
        [1, 1],
        [2, 3],
      ]);
      limited.close();
    });

    it.each([[-1], [NaN], [Infinity], ['5' as unknown as number]])(
      'refuses a delay of %p with InvalidDelayError',
      (ms) => {
        expect(() => timers.after(ms, () => undefined)).toThrow(InvalidDelayError);
        expect(() => timers.every(ms, () => undefined)).toThrow(InvalidDelayError);
        expect(runtime.stats().liveEvents).toBe(0);
        expect(timers.wheel.size).toBe(0);
      },
    );
  });

  describe('Observable form', () => {
    it('timer emits one expiration and completes', async () => {
      const result = firstValueFrom(timers.timer(20).pipe(toArray()));
      clock.advance(20);
      await flush();
      expect(await result).toEqual([{ expirations: 1, count: 1, time: 1020 }]);
    });

    it('interval emits until unsubscribed, which cancels the wheel timer', async () => {
      const result = firstValueFrom(timers.interval(10).pipe(take(3), toArray()));
      for (let i = 0; i < 3; i++) {
        clock.advance(10);
        await flush();
      }
      expect((await result).map((e) => e.count)).toEqual([1, 2, 3]);
      expect(timers.wheel.size).toBe(0);
    });
  });

  describe('sleep', () => {
    it('resolves once the delay has passed', async () => {
      let done = false;
      const sleeping = timers.sleep(30).then(() => (done = true));
      clock.advance(29);
      await flush();
      expect(done).toBe(false);
      clock.advance(1);
      await sleeping;
      expect(done).toBe(true);
    });

    it('rejects with AbortedError when its signal aborts, and cancels its timer', async () => {
      const controller = new AbortController();
      const sleeping = timers.sleep(30, { signal: controller.signal });
      expect(timers.wheel.size).toBe(1);
      controller.abort();
      await expect(sleeping).rejects.toBeInstanceOf(AbortedError);
      expect(timers.wheel.size).toBe(0);
    });
  });

  describe('scheduler', () => {
    it('follows the same virtual clock as the service', () => {
      const source = new Subject<number>();
      const seen: string[] = [];
      source
        .pipe(debounceTime(40, timers.scheduler))
        .subscribe((v) => seen.push(`${v}@${clock.now()}`));
      source.next(1);
      clock.advance(20);
      source.next(2);
      clock.advance(40);
      expect(seen).toEqual(['2@1060']);
    });
  });

  describe('on the real clock', () => {
    it('sleep resolves and never before its deadline (a hard guarantee, not a timing measurement)', async () => {
      const real = createAem({ backend: 'userspace' });
      const realTimers = Timers.load(real);
      const started = real.backend.now();
      await realTimers.sleep(3);
      expect(real.backend.now() - started).toBeGreaterThanOrEqual(3);
      real.close();
    });
  });
});
