// @aem/tcp against raw node:net doing the same job the plain way, in one run on loopback
// (not a test; `npm run bench:tcp` from the workspace root, which raises the fd limit).
//
// The servers run in this process; the load comes from a separate client process (the same
// plain node:net client for both servers), so the figures are the servers' costs.
//   1. ping-pong: 100 connections, 64-byte length-prefixed messages, one in flight each;
//   2. pipelined: 100 connections, 64 messages in flight each;
//   3. idle scaling: round-trip latency of 100 active connections (each sending one request
//      every 10 ms, one in flight) while 1k → 10k → 50k idle
//      connections stay open (client sockets spread over 127.0.0.2–127.0.0.9), and the server's
//      memory per idle connection.
// Each throughput figure is the median of ROUNDS rounds. Last line: BENCH tcp {json}.
import { execSync, fork } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const MESSAGE_BYTES = 64;
const CONNECTIONS = 100;
const PIPELINE = 64;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WANTED_IDLE_STEPS = (process.env.BENCH_IDLE_STEPS ?? '1000,10000,50000')
  .split(',')
  .map(Number);
// Every idle connection is one descriptor in the server process (and one in the client's).
// A sandbox without CAP_SYS_RESOURCE cannot raise the hard limit, so the steps are capped
// below it and the BENCH line says so.
const FD_LIMIT =
  Number(execSync('ulimit -Hn', { shell: '/bin/bash', encoding: 'utf8' }).trim()) || Infinity;
const IDLE_CAP = FD_LIMIT - 1_000;
const IDLE_STEPS = [...new Set(WANTED_IDLE_STEPS.map((n) => Math.min(n, IDLE_CAP)))];
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5000);
const HOST = '127.0.0.1';
const PACE_MS = 10;
/** Which parts to run: `throughput`, `idle` (the VM runs `idle` alone, see bench:tcp:vm). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'throughput,idle').split(','));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** A 64-byte message: 2-byte big-endian length, 62 bytes of payload. */
function makeMessage() {
  const message = Buffer.alloc(MESSAGE_BYTES, 0x61);
  message.writeUInt16BE(MESSAGE_BYTES - 2, 0);
  return message;
}

// ---------------------------------------------------------------- client process
if (process.argv[2] === 'client') {
  const message = makeMessage();
  // The client must never be the bottleneck: it answers all the echoes of one read with one
  // write of that many messages (a slice of this buffer).
  const burst = Buffer.concat(Array.from({ length: PIPELINE * 4 }, () => message));
  /** Opens `count` plain clients; `onMessages(socket, n)` runs once per read with n echoes. */
  async function open(port, count, onMessage, localAddress) {
    const sockets = [];
    for (let i = 0; i < count; i++) {
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
        if (n > 0) onMessage(socket, n);
      });
      socket.on('error', () => undefined);
      sockets.push(new Promise((resolve) => socket.once('connect', () => resolve(socket))));
      if (i % 500 === 499) await Promise.all(sockets.slice(-500));
    }
    return Promise.all(sockets);
  }
  const idle = [];
  process.on('message', async (job) => {
    if (job.cmd === 'throughput') {
      let count = 0;
      let stop = false;
      const sockets = await open(job.port, CONNECTIONS, (socket, n) => {
        count += n;
        if (!stop) socket.write(n === 1 ? message : burst.subarray(0, n * MESSAGE_BYTES));
      });
      const start = performance.now();
      for (const socket of sockets) socket.write(burst.subarray(0, job.inFlight * MESSAGE_BYTES));
      await new Promise((resolve) => setTimeout(resolve, ROUND_MS));
      stop = true;
      const seconds = (performance.now() - start) / 1000;
      for (const socket of sockets) socket.destroy();
      process.send({ perSec: count / seconds });
    } else if (job.cmd === 'idle') {
      const addresses = [
        '127.0.0.2',
        '127.0.0.3',
        '127.0.0.4',
        '127.0.0.5',
        '127.0.0.6',
        '127.0.0.7',
        '127.0.0.8',
        '127.0.0.9',
      ];
      while (idle.length < job.count) {
        const batch = Math.min(1000, job.count - idle.length);
        idle.push(
          ...(await open(
            job.port,
            batch,
            () => undefined,
            addresses[Math.floor(idle.length / 6000) % addresses.length],
          )),
        );
      }
      process.send({ idle: idle.length });
    } else if (job.cmd === 'latency') {
      const latencies = [];
      const sent = new Map();
      // Active clients at a moderate, paced rate (one request every PACE_MS each), so the
      // latency shows what the idle connections cost, not a saturated server's queueing.
      const send = (socket) => {
        sent.set(socket, performance.now());
        socket.write(message);
      };
      const sockets = await open(job.port, CONNECTIONS, (socket) => {
        // One message in flight per socket: each read carries exactly its echo.
        latencies.push(performance.now() - sent.get(socket));
        if (latencies.length + CONNECTIONS <= job.samples) setTimeout(send, PACE_MS, socket);
      });
      for (const socket of sockets) {
        sent.set(socket, performance.now());
        socket.write(message);
      }
      while (latencies.length < Math.min(job.samples, CONNECTIONS))
        await new Promise((resolve) => setTimeout(resolve, 5));
      while (latencies.length < job.samples - CONNECTIONS)
        await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const socket of sockets) socket.destroy();
      process.send({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
    } else if (job.cmd === 'close-idle') {
      for (const socket of idle.splice(0)) socket.destroy();
      process.send({ closed: true });
    } else if (job.cmd === 'exit') {
      process.exit(0);
    }
  });
} else {
  await main();
}

