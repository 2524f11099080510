// The server of `npm run bench:capsule`, in a process of its own (forked by capsule.bench.mjs):
// @aem/tcp with 2-byte length-prefixed frames. A frame whose first payload byte is 'H' is heavy
// (pbkdf2, about 2 ms of CPU: inline on the event loop, or in a CapsulePool), any other is echoed.
// Each connection is its own domain, so a connection's frames are answered in order.
// Messages: parent → { mode: 'inline' | 'pool', poolSize, niceIncrement, iterations };
// child → { port }.
import { createAem } from '@aem/core';
import { lengthPrefixed, Tcp } from '@aem/tcp';
import { CapsulePool, capsuleTask } from '@aem/app-kit';
import { fileURLToPath } from 'node:url';
import { heavy } from './heavy.task.mjs';

const HEAVY = 0x48; // 'H'
const task = capsuleTask(fileURLToPath(new URL('./heavy.task.mjs', import.meta.url)), 'heavy');

/** A frame for `payload`: 2-byte big-endian length, then the bytes. */
function frame(payload) {
  const out = Buffer.allocUnsafe(2 + payload.byteLength);
  out.writeUInt16BE(payload.byteLength, 0);
  out.set(payload, 2);
  return out;
}

process.once('message', async ({ mode, poolSize, niceIncrement, iterations }) => {
  const runtime = createAem({ backend: 'userspace' });
  const pool =
    mode === 'pool'
      ? new CapsulePool({ size: poolSize, maxQueue: 4096, niceIncrement })
      : undefined;
  const server = await Tcp.from(runtime).listen({
    host: '127.0.0.1',
    port: 0,
    framer: lengthPrefixed({ width: 2, emit: 'payload' }),
  });
  server.onMessage((message) => {
    const { data, connection } = message;
    if (data[0] !== HEAVY) return void connection.send(frame(data));
    const job = { bytes: data, iterations };
    if (pool === undefined) return void connection.send(frame(heavy(job)));
    // The handler's promise keeps the connection's domain busy until the reply is sent.
    return pool.run(task, job).then((key) => void connection.send(frame(key)));
  });
  runtime.errors.subscribe((error) => console.error('server error', error.message));
  process.send({ port: server.address.port });
  process.once('message', async () => {
    await server.close({ deadlineMs: 1000 });
    await pool?.close({ force: true });
    runtime.close();
    process.exit(0);
  });
});
