import type { Domain } from '../dispatch/domain';

/** The flags of an event (the original AEM's `EVF_*`). */
export interface EventFlags {
  /**
   * Close the event after its first activation is delivered (`EVF_ONESHOT`). Promise forms are
   * always one-shot.
   */
  readonly oneShot: boolean;
  /**
   * Hold the Node process open while the event is active (`EVF_KEEPALIVE`); other events do not
   * keep the process alive, like an `unref()`'d Node timer. Default `false` unless the call's
   * service sets another default (a timer defaults to `true`, as Node's timers do).
   */
  readonly keepAlive: boolean;
}

/** What to do with an event whose handler throws or rejects. */
export type HandlerErrorPolicy = 'continue' | 'shutdown';

/** Options of a service call, shared by its callback, Observable and Promise forms. */
export interface EventOptions<TContext = unknown> {
  /** Priority from `0` (lowest) to `7` (highest). Default `4`. */
  readonly priority?: number;
  /**
   * Serialization domain of the event's activations. Default: the event is its own domain, so
   * its own activations never overlap, but it does not wait for any other event.
   */
  readonly domain?: Domain;
  /** See {@link EventFlags.oneShot}. */
  readonly oneShot?: boolean;
  /** See {@link EventFlags.keepAlive}. */
  readonly keepAlive?: boolean;
  /** Data carried to the handler as `event.context`. */
  readonly context?: TContext;
  /**
   * On a handler failure the error always goes to `Aem.errors`; with `'shutdown'` the event
   * is also shut down. Default `'continue'`.
   */
  readonly onError?: HandlerErrorPolicy;
  /** Start the event at once (default `true`); with `false` it waits in state `idle` for `start()`. */
  readonly start?: boolean;
}
