import { createAem, type Aem } from '@aem/core';
import { KernelTransportMissingError } from './kernel-transport-missing.error';
import { requireKernelTransports } from './kernel-transports';

describe('requireKernelTransports', () => {
  let runtime: Aem;
  beforeEach(() => (runtime = createAem({ backend: 'userspace' })));
  afterEach(() => runtime.close());

  // A runtime whose sockets come from Node (here the userspace backend; on kmod, a missing
  // module) is refused, with every missing module named. The kernel case runs in the test VM
  // (t_sip_kmod in packages/aem-kmod/scripts/vm-init.sh).
  it('names both modules when UDP and TCP would run on Node', () => {
    let caught: unknown;
    try {
      requireKernelTransports(runtime);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KernelTransportMissingError);
    const error = caught as KernelTransportMissingError;
    expect(error.missing).toEqual(['udp', 'tcp']);
    expect(error.code).toBe('SIP_KERNEL_TRANSPORT_MISSING');
    expect(error.message).toMatch(/^SIP_BACKEND=kmod needs aem_udp\.ko and aem_tcp\.ko loaded/);
    expect(error.message).toMatch(/udp would run on node:dgram, tcp would run on node:net/);
  });
});
