import { createAem } from '@aem/core';
import { udpConformance } from './udp-conformance';

// The conformance suite on the userspace backend's other transport, node:dgram
// (AEM_UDP_TRANSPORT=node; jest gives each test file its own copy of process.env).
jest.setTimeout(60_000);
process.env.AEM_UDP_TRANSPORT = 'node';

udpConformance({
  createRuntime: () => createAem({ backend: 'userspace' }),
  framework: { describe, it },
  label: 'userspace, node:dgram',
});
