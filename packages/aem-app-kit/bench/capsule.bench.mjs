// The capsule (worker-pool execution) against inline execution, in one run on loopback (not a
// test; `npm run bench:capsule` from the workspace root).
//
// The server (capsule-server.mjs, a process of its own) answers two kinds of 2-byte
// length-prefixed frames: heavy ones (pbkdf2 calibrated to HEAVY_MS ≈ 2 ms of CPU) and cheap
// echoes. The load is open-loop: heavy frames on HEAVY_CONNECTIONS connections at a rate that
// keeps HEAVY_LOAD (50 %) of one core busy, echoes on ECHO_CONNECTIONS others at ECHO_RATE/s.
//   1. inline: the heavy handler runs on the event loop — every echo queued behind it waits;
//   2. pool: the heavy handler runs in a CapsulePool of POOL_SIZE (2) workers;
// each reports the echo's round-trip p50/p99 (the pool's workers in the library's default
// workerPolicy, `idle`: BENCH_WORKER_POLICY=normal and BENCH_NICE=n measure the alternatives).
// 3. floor: the same echoes with no heavy frame at all, what an echo's p99 is on this host when
// nothing delays it (`floorEchoP99Ms`; `echoP99RatioBound` = inline / floor, the most any pool
// could show here);
// 4. throughput: the pool server saturated with
// heavy frames (SATURATE_INFLIGHT in flight per connection) — heavy frames answered per second.
// BENCH_DURATION_MS (default 10 s per phase) shortens a smoke run. BENCH_TRACE=1 splits each
// echo's round trip at the server's handler and reports both processes' event-loop delay and
// run-queue wait (see capsule-server.mjs), to show where the time goes. The client stamps an echo
// right before its socket write and on the reply's 'data' callback; it runs at the same priority
// as the server's event loop. BENCH_VARIANT (diagnostic, to take the echo's tail apart; the
// target is judged without it): `sleep` — the pool's task sleeps 2 ms instead of hashing, the
// pool's round trip without its CPU; `nohash` — the inline server answers heavy frames without
// hashing, the heavy traffic alone. Last line: BENCH capsule {json}.
import { fork } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { barChart, writeChart } from '../../../tools/bench-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const DURATION_MS = env('BENCH_DURATION_MS', 10_000);
const HEAVY_MS = env('BENCH_HEAVY_MS', 2);
const HEAVY_LOAD = env('BENCH_HEAVY_LOAD', 0.5);
const HEAVY_CONNECTIONS = 4;
const ECHO_CONNECTIONS = 8;
const ECHO_RATE = env('BENCH_ECHO_RATE', 1000);
const POOL_SIZE = env('BENCH_POOL_SIZE', 2);
/** The pool's workerPolicy (the library's default, `idle`) and niceIncrement (default 0). */
const POLICY = process.env.BENCH_WORKER_POLICY ?? 'idle';
const NICE = env('BENCH_NICE', 0);
const SATURATE_INFLIGHT = 8;
const TICK_MS = 2;
/** BENCH_TRACE=1: split each echo's round trip at the server's handler and report where it waits. */
const TRACE = process.env.BENCH_TRACE === '1';
/** BENCH_VARIANT: `sleep` or `nohash` (see above), or none. */
const VARIANT = process.env.BENCH_VARIANT;
if (VARIANT !== undefined && VARIANT !== 'sleep' && VARIANT !== 'nohash')
  throw new Error(`BENCH_VARIANT must be sleep or nohash, not ${VARIANT}`);

/** pbkdf2 iterations costing about HEAVY_MS here (median of a few timed runs). */
function calibrate() {
  const bytes = Buffer.alloc(62, 0x48);
  const probe = 2000;
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    pbkdf2Sync(bytes, 'aem-capsule', probe, 32, 'sha256');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.max(1, Math.round((probe * HEAVY_MS) / times[Math.floor(times.length / 2)]));
}

function frame(kind, id) {
  const out = Buffer.alloc(64, kind);
  out.writeUInt16BE(62, 0);
  out.writeUInt32BE(id, 3);
  return out;
}

/** A client connection: counts replies and resolves each frame's reply in order (FIFO). */
function open(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(client));
    socket.once('error', reject);
    let pending = Buffer.alloc(0);
    const waiting = [];
    const client = {
      socket,
      replies: 0,
      send(buffer, onReply) {
        waiting.push(onReply);
        socket.write(buffer);
      },
      get inFlight() {
        return waiting.length;
      },
    };
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const total = 2 + pending.readUInt16BE(0);
        if (pending.length < total) break;
        const reply = pending.subarray(0, total);
        pending = pending.subarray(total);
        client.replies++;
        waiting.shift()?.(reply);
      }
    });
  });
}

