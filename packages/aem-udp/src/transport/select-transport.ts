import type { ServiceHost } from '@aem/core';
import { openKernelUdp } from './kernel-udp';
import { kmodTransport } from './kmod-transport';
import { nodeTransport } from './node-transport';
import type { UdpTransport } from './transport';

/**
 * The transport of a runtime's UDP service: the kernel's (`aem_udp.ko`) when the kmod
 * backend's channel finds it, else `node:dgram`.
 *
 * @internal
 */
export function selectTransport(host: ServiceHost): UdpTransport {
  const kernel =
    host.backend.kernel === undefined
      ? undefined
      : openKernelUdp(host.backend.kernel, host.backend);
  return kernel === undefined ? nodeTransport : kmodTransport(kernel);
}
