import { Observable } from 'rxjs';
import { AbortedError } from '../errors/aborted.error';
import { EventClosedError } from '../errors/event-closed.error';
import type { AemEvent } from '../event/aem-event';
import type { EventHandler } from '../event/aem-event';
import type { EventOptions } from '../event/event-options';
import type { LoadedService } from './loaded-service';
import type { CallArgs, CallPayload, ServiceDefinition, ServiceState } from './service-definition';

/** Options of {@link ServiceBinding.once}: the event options plus an abort signal. */
export interface OnceOptions<TContext = unknown> extends Omit<
  EventOptions<TContext>,
  'oneShot' | 'start'
> {
  /** Aborting shuts the event down and rejects the promise with an {@link AbortedError}. */
  readonly signal?: AbortSignal;
}

/** Options of {@link ServiceBinding.observe}: the event options less those the subscription owns. */
export type ObserveOptions<TContext = unknown> = Omit<EventOptions<TContext>, 'start'>;

/**
 * A client's handle on one loaded version of a service, from {@link Aem.bind}. A binding keeps
 * the version it resolved: when a newer version is loaded later, this binding still creates
 * events on the old one (side by side, as the original AEM's modules did) until it is unloaded.
 *
 * Every call is available in three forms that share one registration model:
 * - {@link ServiceBinding.call}: a callback handler, returns the {@link AemEvent};
 * - {@link ServiceBinding.observe}: an RxJS `Observable` — subscribe registers and starts,
 *   unsubscribe shuts down;
 * - {@link ServiceBinding.once}: a Promise of the first activation (one-shot), with `AbortSignal`.
 *
 * @typeParam D - the service definition the client was compiled against (`typeof myService`);
 *   it types call names, arguments and payloads.
 */
export class ServiceBinding<D extends ServiceDefinition = ServiceDefinition> {
  /** @internal Bindings are made by {@link Aem.bind}. */
  constructor(private readonly loaded: LoadedService) {}

  /** Service name. */
  get name(): string {
    return this.loaded.definition.name;
  }

  /** The exact version this binding resolved to. */
  get version(): string {
    return this.loaded.definition.version;
  }

  /** `name@version`. */
  get id(): string {
    return this.loaded.serviceId;
  }

  /**
   * The per-runtime state the version's `setup` created in this runtime: how a service
   * package's own client (a facade such as `Timers` or `Tcp`) reaches its wheel, sockets or
   * counters without a registry of its own. Other code should treat it as the service's
   * internals.
   *
   * @example
   * ```ts
   * const { wheel } = runtime.bind(timersService).state;
   * ```
   */
  get state(): ServiceState<D> {
    return this.loaded.state as ServiceState<D>;
  }

  /** The definition of the version this binding resolved to. */
  get definition(): ServiceDefinition {
    return this.loaded.definition;
  }

  /**
   * Registers `handler` for the events of call `callName` — the original AEM's `aem_entry`.
   *
   * @example
   * ```ts
   * const event = channel.call('messages', { topic: 'alarms' }, (text, ev) => {
   *   console.log(`event ${ev.id} got ${text}`);
   * }, { priority: 6 });
   * // later
   * event.shutdown();
   * ```
   * @param callName - the call.
   * @param args - the call's arguments.
   * @param handler - runs for each activation, with the payload and the event.
   * @param options - priority, domain, flags, context, error policy, auto-start.
   * @returns the event, started unless `options.start === false`.
   * @throws whatever the call implementation throws for bad arguments, {@link EventLimitError},
   *   {@link ServiceUnloadedError}, {@link InvalidArgumentError}.
   */
  call<K extends keyof D['calls'] & string, TContext = unknown>(
    callName: K,
    args: CallArgs<D, K>,
    handler: EventHandler<CallPayload<D, K>, TContext>,
    options: EventOptions<TContext> = {},
  ): AemEvent<CallPayload<D, K>, TContext> {
    return this.loaded.register(callName, args, handler, options, false);
  }

  /**
   * The call as a cold `Observable`: each subscription registers and starts its own event,
   * emits its activations' payloads, completes when the event ends (one-shot fired, source
   * ended, runtime closed) and errors with a {@link SourceFailedError} when the source fails.
   * Unsubscribing shuts the event down.
   *
   * @example
   * ```ts
   * channel.observe('messages', { topic: 'alarms' })
   *   .pipe(take(3))
   *   .subscribe((text) => console.log(text));
   * ```
   */
  observe<K extends keyof D['calls'] & string>(
    callName: K,
    args: CallArgs<D, K>,
    options: ObserveOptions = {},
  ): Observable<CallPayload<D, K>> {
    return new Observable<CallPayload<D, K>>((subscriber) => {
      const event = this.loaded.register<CallPayload<D, K>, unknown>(
        callName,
        args,
        (payload) => subscriber.next(payload),
        { ...options, start: false },
        true,
      );
      event._onClose((reason, error) => {
        if (reason === 'source-failed' || reason === 'handler-failed') subscriber.error(error);
        else subscriber.complete();
      });
      event.start();
      return () => event.shutdown();
    });
  }

  /**
   * The first activation of call `callName` as a Promise. The event is one-shot; it resolves
   * with the payload, rejects with a {@link SourceFailedError} if the source fails, with an
   * {@link AbortedError} if `options.signal` aborts (the event is shut down first), and with an
   * {@link EventClosedError} if the event closes without an activation (shut down, runtime
   * closed, source ended).
   *
   * @example
   * ```ts
   * const controller = new AbortController();
   * const text = await channel.once('messages', { topic: 'alarms' }, { signal: controller.signal });
   * ```
   */
  once<K extends keyof D['calls'] & string>(
    callName: K,
    args: CallArgs<D, K>,
    options: OnceOptions = {},
  ): Promise<CallPayload<D, K>> {
    const { signal, ...eventOptions } = options;
    return new Promise<CallPayload<D, K>>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new AbortedError(undefined, signal.reason));
        return;
      }
      const event = this.loaded.register<CallPayload<D, K>, unknown>(
        callName,
        args,
        (payload) => resolve(payload),
        { ...eventOptions, oneShot: true, start: false },
        true,
      );
      const onAbort = (): void =>
        event._close('aborted', new AbortedError(event.id, signal?.reason));
      event._onClose((reason, error) => {
        signal?.removeEventListener('abort', onAbort);
        if (reason === 'one-shot') return;
        reject(
          error ?? new EventClosedError(event.id, `deliver an activation (closed: ${reason})`),
        );
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      event.start();
    });
  }
}
