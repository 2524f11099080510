import type { Backend } from '../backend/backend';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { AemError } from '../errors/aem.error';
import type { AemEvent } from './aem-event';

/**
 * What an event needs from the runtime that owns it. Implemented by the runtime's registry
 * entry for the event's service version.
 *
 * @internal
 */
export interface EventHost {
  readonly dispatcher: Dispatcher;
  readonly backend: Backend;
  /** `name@version` of the service. */
  readonly serviceId: string;
  /** Sends a failure to `Aem.errors`. */
  reportError(error: AemError): void;
  /** Called once when an event closes, after its source was released. */
  eventClosed(event: AemEvent): void;
}
