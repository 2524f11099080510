import type { KernelChannel, KernelService } from '@aem/core';

/** Name and version of the kernel timers service (`aem_timers.ko`) this package binds. */
const KERNEL_TIMERS = { name: 'timers', version: '1.0.0' } as const;
/** Record type of the kernel timers service (`AEM_REC_TIMER`). */
const REC_TIMER = 1;
/** `AEM_TIMER_CALL_CREATE`, relative to the service's first call. */
const CALL_CREATE = 0;
/** `sizeof(struct aem_timer_args)`: `initial_ns`, `interval_ns` (u64), `flags`, `reserved` (u32). */
const TIMER_ARGS_SIZE = 24;
const NS_PER_MS = 1_000_000;

/**
 * Soft timers in the kernel (the `aem_timers` module on hrtimers), reached through the kmod
 * backend's generic {@link KernelChannel}. This file owns the service's formats: the argument of
 * its create call (`struct aem_timer_args`) and its record (`struct aem_timer_record`: the
 * expiration count in `word0`, the time in `word1`).
 *
 * @internal
 */
export interface KernelTimers {
  /**
   * Arms a kernel timer: first expiry after `initialMs`, then every `intervalMs` (0 for a
   * one-shot). `onExpire(expirations)` runs once per ring record, with the number of expiries
   * the record covers (the kernel coalesces them when the ring is full, never drops them).
   *
   * @returns the kernel event id, for {@link KernelTimers.disarm}.
   */
  arm(initialMs: number, intervalMs: number, onExpire: (expirations: number) => void): number;
  /**
   * Cancels a timer and releases its kernel event.
   *
   * @returns `false` for an id that is not armed (already fired and released, or cancelled).
   */
  disarm(id: number): boolean;
  /** Timers armed and not disarmed. */
  readonly armed: number;
}

/**
 * Binds the kernel timers service through `kernel`.
 *
 * @returns `undefined` when `aem_timers.ko` is not loaded.
 * @internal
 */
export function openKernelTimers(kernel: KernelChannel): KernelTimers | undefined {
  const service: KernelService | undefined = kernel.lookup(
    KERNEL_TIMERS.name,
    KERNEL_TIMERS.version,
  );
  if (service === undefined) return undefined;
  const handlers = new Map<number, (expirations: number) => void>();
  service.receive(REC_TIMER, (batch, i) => {
    const { fields, eventId, word0 } = batch.layout;
    const at = i * fields;
    handlers.get(batch.records[at + eventId])?.(batch.records[at + word0]);
    return i + 1;
  });
  const args = new Uint8Array(TIMER_ARGS_SIZE);
  const view = new DataView(args.buffer);
  return {
    arm(initialMs, intervalMs, onExpire) {
      view.setBigUint64(0, BigInt(Math.max(1, Math.round(initialMs * NS_PER_MS))), true);
      view.setBigUint64(8, BigInt(Math.round(intervalMs * NS_PER_MS)), true);
      const id = service.attach(CALL_CREATE, args);
      handlers.set(id, onExpire);
      return id;
    },
    disarm(id) {
      if (!handlers.delete(id)) return false;
      service.detach(id);
      return true;
    },
    get armed(): number {
      return handlers.size;
    },
  };
}
