import { createAem } from '@aem/core';
import { udpConformance } from './udp-conformance';

// The conformance suite on the userspace backend (node:dgram). The test VM runs the same suite
// on the kmod backend through test/udp-conformance.test.mjs.
jest.setTimeout(60_000);

udpConformance({
  createRuntime: () => createAem({ backend: 'userspace' }),
  framework: { describe, it },
  label: 'userspace',
});
