// The server of the idle-scaling part of `npm run bench:tcp`, in a process of its own so that
// its memory is its own, with V8's default heap settings (tcp.bench.mjs adds --expose-gc).
//
//   argv[2]: 'aem' or 'raw'. Sends { port } once listening, then answers over IPC:
//   { cmd: 'wait', count } → { connections } once at least `count` connections are open;
//   { cmd: 'cpu' }         → { cpuUs }, the CPU time the process has used (user + system);
//   { cmd: 'settle' }      → { connections, rss, heapUsed, external, young } after collecting
//                            garbage until the heap stops shrinking. `young` is the memory the
//                            young generation has touched: V8 grows it with the allocation rate
//                            (up to 48 MB), a cost that does not depend on the connections, so
//                            the per-connection figure leaves it out.
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
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
  } else if (job.cmd === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ cpuUs: user + system });
  } else if (job.cmd === 'wait') {
    process.send({ connections: await waitFor(job.count) });
  } else {
    await collect();
    const { rss, heapUsed, external } = process.memoryUsage();
    const young = getHeapSpaceStatistics()
      .filter((space) => space.space_name.startsWith('new_'))
      .reduce((sum, space) => sum + space.physical_space_size, 0);
    process.send({ connections: await server.connections(), rss, heapUsed, external, young });
  }
});
