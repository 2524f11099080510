// The two servers of `npm run bench:tcp`, each an echo of 2-byte length-prefixed messages:
// @aem/tcp, and node:net written the plain way (framing in the 'data' handler, one
// `socket.write` per message). Each resolves { port, connections(), close() }.
import { createServer } from 'node:net';
import { HOST } from './bench-common.mjs';

/** node:net, the plain way. */
export async function rawServer() {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const total = 2 + pending.readUInt16BE(0);
        if (pending.length < total) break;
        socket.write(pending.subarray(0, total));
        pending = pending.subarray(total);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    port: server.address().port,
    connections: () => new Promise((resolve) => server.getConnections((_, n) => resolve(n))),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * @aem/tcp on a runtime of its own (`close()` closes both), on the userspace backend (node:net)
 * unless AEM_BACKEND says otherwise: `auto` would pick the kernel backend inside the test VM.
 */
export async function aemServer() {
  const { createAem } = await import('@aem/core');
  const { Tcp, lengthPrefixed } = await import('@aem/tcp');
  const runtime = createAem({ backend: process.env.AEM_BACKEND ?? 'userspace' });
  const server = await Tcp.from(runtime).listen({
    host: HOST,
    port: 0,
    framer: lengthPrefixed({ width: 2, emit: 'message' }),
    maxConnections: 100_000,
  });
  server.onMessage((message) => void message.connection.send(message.data));
  return {
    port: server.address.port,
    connections: async () => server.stats().connections,
    close: async () => {
      await server.close({ deadlineMs: 1000 });
      runtime.close();
    },
  };
}
