import type { Domain } from '../dispatch/domain';
import { GATE_DISCARD } from '../dispatch/dispatch-target';
import type { Dispatcher } from '../dispatch/dispatcher';
import { SourceFailedError } from '../errors/source-failed.error';
import type { AemEvent, EventHost } from './aem-event';

/**
 * What a service's call implementation receives: the event it is producing activations for,
 * and the means to produce them. The original AEM's activation point.
 *
 * @typeParam TPayload - what each activation carries.
 */
export interface CallContext<TPayload> {
  /** The event being served (read its `id`, `flags`, `state`, `context`). */
  readonly event: AemEvent<TPayload>;
  /**
   * Queues one activation carrying `payload`; it runs in `domain` if given (a listener's
   * accept activation can run in the new connection's domain), else in the event's domain.
   * Never runs the handler synchronously.
   *
   * @returns `true` when queued; `false` when the event is closed (release your resources).
   * @throws {@link QueueFullError} when a queue limit is reached; nothing was queued — pause the
   *   source or account for the overrun, never drop silently.
   */
  activate(payload: TPayload, domain?: Domain): boolean;
  /**
   * Says the source will produce no more activations: the event closes with reason `ended`
   * once every activation queued before this call was delivered, whatever domain it runs in
   * (at once when none is pending).
   */
  end(): void;
  /**
   * Says the source failed: the event closes at once with reason `source-failed`, its
   * Observable form errors and its promise form rejects with a {@link SourceFailedError}.
   */
  fail(error: unknown): void;
  /** The backend's monotonic clock, in milliseconds. */
  now(): number;
}

/** @internal The one implementation of {@link CallContext}. */
export class EventSink<TPayload> implements CallContext<TPayload> {
  /**
   * @param failuresObserved - true when a form (Observable, Promise) delivers source failures
   *   itself; otherwise they go to `Aem.errors`, so a callback-form failure is never unseen.
   */
  private readonly dispatcher: Dispatcher;

  constructor(
    readonly event: AemEvent<TPayload>,
    private readonly host: EventHost,
    private readonly failuresObserved: boolean,
  ) {
    this.dispatcher = host.dispatcher;
  }

  activate(payload: TPayload, domain?: Domain): boolean {
    const event = this.event;
    if (event._gate === GATE_DISCARD) return false;
    this.dispatcher.enqueue(event, payload, domain ?? event._domain, event.id);
    return true;
  }

  end(): void {
    const event = this.event;
    if (event.state === 'closed') return;
    if (event._pending === 0) {
      event._close('ended', undefined);
    } else {
      event._closesOnDelivery = true;
    }
  }

  fail(error: unknown): void {
    const event = this.event;
    if (event.state === 'closed') return;
    const failure = new SourceFailedError(event.id, event.service, event.call, error);
    if (!this.failuresObserved) this.host.reportError(failure);
    event._close('source-failed', failure);
  }

  now(): number {
    return this.host.backend.now();
  }
}
