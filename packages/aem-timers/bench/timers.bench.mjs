// Benchmark of @aem/timers against Node's own timers doing the same work, in the same run.
// Run from the workspace root: `npm run bench:timers` (builds, then runs this with --expose-gc).
//
//   1. memory  — heap bytes (JS heap + ArrayBuffers) per pending timer at 1M pending.
//   2. churn   — start then cancel 1M timers with spread delays: ns per start+cancel.
//   3. steady  — 1M pending, 100k new timers/s, 90 % cancelled before they fire: lateness of
//                those that fire (p50/p99/max), ours vs Node under the same load.
//   4. scale   — 10M pending timers on one wheel: bytes per timer, and the lateness of timers
//                that fire while the 10M are pending.
//
// Options: --only=memory,churn,steady,scale --churn=N --memory=N --pending=N --rate=N
// --seconds=N --scale=N --rounds=N. Absolute figures depend on the machine (and on whoever else
// uses it): compare the ratios. The last line is `BENCH timers <json>`.
import { barChart, writeChart } from '../../../tools/bench-chart.mjs';
import { performance } from 'node:perf_hooks';
import { TimerWheel } from '../dist/index.mjs';

const gc = globalThis.gc;
if (typeof gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(1);
}

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const CHURN_N = Number(args.get('churn') ?? 1_000_000);
const MEMORY_N = Number(args.get('memory') ?? 1_000_000);
const STEADY_PENDING = Number(args.get('pending') ?? 1_000_000);
const STEADY_RATE = Number(args.get('rate') ?? 100_000); // new timers per second
const STEADY_SECONDS = Number(args.get('seconds') ?? 6);
const SCALE_N = Number(args.get('scale') ?? 10_000_000);
const ROUNDS = Number(args.get('rounds') ?? 7);
const WARMUP = 2;
const ONLY = new Set((args.get('only') ?? 'memory,churn,steady,scale').split(','));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const noop = () => {};

/** Deterministic PRNG (mulberry32), so both sides see the same delays. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentiles(samples, count) {
  const sorted = Float64Array.from(samples.subarray(0, count)).sort();
  const at = (p) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor(p * count))]);
  return { n: count, p50: at(0.5), p99: at(0.99), max: count === 0 ? NaN : sorted[count - 1] };
}

function heapBytes() {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const round = (x, digits = 2) => Number(x.toFixed(digits));
const log = (...parts) => console.log(...parts);

// ---------------------------------------------------------------------------------------------
// 1. memory
// ---------------------------------------------------------------------------------------------
async function memory() {
  // 1,000 distinct durations (1 s … 38 s): Node groups timers by duration, so few durations is
  // the favourable case for Node. Both sides call one shared function; ours also carries a
  // per-timer argument. Handles are kept in storage allocated before the baseline, so only the
  // timers themselves are measured; `keep` holds everything alive until after the measurement.
  const delay = (i) => 1000 + (i % 1000) * 37;
  const keep = [];
  const timeouts = new Array(MEMORY_N).fill(null);
  let before = heapBytes();
  for (let i = 0; i < MEMORY_N; i++) timeouts[i] = setTimeout(noop, delay(i));
  const node = (heapBytes() - before) / MEMORY_N;
  for (let i = 0; i < MEMORY_N; i++) clearTimeout(timeouts[i]);
  timeouts.fill(null);
  await sleep(1);

  const handles = new Float64Array(MEMORY_N);
  keep.push(handles);
  before = heapBytes();
  const wheel = new TimerWheel();
  keep.push(wheel);
  for (let i = 0; i < MEMORY_N; i++) handles[i] = wheel.start(delay(i), noop, i);
  const ours = (heapBytes() - before) / MEMORY_N;
  const capacity = wheel.capacity;
  wheel.close();
  keep.length = 0;
  await sleep(1);

  const result = { bytesPerTimer: round(ours, 1), nodeBytesPerTimer: round(node, 1) };
  result.memoryRatio = round(result.bytesPerTimer / result.nodeBytesPerTimer, 3);
  log(
    `memory  ${MEMORY_N} pending: ours ${result.bytesPerTimer} B/timer (wheel capacity ${capacity}), node ${result.nodeBytesPerTimer} B/timer → ratio ${result.memoryRatio}`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// 2. churn
// ---------------------------------------------------------------------------------------------
async function churn() {
  const next = random(1);
  const delays = new Float64Array(CHURN_N);
  for (let i = 0; i < CHURN_N; i++) delays[i] = 100 + Math.floor(next() * 99_900); // 100 ms … 100 s
  const handles = new Float64Array(CHURN_N);
  const timeouts = new Array(CHURN_N).fill(null);
  const wheel = new TimerWheel();
  const ours = [];
  const node = [];
  // Each side in its own block (WARMUP rounds for JIT and array growth, then ROUNDS measured
  // rounds), so neither runs in the other's cache and GC aftermath; medians are compared.
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHURN_N; i++) handles[i] = wheel.start(delays[i], noop, i);
    for (let i = 0; i < CHURN_N; i++) wheel.cancel(handles[i]);
    const ns = Number(process.hrtime.bigint() - t0) / CHURN_N;
    if (r >= WARMUP) ours.push(ns);
    await sleep(1);
  }
  gc();
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHURN_N; i++) timeouts[i] = setTimeout(noop, delays[i]);
    for (let i = 0; i < CHURN_N; i++) clearTimeout(timeouts[i]);
    const ns = Number(process.hrtime.bigint() - t0) / CHURN_N;
    timeouts.fill(null);
    if (r >= WARMUP) node.push(ns);
    await sleep(1);
  }
  gc();
  wheel.close();
  const result = { churnNsPerOp: round(median(ours)), nodeChurnNsPerOp: round(median(node)) };
  result.churnSpeedup = round(result.nodeChurnNsPerOp / result.churnNsPerOp);
  log(
    `churn   ${CHURN_N} start+cancel, delays 100 ms–100 s, median of ${ROUNDS}: ours ${result.churnNsPerOp} ns/op, node ${result.nodeChurnNsPerOp} ns/op → ×${result.churnSpeedup}`,
  );
  log(
    `        rounds ours [${ours.map((x) => x.toFixed(0)).join(', ')}] node [${node.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// 3. steady state
// ---------------------------------------------------------------------------------------------
/**
 * Runs the same load against `impl`: STEADY_PENDING long timers (60–600 s, they never fire
 * here), then every 10 ms a batch of STEADY_RATE/100 timers of 100–2,000 ms of which 90 % are
 * cancelled 50 ms later. Lateness is measured from each timer's requested deadline (batch start
 * + delay) to its callback.
 */
