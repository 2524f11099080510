import { InvalidArgumentError, type ServiceHost } from '@aem/core';
import { openKernelUdp } from './kernel-udp';
import { batchTransport } from './batch-transport';
import { openMmsgUdp, type MmsgBinding } from './mmsg-udp';
import { nodeTransport } from './node-transport';
import type { UdpTransport } from './transport';

/** The environment variable that picks the userspace transport. */
export const TRANSPORT_VARIABLE = 'AEM_UDP_TRANSPORT';

/**
 * The userspace batch binding, or why it cannot be used: it ships with `@aem/kmod` (an optional
 * peer), prebuilt for linux-x64.
 */
function loadMmsg(): { binding: MmsgBinding } | { reason: string; installed: boolean } {
  if (process.platform !== 'linux') {
    return { reason: `recvmmsg is Linux's; this is ${process.platform}`, installed: false };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require('@aem/kmod/binding') as Partial<MmsgBinding>;
    if (typeof binding.UdpBatch !== 'function' || binding.sock === undefined) {
      return { reason: 'the installed @aem/kmod binding predates UdpBatch', installed: true };
    }
    return { binding: binding as MmsgBinding };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const installed = !(code === 'MODULE_NOT_FOUND' && message.includes("'@aem/kmod/binding'"));
    return { reason: `@aem/kmod/binding cannot be loaded: ${message}`, installed };
  }
}

/** What loading the binding gave: found once per process (a failed load is not retried). */
let mmsgOutcome: ReturnType<typeof loadMmsg> | undefined;

/**
 * The transport of a runtime's UDP service: the kernel's (`aem_udp.ko`) when the kmod
 * backend's channel finds it; else `recvmmsg`/`sendmmsg` through `@aem/kmod/binding` when it
 * loads (`mmsg`); else `node:dgram`. `AEM_UDP_TRANSPORT=node` keeps `node:dgram`, and
 * `AEM_UDP_TRANSPORT=mmsg` requires the binding (an error says why it cannot load).
 *
 * @throws {@link @aem/core!InvalidArgumentError} for another `AEM_UDP_TRANSPORT`, or `mmsg`
 *   without the binding.
 * @internal
 */
export function selectTransport(host: ServiceHost): UdpTransport {
  const kernel =
    host.backend.kernel === undefined
      ? undefined
      : openKernelUdp(host.backend.kernel, host.backend);
  if (kernel !== undefined) return batchTransport(kernel, 'kernel');
  const wanted = process.env[TRANSPORT_VARIABLE];
  if (wanted !== undefined && wanted !== '' && wanted !== 'node' && wanted !== 'mmsg') {
    throw new InvalidArgumentError(TRANSPORT_VARIABLE, "'node', 'mmsg' or unset", wanted);
  }
  if (wanted === 'node') return nodeTransport;
  const first = mmsgOutcome === undefined;
  const mmsg = (mmsgOutcome ??= loadMmsg());
  if ('binding' in mmsg) return batchTransport(openMmsgUdp(mmsg.binding), 'mmsg');
  if (wanted === 'mmsg') {
    throw new InvalidArgumentError(
      TRANSPORT_VARIABLE,
      `a transport that can load (${mmsg.reason})`,
      wanted,
    );
  }
  if (mmsg.installed && first) {
    // Installed but unusable (not built for this platform, an old build): say so once.
    process.emitWarning(`@aem/udp uses node:dgram: ${mmsg.reason}`, { type: 'AemWarning' });
  }
  return nodeTransport;
}
