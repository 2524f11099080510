import { InvalidArgumentError } from '@aem/core';
import { NodeClock } from './node-clock';
import { TimerWheel } from './timing-wheel';

// The real clock: these tests assert what is guaranteed (an alarm fires, never before its time;
// a cleared alarm never fires), never how late it is.
describe('NodeClock', () => {
  const waitFor = (clock: NodeClock, at: number, keepAlive = true) =>
    new Promise<number>((resolve) =>
      clock.createAlarm(() => resolve(clock.now())).set(at, keepAlive),
    );

  it('fires an alarm no earlier than its time', async () => {
    const clock = new NodeClock();
    const at = clock.now() + 5.5;
    expect(await waitFor(clock, at)).toBeGreaterThanOrEqual(at);
  });

  it('fires an alarm set in the past on the next loop turn', async () => {
    const clock = new NodeClock();
    const at = clock.now() - 10;
    expect(await waitFor(clock, at)).toBeGreaterThanOrEqual(at);
  });

  it('never fires a cleared alarm, and re-setting replaces the time', async () => {
    const clock = new NodeClock();
    const fired: string[] = [];
    const alarm = clock.createAlarm(() => fired.push('fired'));
    alarm.set(clock.now() + 1, true);
    alarm.clear();
    expect(alarm.armedAt).toBeUndefined();
    const at = clock.now() + 3;
    alarm.set(clock.now() + 1000, true);
    alarm.set(at, true);
    await waitFor(clock, at + 5);
    expect(fired).toEqual(['fired']);
  });

  it('with spinMs, still never fires early', async () => {
    const clock = new NodeClock({ spinMs: 1 });
    const at = clock.now() + 4.25;
    expect(await waitFor(clock, at)).toBeGreaterThanOrEqual(at);
  });

  it('uses the given time source', () => {
    expect(new NodeClock({ now: () => 42 }).now()).toBe(42);
  });

  it('refuses a bad spinMs', () => {
    expect(() => new NodeClock({ spinMs: -1 })).toThrow(InvalidArgumentError);
  });

  it('drives a wheel: timers fire no earlier than their deadline', async () => {
    const wheel = new TimerWheel({ clock: new NodeClock() });
    const results = await Promise.all(
      [0, 1, 2.5, 7].map(
        (delay) =>
          new Promise<[number, number]>((resolve) => {
            const deadline = wheel.now() + delay;
            wheel.start(delay, () => resolve([deadline, wheel.now()]), undefined, true);
          }),
      ),
    );
    for (const [deadline, firedAt] of results) expect(firedAt).toBeGreaterThanOrEqual(deadline);
    expect(wheel.size).toBe(0);
  });
});
