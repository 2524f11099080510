import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { isIP } from 'node:net';

/** Attempts before giving up on finding a port free on both transports. */
const ATTEMPTS = 20;

/**
 * A port that is free for both TCP and UDP on `host`, for `SIP_PORT=0`: SIP serves both
 * transports on one port (RFC 3261 §18), while the kernel picks a free port for one protocol
 * at a time. The TCP port the kernel picks is tried on UDP; another is drawn when UDP has it.
 * The probes are closed before returning, so another process could take the port before the
 * server binds it; the server's start then fails with `EADDRINUSE`, saying so.
 *
 * @param host - the address the server will listen on.
 * @returns the port.
 * @throws `Error` after {@link ATTEMPTS} ports taken on UDP.
 */
export async function portFreeOnBoth(host: string): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const free = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, host, () => resolve(true));
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (free) await new Promise<void>((resolve) => socket.close(() => resolve()));
    else socket.close();
    if (free) return port;
  }
  throw new Error(`no port free on both TCP and UDP at ${host} after ${ATTEMPTS} attempts`);
}
