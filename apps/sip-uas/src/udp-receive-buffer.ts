import { readFileSync } from 'node:fs';

/** Where Linux says how large a receive buffer a process may ask for (`SO_RCVBUF`). */
const RMEM_MAX = '/proc/sys/net/core/rmem_max';

/**
 * Why the UDP socket will not get the receive buffer asked for, if it will not: Linux caps
 * `SO_RCVBUF` at `net.core.rmem_max` without an error, so the process says so once at start.
 * Raising the cap is the administrator's choice (`sysctl -w net.core.rmem_max=…`); the server
 * does not force it.
 *
 * @param requested - the bytes asked for (`SIP_UDP_RECV_BUFFER_BYTES`).
 * @param path - the sysctl's file (tests point it elsewhere).
 * @returns a warning, or `undefined` when the request fits or the cap cannot be read (not
 *   Linux).
 */
export function receiveBufferWarning(requested: number, path = RMEM_MAX): string | undefined {
  let cap: number;
  try {
    cap = Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(cap) || cap >= requested) return undefined;
  return (
    `SIP_UDP_RECV_BUFFER_BYTES is ${requested} but net.core.rmem_max is ${cap}: ` +
    `the UDP socket gets ${cap} (kernel-doubled), and bursts beyond it are dropped by the kernel`
  );
}
