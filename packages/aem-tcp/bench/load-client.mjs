// The load of `npm run bench:tcp`: plain node:net clients in a process of their own, the same for
// every server, so the figures are the servers' costs. Driven over IPC by tcp.bench.mjs:
//   { cmd: 'throughput', port, inFlight, roundMs }  → { perSec }
//   { cmd: 'idle', port, count }                    → { idle }    opens idle connections up to count
//   { cmd: 'latency', port, samples, paceMs }       → { p50, p99 }
//   { cmd: 'close-idle' }                           → { closed }
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST, MESSAGE_BYTES, PIPELINE, makeMessage, percentile } from './bench-common.mjs';

/** Active clients per throughput or latency round. */
const CONNECTIONS = 100;
/** Idle connections per source address, so 50k stay well inside each address's port range. */
const PER_SOURCE_ADDRESS = 6_000;
const SOURCE_ADDRESSES = [2, 3, 4, 5, 6, 7, 8, 9].map((n) => `127.0.0.${n}`);

const message = makeMessage();
// The client must never be the bottleneck: it answers all the echoes of one read with one write
// of that many messages (a slice of this buffer).
const burst = Buffer.concat(Array.from({ length: PIPELINE * 4 }, () => message));

/**
 * Opens `count` plain clients, 500 connects at a time; `onMessages(socket, n)` runs once per read
 * with the n whole echoes it carried. A connect that fails rejects (a refused or reset connect
 * would otherwise stall the run).
 */
async function open(port, count, onMessages, localAddress) {
  const sockets = [];
  for (let start = 0; start < count; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const socket = connect({ host: HOST, port, localAddress, noDelay: true });
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let n = 0;
        while (pending.length >= 2) {
          const total = 2 + pending.readUInt16BE(0);
          if (pending.length < total) break;
          pending = pending.subarray(total);
          n++;
        }
        if (n > 0) onMessages(socket, n);
      });
      batch.push(
        new Promise((resolve, reject) => {
          socket.once('error', reject);
          socket.once('connect', () => {
            socket.off('error', reject);
            socket.on('error', () => undefined);
            resolve(socket);
          });
        }),
      );
    }
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

/** Messages per second through `inFlight` messages per connection, for `roundMs`. */
async function throughput({ port, inFlight, roundMs }) {
  let count = 0;
  let stop = false;
  const sockets = await open(port, CONNECTIONS, (socket, n) => {
    count += n;
    if (!stop) socket.write(n === 1 ? message : burst.subarray(0, n * MESSAGE_BYTES));
  });
  const start = performance.now();
  for (const socket of sockets) socket.write(burst.subarray(0, inFlight * MESSAGE_BYTES));
  await sleep(roundMs);
  stop = true;
  const seconds = (performance.now() - start) / 1000;
  for (const socket of sockets) socket.destroy();
  return { perSec: count / seconds };
}

const idle = [];

/** Opens idle connections until `count` are open, spread over the source addresses. */
async function openIdle({ port, count }) {
  while (idle.length < count) {
    const address = SOURCE_ADDRESSES[Math.floor(idle.length / PER_SOURCE_ADDRESS) % 8];
    const batch = Math.min(1_000, count - idle.length);
    idle.push(...(await open(port, batch, () => undefined, address)));
  }
  return { idle: idle.length };
}

/**
 * Round-trip latency of 100 active clients, each with one request in flight and the next sent
 * `paceMs` after the echo: a moderate paced load, so the latency shows what the idle connections
 * cost rather than a saturated server's queueing.
 */
async function latency({ port, samples, paceMs }) {
  const latencies = [];
  const sentAt = new Map();
  let finished = 0;
  const send = (socket) => {
    sentAt.set(socket, performance.now());
    socket.write(message);
  };
  const sockets = await open(port, CONNECTIONS, (socket) => {
    latencies.push(performance.now() - sentAt.get(socket));
    if (latencies.length < samples) setTimeout(send, paceMs, socket);
    else finished++;
  });
  for (const socket of sockets) send(socket);
  while (finished < sockets.length) await sleep(5);
  for (const socket of sockets) socket.destroy();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const jobs = {
  throughput,
  idle: openIdle,
  latency,
  'close-idle': async () => {
    for (const socket of idle.splice(0)) socket.destroy();
    return { closed: true };
  },
};

process.on('message', async (job) => {
  if (job.cmd === 'exit') process.exit(0);
  process.send(await jobs[job.cmd](job));
});
