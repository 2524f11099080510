// The UDP service's conformance suite under `node --test`, on the backend AEM_BACKEND names
// (`userspace` by default; `kmod` inside the test VM, with aem_udp.ko loaded). The same suite
// runs on the host with jest from src/udp-conformance.spec.ts. Needs the package built.
// AEM_UDP_IPV6=0 where ::1 is missing; AEM_UDP_BURST_OVERFLOWS=0 for a transport whose kernel
// side drains a socket's queue as datagrams arrive (see UdpConformanceOptions.burstOverflows).
import { describe, it } from 'node:test';
import { createAem } from '@aem/core';
import { udpConformance } from '@aem/udp/conformance';

const backend = process.env.AEM_BACKEND ?? 'userspace';

udpConformance({
  createRuntime: () => createAem({ backend }),
  framework: { describe, it },
  label: backend,
  ipv6: process.env.AEM_UDP_IPV6 !== '0',
  burstOverflows: process.env.AEM_UDP_BURST_OVERFLOWS !== '0',
});
