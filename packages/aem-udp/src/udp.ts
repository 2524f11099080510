import type { AemEvent, Aem, EventHandler, EventOptions, ServiceBinding } from '@aem/core';
import type { Observable } from 'rxjs';
import { UDP_SERVICE_NAME, udpService, type UdpServiceDefinition } from './udp-service';

/**
 * The client of the `udp` service on one runtime: publish events on a topic, and
 * receive them as callbacks, an Observable or a Promise.
 *
 * @example
 * ```ts
 * const client = Udp.load(runtime);
 * client.events('alarms').subscribe((event) => console.log(event));
 * client.publish('alarms', { severity: 'major' });
 * ```
 */
export class Udp {
  /** The binding to the service version this client uses. */
  readonly binding: ServiceBinding<UdpServiceDefinition>;

  /**
   * @param runtime - a runtime where the service is loaded.
   * @param range - semver range of the service version; default `^0.1.0`.
   */
  constructor(
    readonly runtime: Aem,
    range = '^0.1.0',
  ) {
    this.binding = runtime.bind<UdpServiceDefinition>(UDP_SERVICE_NAME, range);
  }

  /**
   * Loads the service into `runtime` unless a version is loaded, and returns a client.
   *
   * @param runtime - the runtime.
   */
  static load(runtime: Aem): Udp {
    if (!runtime.services().some((info) => info.name === UDP_SERVICE_NAME))
      runtime.load(udpService);
    return new Udp(runtime);
  }

  /**
   * Publishes `payload` on `topic`: one activation per registration of the topic.
   *
   * @returns the number of registrations activated.
   */
  publish(topic: string, payload: unknown): number {
    let activated = 0;
    for (const ctx of this.binding.state.subscribers.get(topic) ?? [])
      if (ctx.activate(payload)) activated++;
    return activated;
  }

  /** Callback form: `handler` runs for each event of `topic`. */
  on(topic: string, handler: EventHandler<unknown>, options?: EventOptions): AemEvent<unknown> {
    return this.binding.call('events', { topic }, handler, options);
  }

  /** Observable form: the events of `topic`; unsubscribing ends the registration. */
  events(topic: string): Observable<unknown> {
    return this.binding.observe('events', { topic });
  }

  /** Promise form: the next event of `topic`. */
  next(topic: string, signal?: AbortSignal): Promise<unknown> {
    return this.binding.once('events', { topic }, { signal });
  }
}
