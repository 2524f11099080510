import type { KernelTimers } from './kernel-timers';
import type { TimerEngine } from './timer-engine';
import type { TimerCallback, TimerHandle } from './timer-handle';

/**
 * The timers service's engine on the `kmod` backend: each timer event is a kernel hrtimer event
 * of `aem_timers.ko`; its expirations come back through the backend's ring drain (one batch per
 * wake-up) with the kernel's expiration count. A fired one-shot's kernel event is released at
 * once. Handles are kernel event ids plus one: the kernel may hand out id 0, which is
 * {@link NO_TIMER}.
 *
 * @internal
 */
export class KernelTimerEngine implements TimerEngine {
  constructor(
    private readonly kernel: KernelTimers,
    readonly now: () => number,
  ) {}

  start<A>(ms: number, callback: TimerCallback<A>, arg: A): TimerHandle {
    const kernel = this.kernel;
    const id: number = kernel.arm(ms, 0, (expirations) => {
      kernel.disarm(id);
      callback(arg, expirations, id + 1);
    });
    return id + 1;
  }

  every<A>(
    periodMs: number,
    callback: TimerCallback<A>,
    arg: A,
    options: { firstDelayMs?: number },
  ): TimerHandle {
    const id: number = this.kernel.arm(options.firstDelayMs ?? periodMs, periodMs, (expirations) =>
      callback(arg, expirations, id + 1),
    );
    return id + 1;
  }

  /** `false` for a stale handle (fired one-shot, cancelled), as on the wheel. */
  cancel(handle: TimerHandle): boolean {
    return this.kernel.disarm(handle - 1);
  }

  reschedule(): boolean {
    return false;
  }
}