async function steady(name, makeImpl) {
  const next = random(7);
  const total = Math.ceil(STEADY_RATE * STEADY_SECONDS) + STEADY_RATE;
  const deadline = new Float64Array(total);
  const lateness = new Float64Array(total);
  let fired = 0;
  const onFire = (id) => {
    lateness[fired++] = performance.now() - deadline[id];
  };
  const impl = makeImpl(onFire);
  const prefill = new Array(STEADY_PENDING);
  for (let i = 0; i < STEADY_PENDING; i++)
    prefill[i] = impl.startLong(60_000 + Math.floor(next() * 540_000));
  gc();
  await sleep(50);

  const perBatch = Math.round(STEADY_RATE / 100);
  const ring = []; // batches waiting for their 90 % cancellation
  let id = 0;
  let cancelled = 0;
  const end = performance.now() + STEADY_SECONDS * 1000;
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve) => {
    const generator = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(generator);
        resolve();
        return;
      }
      // Each side keeps its handles the natural way (numbers in a reused Float64Array for the
      // wheel, Timeout objects in an array for Node), so the generator adds no garbage of its own.
      const batch = impl.batch(perBatch);
      let kept = 0;
      for (let k = 0; k < perBatch; k++) {
        const delay = 100 + Math.floor(next() * 1900);
        deadline[id] = now + delay;
        const handle = impl.start(delay, id++);
        if (k % 10 !== 0) batch[kept++] = handle; // 9 in 10 will be cancelled
      }
      ring.push([batch, kept]);
      if (ring.length > 5) {
        const [old, count] = ring.shift();
        for (let k = 0; k < count; k++) impl.cancel(old[k]);
        cancelled += count;
        impl.release(old);
      }
    }, 10);
  });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPercent = ((cpu.user + cpu.system) / 1000 / (STEADY_SECONDS * 1000)) * 100;
  for (const [batch, count] of ring) for (let k = 0; k < count; k++) impl.cancel(batch[k]);
  // Let the remaining uncancelled short timers fire.
  await sleep(2100);
  const stats = { ...percentiles(lateness, fired), cpuPercent };
  impl.close(prefill);
  log(
    `steady  ${name}: ${STEADY_PENDING} pending + ${STEADY_RATE}/s for ${STEADY_SECONDS} s (${id} started, ${cancelled} cancelled, ${stats.n} fired): ` +
      `lateness p50 ${stats.p50.toFixed(3)} ms, p99 ${stats.p99.toFixed(3)} ms, max ${stats.max.toFixed(3)} ms; process CPU ${cpuPercent.toFixed(0)} %`,
  );
  return stats;
}

function wheelImpl(onFire) {
  const wheel = new TimerWheel();
  const pool = [];
  return {
    batch: (n) => pool.pop() ?? new Float64Array(n),
    release: (batch) => pool.push(batch),
    startLong: (delay) => wheel.start(delay, noop, 0),
    start: (delay, id) => wheel.start(delay, onFire, id),
    cancel: (handle) => wheel.cancel(handle),
    close: () => wheel.close(),
  };
}

