// The server half of the kmod TCP benchmark (tcp-kmod.bench.mjs): a length-prefixed echo server
// on the backend named by AEM_BACKEND (`userspace` or `kmod`). Prints `port <n>` once listening
// and runs until SIGTERM.
import { createAem } from '@aem/core';
import { Tcp, lengthPrefixed } from '@aem/tcp';

const runtime = createAem({ backend: process.env.AEM_BACKEND ?? 'userspace' });
const tcp = Tcp.from(runtime);
const server = await tcp.listen({
  host: '127.0.0.1',
  port: 0,
  backlog: 1024,
  framer: lengthPrefixed({ width: 4, maxFrameBytes: 1 << 20 }),
});
const header = (length) => {
  const h = Buffer.allocUnsafe(4);
  h.writeUInt32BE(length);
  return h;
};
server.onMessage(({ data, connection }) => {
  connection.send(header(data.length));
  connection.send(data);
});
process.stdout.write(`port ${server.address.port} ${runtime.backendSelection.kind}\n`);
process.on('SIGTERM', () => {
  runtime.close();
  process.exit(0);
});
