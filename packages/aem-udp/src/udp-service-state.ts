import type { Domain } from '@aem/core';
import type { UdpLimits } from './udp-limits';
import type { UdpTransport } from './transport/transport';

/**
 * What the state needs of a socket it owns (a `UdpSocket`; named by its shape, so this file
 * does not import the socket, which uses the state).
 *
 * @internal
 */
export interface OwnedSocket {
  /** Closes the socket now: registrations end, the outbox is sent, the transport closes. */
  _destroy(): void;
}

/**
 * Everything one loaded version of the UDP service owns in one runtime: its sockets, where
 * they come from, and the service-wide limits. `teardown` destroys every socket, so unloading
 * the service (or closing the runtime) leaves none open.
 *
 * It is the service's per-runtime state (the `TState` of its definition), which the core hands
 * to the {@link Udp} facade through the binding; applications do not use it directly.
 */
export class UdpServiceState {
  /** @internal */
  readonly sockets = new Set<OwnedSocket>();
  /** True once the service version was unloaded (or its runtime closed): no more sockets. */
  unloaded = false;

  /** @internal */
  constructor(
    /** `name@version` of the service version owning this state. */
    readonly serviceId: string,
    /** The limits of every socket, before a socket's own overrides. */
    readonly limits: UdpLimits,
    /** @internal Where the sockets come from: `node:dgram`, or the kernel on the kmod backend. */
    readonly transport: UdpTransport,
    /** @internal Creates a domain in the runtime (a socket's, or one per key). */
    readonly createDomain: (name: string) => Domain,
  ) {}

  /** Destroys every socket (service unload or runtime close). @internal */
  destroyAll(): void {
    this.unloaded = true;
    for (const socket of [...this.sockets]) socket._destroy();
  }
}
