import type { TimerCallback, TimerHandle } from './timer-handle';

/**
 * Where the timers service arms the timers of its events: its own {@link TimerWheel} on the
 * `userspace` backend, the kernel's hrtimers on the `kmod` backend ({@link KernelTimerEngine}).
 *
 * @internal
 */
export interface TimerEngine {
  start<A>(ms: number, callback: TimerCallback<A>, arg: A): TimerHandle;
  every<A>(
    periodMs: number,
    callback: TimerCallback<A>,
    arg: A,
    options: { firstDelayMs?: number },
  ): TimerHandle;
  cancel(handle: TimerHandle): boolean;
  /** Moves a pending one-shot timer in place; `false` when it cannot (then it is re-armed). */
  reschedule(handle: TimerHandle, ms: number): boolean;
  now(): number;
}
