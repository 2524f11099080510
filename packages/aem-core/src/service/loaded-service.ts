import type { Backend } from '../backend/backend';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { AemError } from '../errors/aem.error';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import { RuntimeClosedError } from '../errors/runtime-closed.error';
import { ServiceUnloadedError } from '../errors/service-unloaded.error';
import { AemEvent } from '../event/aem-event';
import { EventSink } from '../event/call-context';
import type { EventHandler } from '../event/aem-event';
import type { EventHost } from '../event/aem-event';
import { DEFAULT_PRIORITY } from '../dispatch/priority';
import type { EventOptions } from '../event/event-options';
import type { ServiceDefinition } from './service-definition';

/** What a loaded service needs from its runtime. @internal */
export interface ServiceRuntime {
  readonly dispatcher: Dispatcher;
  readonly backend: Backend;
  readonly maxQueuePerDomain: number;
  /** True once the runtime is closed: registrations then fail with `RuntimeClosedError`. */
  readonly closed: boolean;
  reportError(error: AemError): void;
  /** Reserves one live-event slot; throws an `EventLimitError` over the limit. */
  reserveEvent(service: string, call: string): number;
  /** Frees one live-event slot. */
  releaseEvent(): void;
}

/**
 * One `name@version` loaded in one runtime: the definition, its per-runtime state and its live
 * events. It is the host of those events, which is how an event finds the dispatcher, the
 * backend and the error stream without a pointer to the whole runtime.
 *
 * @internal
 */
export class LoadedService implements EventHost {
  /** Events of this version that are not closed. */
  readonly live = new Set<AemEvent>();
  /** `loaded` → `draining` (unload waiting for live events) → `unloaded`. */
  status: 'loaded' | 'draining' | 'unloaded' = 'loaded';
  readonly serviceId: string;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly definition: ServiceDefinition,
    readonly state: unknown,
    private readonly runtime: ServiceRuntime,
  ) {
    this.serviceId = `${definition.name}@${definition.version}`;
  }

  get dispatcher(): Dispatcher {
    return this.runtime.dispatcher;
  }

  get backend(): Backend {
    return this.runtime.backend;
  }

  reportError(error: AemError): void {
    this.runtime.reportError(error);
  }

  eventClosed(event: AemEvent): void {
    if (!this.live.delete(event)) return;
    this.runtime.releaseEvent();
    if (this.live.size === 0 && this.status === 'draining') {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when the last live event has closed. */
  whenEmpty(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Registers an event through call `callName`: the core of every form (callback, Observable,
   * Promise). The event is created idle, handed to the call implementation, then started unless
   * `options.start === false`.
   */
  register<P, C>(
    callName: string,
    args: unknown,
    handler: EventHandler<P, C>,
    options: EventOptions<C>,
    failuresObserved: boolean,
  ): AemEvent<P, C> {
    // After `Aem.close()` every version is unloaded, but binding again cannot help: say so.
    if (this.runtime.closed) throw new RuntimeClosedError(`register an event of ${this.serviceId}`);
    if (this.status !== 'loaded') throw new ServiceUnloadedError(this.serviceId, this.status);
    const calls = this.definition.calls;
    const spec = Object.prototype.hasOwnProperty.call(calls, callName)
      ? calls[callName]
      : undefined;
    if (spec === undefined) {
      throw new InvalidArgumentError(
        `call of ${this.serviceId}`,
        `one of ${Object.keys(calls).join(', ')}`,
        callName,
      );
    }
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler', 'a function', handler);
    }
    const defaults = spec.defaults ?? {};
    const id = this.runtime.reserveEvent(this.serviceId, callName);
    let event: AemEvent<P, C>;
    try {
      event = new AemEvent<P, C>(
        id,
        callName,
        handler,
        Object.freeze({
          oneShot: options.oneShot ?? defaults.oneShot ?? false,
          keepAlive: options.keepAlive ?? defaults.keepAlive ?? false,
        }),
        options.priority ?? DEFAULT_PRIORITY,
        options.domain,
        options.context as C,
        options.onError ?? 'continue',
        this,
        this.runtime.maxQueuePerDomain,
      );
    } catch (error) {
      this.runtime.releaseEvent();
      throw error;
    }
    this.live.add(event as AemEvent);
    const sink = new EventSink<P>(event as AemEvent<P>, this, failuresObserved);
    try {
      event._attach(spec.run(sink, args, this.state));
    } catch (error) {
      event._close('source-failed', error);
      throw error;
    }
    if (options.start !== false && event.state === 'idle') event.start();
    return event;
  }
}
