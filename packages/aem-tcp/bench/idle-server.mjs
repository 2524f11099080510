// The server of the idle-scaling part of `npm run bench:tcp`, in a process of its own so that
// its memory is its own. tcp.bench.mjs forks it with a fixed young generation
// (`--min-semi-space-size=1 --max-semi-space-size=1`, in MB): V8 grows the young generation
// with the allocation rate, by up to 32 MB, and that fixed cost spread over the added
// connections would swamp the per-connection figure. The old generation grows freely.
//
//   argv[2]: 'aem' or 'raw'. Sends { port } once listening, then answers over IPC:
//   { cmd: 'wait', count } → { connections } once at least `count` connections are open;
//   { cmd: 'settle' }      → { connections, rss, heapUsed, external } after collecting garbage
//                            until the heap stops shrinking.
import { setTimeout as sleep } from 'node:timers/promises';
import { aemServer, rawServer } from './bench-servers.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('idle-server.mjs needs --expose-gc');
const server = process.argv[2] === 'raw' ? await rawServer() : await aemServer();
process.send({ port: server.port });

/** Full collections until the used heap stops shrinking; V8 returns freed pages concurrently. */
async function collect() {
  let before = Infinity;
  for (let i = 0; i < 10; i++) {
    globalThis.gc();
    await sleep(100);
    const used = process.memoryUsage().heapUsed;
    if (used >= before) break;
    before = used;
  }
}

/** Resolves the open connections once there are at least `count`. */
async function waitFor(count) {
  let connections = await server.connections();
  while (connections < count) {
    await sleep(20);
    connections = await server.connections();
  }
  return connections;
}

process.on('message', async (job) => {
  if (job.cmd === 'exit') {
    await server.close();
    process.exit(0);
  } else if (job.cmd === 'wait') {
    process.send({ connections: await waitFor(job.count) });
  } else {
    await collect();
    const { rss, heapUsed, external } = process.memoryUsage();
    process.send({ connections: await server.connections(), rss, heapUsed, external });
  }
});