function nodeImpl(onFire) {
  return {
    batch: (n) => new Array(n),
    release: () => {},
    startLong: (delay) => setTimeout(noop, delay),
    start: (delay, id) => setTimeout(onFire, delay, id),
    cancel: (handle) => clearTimeout(handle),
    close: (prefill) => {
      for (const t of prefill) clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 4. scale: 10M pending
// ---------------------------------------------------------------------------------------------
async function scale() {
  const SECONDS = 3;
  const PER_BATCH = 100; // short timers started every 10 ms while the 10M are pending
  const next = random(11);
  const total = (SECONDS * 100 + 10) * PER_BATCH;
  const deadline = new Float64Array(total);
  const lateness = new Float64Array(total);
  let fired = 0;
  const onFire = (id) => {
    if (id >= 0) lateness[fired++] = performance.now() - deadline[id];
  };
  const keep = [];
  const before = heapBytes();
  const wheel = new TimerWheel();
  keep.push(wheel);
  const t0 = performance.now();
  for (let i = 0; i < SCALE_N; i++)
    wheel.start(600_000 + Math.floor(next() * 3_000_000), onFire, -1); // 10 min … 1 h
  const startSeconds = (performance.now() - t0) / 1000;
  const bytes = (heapBytes() - before) / SCALE_N;
  const pending = wheel.size;
  await sleep(100);

  let id = 0;
  const end = performance.now() + SECONDS * 1000;
  await new Promise((resolve) => {
    const generator = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(generator);
        resolve();
        return;
      }
      for (let k = 0; k < PER_BATCH; k++) {
        const delay = 50 + next() * 950;
        deadline[id] = now + delay;
        wheel.start(delay, onFire, id++);
      }
    }, 10);
  });
  await sleep(1100);
  const stats = percentiles(lateness, fired);
  const capacity = wheel.capacity;
  wheel.close();
  keep.length = 0;
  log(
    `scale   ${pending} pending (started in ${startSeconds.toFixed(1)} s): ${bytes.toFixed(1)} B/timer (capacity ${capacity}); ` +
      `${stats.n}/${id} timers of 50–1000 ms started meanwhile fired, lateness p50 ${stats.p50.toFixed(3)} ms, p99 ${stats.p99.toFixed(3)} ms, max ${stats.max.toFixed(3)} ms`,
  );
  return {
    tenMillionBytesPerTimer: round(bytes, 1),
    tenMillionLateP99Ms: round(stats.p99, 3),
    tenMillionFired: stats.n,
    tenMillionStartSeconds: round(startSeconds, 1),
  };
}

// ---------------------------------------------------------------------------------------------
log(`@aem/timers benchmark — node ${process.version}, ${process.arch}`);
const memoryResult = ONLY.has('memory') ? await memory() : {};
const churnResult = ONLY.has('churn') ? await churn() : {};
let ours = { p50: NaN, p99: NaN, max: NaN };
let node = ours;
if (ONLY.has('steady')) {
  ours = await steady('ours', wheelImpl);
  gc();
  await sleep(100);
  node = await steady('node', nodeImpl);
  gc();
  await sleep(100);
}
const scaleResult = ONLY.has('scale') ? await scale() : {};

const result = {
  ...churnResult,
  ...memoryResult,
  lateP50Ms: round(ours.p50, 3),
  lateP99Ms: round(ours.p99, 3),
  lateMaxMs: round(ours.max, 3),
  nodeLateP50Ms: round(node.p50, 3),
  nodeLateP99Ms: round(node.p99, 3),
  nodeLateMaxMs: round(node.max, 3),
  steadyCpuPercent: round(ours.cpuPercent ?? NaN, 0),
  nodeSteadyCpuPercent: round(node.cpuPercent ?? NaN, 0),
  tickMs: 1,
  ...scaleResult,
};
result.targetsMet = {
  churnSpeedup: result.churnSpeedup >= 10,
  memoryRatio: result.memoryRatio <= 0.33,
  lateP99Ms: result.lateP99Ms <= 2,
  tenMillionBytesPerTimer: result.tenMillionBytesPerTimer <= 64,
  tenMillionLateP99Ms: result.tenMillionLateP99Ms <= 5,
};
if (result.churnNsPerOp !== undefined && result.bytesPerTimer !== undefined) {
  writeChart(
    new URL('results/timers.svg', import.meta.url).pathname,
    barChart({
      title: `@aem/timers: the wheel against Node's timers (node ${process.version})`,
      y: { label: 'ns per start + cancel · bytes per pending timer' },
      groups: [
        {
          label: `start + cancel, ns/op (×${result.churnSpeedup})`,
          bars: [
            { name: '@aem/timers wheel', value: result.churnNsPerOp },
            { name: 'setTimeout/clearTimeout', value: result.nodeChurnNsPerOp },
          ],
        },
        {
          label: `memory, B/timer (ratio ${result.memoryRatio})`,
          bars: [
            { name: '@aem/timers wheel', value: result.bytesPerTimer },
            { name: 'setTimeout/clearTimeout', value: result.nodeBytesPerTimer },
          ],
        },
      ],
    }),
  );
}
console.log(`BENCH timers ${JSON.stringify(result)}`);
