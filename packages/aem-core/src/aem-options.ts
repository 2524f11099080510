import type { BackendRequest } from './backend/backend';

/**
 * The runtime's explicit limits. Hitting one is a typed error at the place that hit it, never a
 * silent drop.
 */
export interface AemLimits {
  /**
   * Live (not closed) events in the runtime. A call over the limit throws
   * {@link EventLimitError}. Default 4,000,000.
   */
  readonly maxEvents: number;
  /**
   * Activations queued in the runtime (ready, waiting for a busy domain, or held by a stopped
   * event). `ctx.activate` over the limit throws {@link QueueFullError} with scope `runtime`.
   * Default 1,000,000.
   */
  readonly maxQueuedActivations: number;
  /**
   * Activations queued per domain, the default for every domain (an event's implicit domain
   * included). Over it, `ctx.activate` throws {@link QueueFullError} with scope `domain`.
   * Default 10,000.
   */
  readonly maxQueuePerDomain: number;
  /**
   * Activations the dispatcher runs before it yields to I/O with `setImmediate`. Not a limit on
   * work, a fairness knob: at roughly 30–100 ns an activation, the default of 8,192 bounds
   * the time I/O waits behind a backlog to about a millisecond.
   */
  readonly batchSize: number;
}

/** The default {@link AemLimits}. */
export const DEFAULT_LIMITS: AemLimits = Object.freeze({
  maxEvents: 4_000_000,
  maxQueuedActivations: 1_000_000,
  maxQueuePerDomain: 10_000,
  batchSize: 8_192,
});

/** Options of {@link createAem}. */
export interface AemOptions {
  /**
   * Backend to run on. `'auto'` (the default) picks `kmod` when `/dev/aem` is usable, else
   * `userspace`, and says why in `Aem.backendSelection`. `'kmod'` fails with
   * {@link BackendUnavailableError} when it cannot be used.
   */
  readonly backend?: BackendRequest;
  /** Overrides of {@link DEFAULT_LIMITS}; each must be a positive integer. */
  readonly limits?: Partial<AemLimits>;
}