function startServer(mode, iterations) {
  const child = fork(join(here, 'capsule-server.mjs'), { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('message', ({ port }) =>
      resolve({
        port,
        stop: () =>
          new Promise((done) => {
            let report;
            child.once('message', (m) => (report = m));
            child.once('exit', () => done(report));
            child.send('stop');
          }),
      }),
    );
    child.send({
      mode,
      poolSize: POOL_SIZE,
      workerPolicy: POLICY,
      niceIncrement: NICE,
      iterations,
      trace: TRACE,
      variant: VARIANT,
    });
  });
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const quantiles = (values) => {
  values.sort((a, b) => a - b);
  return { p50: +percentile(values, 0.5).toFixed(3), p99: +percentile(values, 0.99).toFixed(3) };
};
/** This thread's [CPU ns, run-queue wait ns, time slices] from the kernel. */
const ownSchedstat = () =>
  readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);

/** Open-loop mixed load; returns the echo latencies' p50/p99 and the heavy replies per second. */
async function mixed(mode, iterations, heavyLoad = HEAVY_LOAD) {
  const server = await startServer(mode, iterations);
  const heavy = await Promise.all(
    Array.from({ length: HEAVY_CONNECTIONS }, () => open(server.port)),
  );
  const echo = await Promise.all(Array.from({ length: ECHO_CONNECTIONS }, () => open(server.port)));
  const heavyPerTick = ((heavyLoad * 1000) / HEAVY_MS) * (TICK_MS / 1000);
  const echoPerTick = ECHO_RATE * (TICK_MS / 1000);
  const latencies = [];
  // Tracing: each echo's round trip split where its handler ran (client → handler → client).
  const toHandler = [];
  const fromHandler = [];
  const clientLoop = monitorEventLoopDelay({ resolution: 1 });
  const clientSched0 = ownSchedstat();
  if (TRACE) clientLoop.enable();
  let heavyDebt = 0;
  let echoDebt = 0;
  let id = 0;
  let heavyDone = 0;
  const warmupUntil = performance.now() + Math.min(1000, DURATION_MS / 5);
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      // Debts carry fractions over, so the rates hold whatever TICK_MS the host gives.
      heavyDebt += heavyPerTick;
      echoDebt += echoPerTick;
      for (; heavyDebt >= 1; heavyDebt--) {
        heavy[id % HEAVY_CONNECTIONS].send(frame(0x48, id++), () => heavyDone++);
      }
      for (; echoDebt >= 1; echoDebt--) {
        const n = id++;
        const out = frame(0x45, n);
        if (TRACE) out.writeBigUInt64BE(process.hrtime.bigint(), 2 + 8);
        const sent = performance.now();
        echo[n % ECHO_CONNECTIONS].send(out, (reply) => {
          if (sent < warmupUntil) return;
          latencies.push(performance.now() - sent);
          if (!TRACE) return;
          const now = process.hrtime.bigint();
          const handled = reply.readBigUInt64BE(2 + 16);
          toHandler.push(Number(handled - reply.readBigUInt64BE(2 + 8)) / 1e6);
          fromHandler.push(Number(now - handled) / 1e6);
        });
      }
      if (performance.now() - started >= DURATION_MS) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  // Let what is in flight come back before measuring.
  while ([...heavy, ...echo].some((c) => c.inFlight > 0))
    await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - started) / 1000;
  for (const c of [...heavy, ...echo]) c.socket.destroy();
  clientLoop.disable();
  const clientSched1 = ownSchedstat();
  const serverReport = await server.stop();
  latencies.sort((a, b) => a - b);
  const trace = TRACE
    ? {
        clientToHandlerMs: quantiles(toHandler),
        handlerToClientMs: quantiles(fromHandler),
        clientLoopDelayMs: {
          p50: +(clientLoop.percentile(50) / 1e6 - 1).toFixed(3),
          p99: +(clientLoop.percentile(99) / 1e6 - 1).toFixed(3),
        },
        clientThread: {
          cpuMs: Math.round((clientSched1[0] - clientSched0[0]) / 1e6),
          waitMs: Math.round((clientSched1[1] - clientSched0[1]) / 1e6),
        },
        server: serverReport,
      }
    : undefined;
  if (trace !== undefined) console.log(`${mode} trace ${JSON.stringify(trace)}`);
  return {
    echoP50Ms: +percentile(latencies, 0.5).toFixed(3),
    echoP99Ms: +percentile(latencies, 0.99).toFixed(3),
    echoSamples: latencies.length,
    heavyPerSec: Math.round(heavyDone / seconds),
    pool: serverReport.pool,
    trace,
  };
}

