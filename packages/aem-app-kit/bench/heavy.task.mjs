// The heavy message kind of `npm run bench:capsule`: pbkdf2 over the frame, `iterations` chosen by
// the server so one call costs about 2 ms of CPU. Runs inline or in a capsule worker alike.
import { pbkdf2Sync } from 'node:crypto';

/** @returns the 32-byte key (a Uint8Array owning its buffer: moved back from a worker). */
export function heavy({ bytes, iterations }) {
  return new Uint8Array(pbkdf2Sync(bytes, 'aem-capsule', iterations, 32, 'sha256'));
}

/**
 * The diagnostic stand-in of `BENCH_VARIANT=sleep`: the same 32-byte reply after 2 ms asleep, so
 * the pool's round trip is measured without the CPU the hash takes.
 */
export function heavySleep() {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  return new Uint8Array(32);
}
