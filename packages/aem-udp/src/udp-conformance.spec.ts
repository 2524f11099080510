import { createAem } from '@aem/core';
import { udpConformance } from './udp-conformance';

// The conformance suite on the userspace backend's default transport, recvmmsg/sendmmsg through
// @aem/kmod/binding (udp-conformance-dgram.spec.ts runs it on node:dgram). The test VM runs the
// same suite on the kmod backend through test/udp-conformance.test.mjs.
jest.setTimeout(60_000);
process.env.AEM_UDP_TRANSPORT = 'mmsg'; // required here: a binding that fails to load fails

udpConformance({
  createRuntime: () => createAem({ backend: 'userspace' }),
  framework: { describe, it },
  label: 'userspace, mmsg',
});
