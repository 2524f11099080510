import type { Aem } from '@aem/core';
import { Tcp } from '@aem/tcp';
import { Udp } from '@aem/udp';
import { KernelTransportMissingError } from './kernel-transport-missing.error';

/**
 * Checks that a kmod runtime serves both of SIP's plain transports from the kernel: UDP through
 * `aem_udp.ko` and TCP through `aem_tcp.ko`. The kmod backend itself falls back to Node's sockets
 * for a service whose module is missing; sip-uas on `SIP_BACKEND=kmod` must not, so it calls this
 * before serving. (TLS runs over `node:tls` on either backend by design; it is not checked.)
 *
 * @param runtime - the application's runtime, on the kmod backend.
 * @throws {@link KernelTransportMissingError} naming every missing module.
 */
export function requireKernelTransports(runtime: Aem): void {
  const missing: ('udp' | 'tcp')[] = [];
  if (Udp.from(runtime).transport !== 'kernel') missing.push('udp');
  if (Tcp.from(runtime).transport !== 'kernel') missing.push('tcp');
  if (missing.length > 0) throw new KernelTransportMissingError(missing);
}