// ---------------------------------------------------------------- servers (this process)
async function rawServer() {
  // The plain way: frame in the 'data' handler, one socket.write per message.
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
    close: () => new Promise((resolve) => server.close(resolve)),
    connections: () => new Promise((resolve) => server.getConnections((_, n) => resolve(n))),
  };
}

async function aemServer(tcp, lengthPrefixed) {
  const server = await tcp.listen({
    host: HOST,
    port: 0,
    framer: lengthPrefixed({ width: 2, emit: 'message' }),
    maxConnections: 100_000,
  });
  server.onMessage((message) => void message.connection.send(message.data));
  return {
    port: server.address.port,
    close: () => server.close({ deadlineMs: 1000 }),
    connections: async () => server.stats().connections,
  };
}

function ask(child, job) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(job);
  });
}

async function main() {
  const { createAem } = await import('@aem/core');
  const { Tcp, lengthPrefixed } = await import('@aem/tcp');
  const runtime = createAem();
  const tcp = Tcp.from(runtime);
  const child = fork(fileURLToPath(import.meta.url), ['client'], { stdio: 'inherit' });

  const throughput = { pingPong: { ours: [], raw: [] }, pipelined: { ours: [], raw: [] } };
  for (let round = 0; PARTS.has('throughput') && round <= ROUNDS; round++) {
    for (const [name, inFlight] of [
      ['pingPong', 1],
      ['pipelined', PIPELINE],
    ]) {
      for (const [side, make] of [
        ['ours', () => aemServer(tcp, lengthPrefixed)],
        ['raw', rawServer],
      ]) {
        const server = await make();
        const { perSec } = await ask(child, { cmd: 'throughput', port: server.port, inFlight });
        await server.close();
        if (round > 0) throughput[name][side].push(perSec);
      }
    }
  }
  const figure = (name) => ({
    ours: Math.round(median(throughput[name].ours)),
    raw: Math.round(median(throughput[name].raw)),
    ratio: Number(
      median(throughput[name].ours.map((o, i) => o / throughput[name].raw[i])).toFixed(3),
    ),
  });
  const measured = PARTS.has('throughput');
  const pingPong = measured ? figure('pingPong') : {};
  const pipelined = measured ? figure('pipelined') : {};
  if (measured)
    console.log(
      `ping-pong  (100 conns, 1 in flight):  ours ${pingPong.ours.toLocaleString()} msg/s, raw net ${pingPong.raw.toLocaleString()} msg/s, ratio ${pingPong.ratio}`,
    );
  if (measured)
    console.log(
      `pipelined  (100 conns, 64 in flight): ours ${pipelined.ours.toLocaleString()} msg/s, raw net ${pipelined.raw.toLocaleString()} msg/s, ratio ${pipelined.ratio}`,
    );

  // Idle scaling on our server.
  const server = await aemServer(tcp, lengthPrefixed);
  const latency = {};
  if (!PARTS.has('idle')) IDLE_STEPS.length = 0;
  let bytesPerIdleConn = null;
  let heapBytesPerIdleConn = null;
  // Warm-up (discarded): the first latency round pays for JIT compilation on both sides.
  if (IDLE_STEPS.length > 0)
    await ask(child, { cmd: 'latency', port: server.port, samples: SAMPLES });
  // Memory per idle connection is the marginal cost: the growth from the first step to the
  // last, divided by the connections added — what JIT code and warm-up cost falls out.
  globalThis.gc?.();
  let baseline = process.memoryUsage();
  let baselineCount = 0;
  for (const idleCount of IDLE_STEPS) {
    await ask(child, { cmd: 'idle', port: server.port, count: idleCount });
    while ((await server.connections()) < idleCount)
      await new Promise((resolve) => setTimeout(resolve, 20));
    globalThis.gc?.();
    const memory = process.memoryUsage();
    const added = idleCount - baselineCount;
    bytesPerIdleConn = Math.round((memory.rss - baseline.rss) / added);
    const heapPerConn = (heapBytesPerIdleConn = Math.round(
      (memory.heapUsed + memory.external - baseline.heapUsed - baseline.external) / added,
    ));
    if (baselineCount === 0 && IDLE_STEPS.length > 1) {
      baseline = memory;
      baselineCount = idleCount;
    }
    latency[idleCount] = await ask(child, { cmd: 'latency', port: server.port, samples: SAMPLES });
    console.log(
      `idle ${idleCount.toLocaleString().padStart(6)}: p50 ${latency[idleCount].p50.toFixed(3)} ms, p99 ${latency[idleCount].p99.toFixed(3)} ms; server memory per added idle connection: ${bytesPerIdleConn} B RSS (${heapPerConn} B heap+external)`,
    );
  }
  await ask(child, { cmd: 'close-idle' });
  child.kill();
  await server.close();
  runtime.close();
  const first = IDLE_STEPS[0];
  const last = IDLE_STEPS[IDLE_STEPS.length - 1];
  const line = {
    messageBytes: MESSAGE_BYTES,
    connections: CONNECTIONS,
    pingPongPerSec: pingPong.ours,
    netPingPongPerSec: pingPong.raw,
    pingPongRatio: pingPong.ratio,
    pipelinedPerSec: pipelined.ours,
    netPipelinedPerSec: pipelined.raw,
    pipelinedRatio: pipelined.ratio,
    ...(IDLE_STEPS.length > 0
      ? {
          latencyP50At1kMs: Number(latency[first].p50.toFixed(3)),
          latencyP99At1kMs: Number(latency[first].p99.toFixed(3)),
          latencyP99At50kMs: Number(latency[last].p99.toFixed(3)),
          idleScalingRatio: Number((latency[last].p99 / latency[first].p99).toFixed(3)),
          bytesPerIdleConn,
          heapBytesPerIdleConn,
          idleSteps: IDLE_STEPS,
          ...(IDLE_STEPS.at(-1) < WANTED_IDLE_STEPS.at(-1)
            ? { idleCappedBy: `fd hard limit ${FD_LIMIT}` }
            : {}),
        }
      : {}),
  };
  console.log(`BENCH tcp ${JSON.stringify(line)}`);
  process.exit(0);
}
