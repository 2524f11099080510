import { KernelTimerEngine } from './kernel-timer-engine';
import type { KernelTimers } from './kernel-timers';

/** Kernel timers in memory: what `openKernelTimers` does, without a kernel. */
function fakeKernel(): KernelTimers & { fire(id: number): void } {
  const handlers = new Map<number, (expirations: number) => void>();
  let next = 0;
  return {
    arm: (_initialMs, _intervalMs, onExpire) => {
      handlers.set(next, onExpire);
      return next++;
    },
    disarm: (id) => handlers.delete(id),
    get armed() {
      return handlers.size;
    },
    fire: (id) => handlers.get(id)?.(1),
  };
}

describe('KernelTimerEngine', () => {
  it('cancel returns false for a stale handle, as the wheel does', () => {
    const kernel = fakeKernel();
    const engine = new KernelTimerEngine(kernel, () => 0);
    const fired: number[] = [];
    const handle = engine.start(10, (arg: number) => void fired.push(arg), 7);
    kernel.fire(handle - 1);
    expect(fired).toEqual([7]);
    expect(kernel.armed).toBe(0);
    expect(engine.cancel(handle)).toBe(false); // the one-shot fired and released its event
    const periodic = engine.every(10, () => undefined, null, {});
    expect(engine.cancel(periodic)).toBe(true);
    expect(engine.cancel(periodic)).toBe(false);
  });
});
