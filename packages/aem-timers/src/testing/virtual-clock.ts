import type { ClockAlarm, TimerClock } from '../timer-clock';

/**
 * A clock that only moves when told to: tests advance it and every wheel, scheduler and timers
 * service built on it fires deterministically, synchronously inside {@link VirtualClock.advance}.
 *
 * Alarms due within an advance fire in due-time order (ties in the order they were set), with
 * `now()` equal to their due time, so a timer's callback sees the time it was due.
 *
 * @example
 * ```ts
 * import { TimerWheel } from '@aem/timers';
 * import { VirtualClock } from '@aem/timers/testing';
 *
 * const clock = new VirtualClock();
 * const wheel = new TimerWheel({ clock });
 * wheel.start(100, () => console.log('fired at', clock.now()));
 * clock.advance(99);  // nothing
 * clock.advance(1);   // fired at 100
 * ```
 */
export class VirtualClock implements TimerClock {
  private time: number;
  private readonly alarms = new Set<VirtualAlarm>();
  private sequence = 0;

  /** @param start - the initial time in ms (default 0). */
  constructor(start = 0) {
    this.time = start;
  }

  /** @inheritDoc */
  now(): number {
    return this.time;
  }

  /** @inheritDoc */
  createAlarm(listener: () => void): ClockAlarm {
    const alarm = new VirtualAlarm(listener, this);
    this.alarms.add(alarm);
    return alarm;
  }

  /** Number of armed alarms. */
  get armedAlarms(): number {
    let count = 0;
    for (const alarm of this.alarms) if (alarm.armedAt !== undefined) count++;
    return count;
  }

  /** True when an armed alarm holds the (virtual) process open. */
  get keepAlive(): boolean {
    for (const alarm of this.alarms)
      if (alarm.armedAt !== undefined && alarm.keepAliveFlag) return true;
    return false;
  }

  /**
   * Moves time forward by `ms`, firing every alarm that falls due on the way.
   *
   * @param ms - a finite number ≥ 0.
   * @throws RangeError for a negative or non-finite `ms`.
   */
  advance(ms: number): void {
    if (!(ms >= 0 && ms < Infinity))
      throw new RangeError(`advance(ms) needs a finite ms ≥ 0, got ${ms}`);
    this.advanceTo(this.time + ms);
  }

  /**
   * Moves time forward to `time` (no-op when it is in the past), firing due alarms on the way.
   *
   * @param time - the target clock time in ms.
   */
  advanceTo(time: number): void {
    for (;;) {
      const next = this.nextAlarm();
      if (next === undefined || (next.armedAt as number) > time) break;
      if ((next.armedAt as number) > this.time) this.time = next.armedAt as number;
      next.fire();
    }
    if (time > this.time) this.time = time;
  }

  /**
   * Advances to each next alarm until none is armed, at most `maxSteps` times.
   *
   * @returns the number of alarms fired.
   */
  runAll(maxSteps = 100_000): number {
    let steps = 0;
    for (; steps < maxSteps; steps++) {
      const next = this.nextAlarm();
      if (next === undefined) break;
      if ((next.armedAt as number) > this.time) this.time = next.armedAt as number;
      next.fire();
    }
    return steps;
  }

  /** @internal */
  _nextSequence(): number {
    return ++this.sequence;
  }

  private nextAlarm(): VirtualAlarm | undefined {
    let best: VirtualAlarm | undefined;
    for (const alarm of this.alarms) {
      const at = alarm.armedAt;
      if (at === undefined) continue;
      if (
        best === undefined ||
        at < (best.armedAt as number) ||
        (at === best.armedAt && alarm.sequence < best.sequence)
      ) {
        best = alarm;
      }
    }
    return best;
  }
}

/** An alarm of a {@link VirtualClock}. */
class VirtualAlarm implements ClockAlarm {
  armedAt: number | undefined = undefined;
  keepAliveFlag = false;
  sequence = 0;

  constructor(
    private readonly listener: () => void,
    private readonly clock: VirtualClock,
  ) {}

  set(at: number, keepAlive: boolean): void {
    this.armedAt = at;
    this.keepAliveFlag = keepAlive;
    this.sequence = this.clock._nextSequence();
  }

  setKeepAlive(keepAlive: boolean): void {
    this.keepAliveFlag = keepAlive;
  }

  clear(): void {
    this.armedAt = undefined;
  }

  fire(): void {
    this.armedAt = undefined;
    this.listener();
  }
}