/** Heavy frames only, SATURATE_INFLIGHT in flight per connection, against the pool server. */
async function saturate(iterations) {
  const server = await startServer('pool', iterations);
  const clients = await Promise.all(
    Array.from({ length: HEAVY_CONNECTIONS }, () => open(server.port)),
  );
  let done = 0;
  let stop = false;
  let id = 0;
  const keep = (client) => {
    if (stop) return;
    client.send(frame(0x48, id++), () => {
      done++;
      keep(client);
    });
  };
  for (const client of clients) for (let i = 0; i < SATURATE_INFLIGHT; i++) keep(client);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, DURATION_MS));
  const perSec = Math.round(done / ((performance.now() - t0) / 1000));
  stop = true;
  while (clients.some((c) => c.inFlight > 0)) await new Promise((r) => setTimeout(r, 10));
  for (const c of clients) c.socket.destroy();
  await server.stop();
  return perSec;
}

const iterations = calibrate();
console.log(`pbkdf2 iterations for ~${HEAVY_MS} ms: ${iterations}; ${DURATION_MS} ms per phase`);
const inline = await mixed('inline', iterations);
console.log('inline', inline);
const pool = await mixed('pool', iterations);
console.log('pool  ', pool);
// The floor: the same server and echo load with no heavy frame at all — the p99 an echo gets on
// this host when nothing delays it, so inline/floor bounds the ratio any pool could show here.
const floor = await mixed('inline', iterations, 0);
console.log('floor ', floor);
const heavyPerSec = await saturate(iterations);
console.log(`pool of ${POOL_SIZE}, saturated: ${heavyPerSec} heavy/s`);

const result = {
  durationMs: DURATION_MS,
  heavyMs: HEAVY_MS,
  iterations,
  heavyLoad: HEAVY_LOAD,
  echoRate: ECHO_RATE,
  poolSize: POOL_SIZE,
  workerPolicy: POLICY,
  niceIncrement: NICE,
  inlineEchoP50Ms: inline.echoP50Ms,
  inlineEchoP99Ms: inline.echoP99Ms,
  poolEchoP50Ms: pool.echoP50Ms,
  poolEchoP99Ms: pool.echoP99Ms,
  echoP99Ratio: +(inline.echoP99Ms / pool.echoP99Ms).toFixed(2),
  floorEchoP50Ms: floor.echoP50Ms,
  floorEchoP99Ms: floor.echoP99Ms,
  // The ratio a pool adding nothing to an echo's round trip would show on this host.
  echoP99RatioBound: +(inline.echoP99Ms / floor.echoP99Ms).toFixed(2),
  mixedHeavyPerSec: { inline: inline.heavyPerSec, pool: pool.heavyPerSec },
  idleWorkers: pool.pool.idleWorkers,
  heavyPerSec,
  target: { echoP99Ratio: 5 },
  ...(VARIANT === undefined ? {} : { variant: VARIANT }),
  ...(TRACE ? { trace: { inline: inline.trace, pool: pool.trace } } : {}),
};
writeChart(
  join(here, 'results/capsule.svg'),
  barChart({
    title: `Echo latency beside a 2 ms handler at ${HEAVY_LOAD * 100} % of a core`,
    y: { label: 'echo round trip (ms)' },
    groups: [
      {
        label: 'p50',
        bars: [
          { name: 'inline', value: inline.echoP50Ms },
          { name: `pool of ${POOL_SIZE}`, value: pool.echoP50Ms },
          { name: 'no heavy frames (floor)', value: floor.echoP50Ms },
        ],
      },
      {
        label: 'p99',
        bars: [
          { name: 'inline', value: inline.echoP99Ms },
          { name: `pool of ${POOL_SIZE}`, value: pool.echoP99Ms },
          { name: 'no heavy frames (floor)', value: floor.echoP99Ms },
        ],
      },
    ],
  }),
);
console.log(`BENCH capsule ${JSON.stringify(result)}`);
