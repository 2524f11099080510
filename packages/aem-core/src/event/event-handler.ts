import type { AemEvent } from './aem-event';

/**
 * A handler: receives the activation's payload — everything it needs: the bytes, the
 * connection, the expiration count — and the event itself (its id, `context`, domain).
 * Returning a promise makes the handler async: the next activation of its domain waits for it.
 */
export type EventHandler<TPayload, TContext = unknown> = (
  payload: TPayload,
  event: AemEvent<TPayload, TContext>,
) => void | PromiseLike<void>;
