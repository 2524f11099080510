/**
 * Soft timers provided by the kernel (the `aem_timers` module on hrtimers), offered by the
 * `kmod` backend to the timers service. Expirations come back through the backend's ring drain,
 * one batch per wake-up, and the service turns them into activations.
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
  /** Cancels a timer and releases its kernel event. Unknown ids are ignored. */
  disarm(id: number): void;
  /** Timers armed and not disarmed. */
  readonly armed: number;
}
