/**
 * Lifecycle of an event:
 *
 * ```
 *  idle ──start()──▶ active ◀──start()── stopped
 *    │                 │  └────stop()────▶  │
 *    └──────────────── ┴──shutdown()/end────┴──▶ closed
 * ```
 *
 * - `idle`: registered with `start: false`; activations that arrive are held.
 * - `active`: activations are delivered to the handler.
 * - `stopped`: the source was told to stop; activations that still arrive are held (never
 *   lost) and delivered after `start()`.
 * - `closed`: final; the source was released and pending activations discarded.
 */
export type EventState = 'idle' | 'active' | 'stopped' | 'closed';

/**
 * Why an event closed.
 *
 * - `shutdown`: `event.shutdown()`, or an Observable form was unsubscribed.
 * - `one-shot`: a one-shot event delivered its activation.
 * - `ended`: the source said it will produce no more (`ctx.end()`) and everything queued ran.
 * - `source-failed`: the source failed (`ctx.fail(error)`); see {@link SourceFailedError}.
 * - `handler-failed`: the handler failed and the event's policy is `'shutdown'`.
 * - `aborted`: the promise form's `AbortSignal` fired.
 * - `unloaded`: the runtime closed (or force-unloaded the service).
 */
export type EventCloseReason =
  'shutdown' | 'one-shot' | 'ended' | 'source-failed' | 'handler-failed' | 'aborted' | 'unloaded';
