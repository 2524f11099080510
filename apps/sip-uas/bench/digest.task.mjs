// The capsule task of `npm run bench:digest` (digest-cost.bench.mjs): a digest answer's expected
// response, computed in a worker thread exactly as DigestAuthenticator computes it inline.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { digestResponse } = require('../dist/auth/digest-algorithm.js');

/** @returns the hex response for a DigestResponseInput. */
export function digest(input) {
  return digestResponse(input);
}
