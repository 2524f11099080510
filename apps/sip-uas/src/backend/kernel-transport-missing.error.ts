/**
 * `SIP_BACKEND=kmod` was asked for and `/dev/aem` opened, but a socket module is not loaded: the
 * kmod backend would then serve that transport from Node (`node:dgram`, `node:net`), which is
 * not what was asked for, so sip-uas refuses to start instead.
 *
 * @example
 * ```ts
 * throw new KernelTransportMissingError(['udp']);
 * // SIP_BACKEND=kmod needs aem_udp.ko loaded (udp would run on node:dgram): …
 * ```
 */
export class KernelTransportMissingError extends Error {
  /** Stable code for logs and tests. */
  readonly code = 'SIP_KERNEL_TRANSPORT_MISSING';

  /** @param missing - the transports without their kernel module. */
  constructor(readonly missing: readonly ('udp' | 'tcp')[]) {
    const modules = missing.map((transport) => `aem_${transport}.ko`).join(' and ');
    const fallbacks = missing
      .map(
        (transport) =>
          `${transport} would run on ${transport === 'udp' ? 'node:dgram' : 'node:net'}`,
      )
      .join(', ');
    super(
      `SIP_BACKEND=kmod needs ${modules} loaded (${fallbacks}): load the modules ` +
        '(`aem-kmod load`, see @aem/kmod) or set SIP_BACKEND=userspace',
    );
    this.name = 'KernelTransportMissingError';
  }
}
