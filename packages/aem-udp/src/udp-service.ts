import {
  defineCall,
  defineService,
  InvalidArgumentError,
  resolveLimits,
  type CallSpec,
  type ServiceDefinition,
} from '@aem/core';
import { DEFAULT_UDP_LIMITS, type UdpServiceOptions } from './udp-limits';
import { UdpServiceState } from './udp-service-state';
import { UdpSocket, type Datagram } from './udp-socket';
import { selectTransport } from './transport/select-transport';

/** Name under which the UDP service registers with `@aem/core`. */
export const UDP_SERVICE_NAME = 'udp';
/** Version of the UDP service this package defines. */
export const UDP_SERVICE_VERSION = '1.0.0';

/** Arguments of the `datagrams` call: the socket whose datagrams to report. */
export interface DatagramsArgs {
  /** The socket. */
  readonly socket: UdpSocket;
}

/** The calls of the UDP service. */
export type UdpCalls = {
  /** Received datagrams of a socket, each in its socket's domain or its per-key domain. */
  readonly datagrams: CallSpec<UdpServiceState, DatagramsArgs, Datagram>;
};

/** The UDP service's definition type. */
export type UdpServiceDefinition = ServiceDefinition<UdpServiceState, UdpCalls>;

/**
 * Creates the UDP service definition (`udp@1.0.0`) with service-wide options. Most programs use
 * {@link udpService} (the defaults) through {@link Udp.from}.
 *
 * Its one call, `datagrams`, is a registration of interest on a socket the service owns — the
 * original AEM's `aem-ip` attaching to a socket. Sockets are bound through the {@link Udp}
 * facade.
 *
 * @example
 * ```ts
 * const runtime = createAem();
 * runtime.load(createUdpService({ limits: { maxQueuedDatagrams: 65_536 } }));
 * const udp = Udp.from(runtime);
 * ```
 * @throws {@link @aem/core!InvalidArgumentError} for an unknown or non-positive limit.
 */
export function createUdpService(options: UdpServiceOptions = {}): UdpServiceDefinition {
  const limits = resolveLimits(DEFAULT_UDP_LIMITS, options.limits, 'options.limits');
  return defineService({
    name: UDP_SERVICE_NAME,
    version: UDP_SERVICE_VERSION,
    description: 'asynchronous UDP: datagrams as events, batched sends, per-key domains',
    setup(host) {
      return new UdpServiceState(host.id, limits, selectTransport(host), (name) =>
        host.createDomain(name),
      );
    },
    teardown(state) {
      state.destroyAll();
    },
    calls: {
      datagrams: defineCall<DatagramsArgs, Datagram, UdpServiceState>((ctx, args) => {
        const socket = args?.socket;
        if (!(socket instanceof UdpSocket))
          throw new InvalidArgumentError('args.socket', 'a UdpSocket', socket);
        return socket._attach(ctx);
      }),
    },
  });
}

/** The UDP service with default options. */
export const udpService: UdpServiceDefinition = createUdpService();
