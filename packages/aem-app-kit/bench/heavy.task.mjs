// The heavy message kind of `npm run bench:capsule`: pbkdf2 over the frame, `iterations` chosen by
// the server so one call costs about 2 ms of CPU. Runs inline or in a capsule worker alike.
import { pbkdf2Sync } from 'node:crypto';

/** @returns the 32-byte key (a Uint8Array owning its buffer: moved back from a worker). */
export function heavy({ bytes, iterations }) {
  return new Uint8Array(pbkdf2Sync(bytes, 'aem-capsule', iterations, 32, 'sha256'));
}
