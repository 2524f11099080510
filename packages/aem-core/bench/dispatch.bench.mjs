// Dispatcher throughput against its natural peers, in one run (not a test; `npm run bench:core`).
//
// 1. sync handlers: N activations through the dispatcher (queued, priority-ordered, run from a
//    microtask) vs the same N payloads through `EventEmitter.emit` to one listener. Both sides
//    get them in bursts of BURST per event-loop turn — the shape in which a socket read or a
//    timer tick delivers work — and yield with `setImmediate` between bursts.
// 2. serialized async handlers: N activations spread over D domains whose handlers are async
//    (each domain runs one at a time) vs a hand-written per-key promise chain doing the same.
// Each figure is the median of ROUNDS rounds, after a warm-up round. Last line: BENCH core {json}.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createAem, defineCall, defineService } from '../dist/index.mjs';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const DOMAINS = 100;
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const turn = () => new Promise((resolve) => setImmediate(resolve));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** A service whose call hands its activation context to the benchmark. */
const sources = [];
const bench = defineService({
  name: 'bench',
  version: '1.0.0',
  calls: { feed: defineCall((ctx) => void sources.push(ctx)) },
});

const runtime = createAem({
  backend: 'userspace',
  limits: { maxQueuedActivations: N + 1, maxQueuePerDomain: N + 1 },
});
runtime.load(bench);
const binding = runtime.bind(bench);

async function measureEmitter() {
  const emitter = new EventEmitter();
  let sum = 0;
  emitter.on('data', (payload) => {
    sum += payload.n;
  });
  const payloads = Array.from({ length: 1024 }, (_, n) => ({ n }));
  const start = performance.now();
  for (let i = 0; i < N; i += BURST) {
    for (let j = i; j < i + BURST; j++) emitter.emit('data', payloads[j & 1023]);
    await turn();
  }
  const ms = performance.now() - start;
  if (sum === 0) throw new Error('listener did not run');
  return (N / ms) * 1000;
}

async function measureDispatcher() {
  let count = 0;
  sources.length = 0;
  const event = binding.call('feed', undefined, () => {
    count++;
  });
  const ctx = sources[0];
  const payloads = Array.from({ length: 1024 }, (_, n) => ({ n }));
  const start = performance.now();
  for (let i = 0; i < N; i += BURST) {
    for (let j = i; j < i + BURST; j++) ctx.activate(payloads[j & 1023]);
    await turn();
  }
  while (count < N) await turn();
  const ms = performance.now() - start;
  event.shutdown();
  return (N / ms) * 1000;
}

async function measureSerialized() {
  sources.length = 0;
  let count = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const events = [];
  for (let d = 0; d < DOMAINS; d++) {
    const domain = runtime.createDomain(`conn-${d}`, { maxQueue: N });
    events.push(
      binding.call(
        'feed',
        undefined,
        async () => {
          if (++count === N) done();
        },
        { domain },
      ),
    );
  }
  const ctxs = [...sources];
  const start = performance.now();
  for (let i = 0; i < N; i++) ctxs[i % DOMAINS].activate(i);
  await finished;
  const ms = performance.now() - start;
  for (const event of events) event.shutdown();
  return (N / ms) * 1000;
}

async function measurePromiseChain() {
  let count = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const chains = Array.from({ length: DOMAINS }, () => Promise.resolve());
  const handler = async () => {
    if (++count === N) done();
  };
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const key = i % DOMAINS;
    chains[key] = chains[key].then(() => handler(i));
  }
  await finished;
  return N / ((performance.now() - start) / 1000);
}

// The async measurements start from a collected heap (run with --expose-gc), so garbage left by
// one side (a million promises) is not charged to the other.
const collect = () => globalThis.gc?.();
const results = { emitter: [], dispatcher: [], serialized: [], chain: [] };
for (let round = 0; round <= ROUNDS; round++) {
  // No forced collection here: neither side of the sync pair leaves garbage worth charging,
  // and a full GC between rounds makes the next round start on a shrunken young generation.
  const e = await measureEmitter();
  const d = await measureDispatcher();
  if (round === 0) continue; // warm-up
  results.emitter.push(e);
  results.dispatcher.push(d);
}
for (let round = 0; round <= ROUNDS; round++) {
  collect();
  const s = await measureSerialized();
  collect();
  const c = await measurePromiseChain();
  if (round === 0) continue;
  results.serialized.push(s);
  results.chain.push(c);
}

const activationsPerSec = Math.round(median(results.dispatcher));
const eventEmitterPerSec = Math.round(median(results.emitter));
const serializedPerSec = Math.round(median(results.serialized));
const promiseChainPerSec = Math.round(median(results.chain));
const ratios = results.dispatcher.map((d, i) => d / results.emitter[i]);
const line = {
  activations: N,
  burst: BURST,
  rounds: ROUNDS,
  activationsPerSec,
  eventEmitterPerSec,
  ratio: Number(median(ratios).toFixed(3)),
  serializedPerSec,
  serializedDomains: DOMAINS,
  promiseChainPerSec,
  serializedRatio: Number((serializedPerSec / promiseChainPerSec).toFixed(3)),
  stats: runtime.stats(),
};
runtime.close();
console.log(
  `sync handlers:       ${activationsPerSec.toLocaleString()} activations/s   EventEmitter: ${eventEmitterPerSec.toLocaleString()} emits/s   ratio ${line.ratio}`,
);
console.log(
  `serialized (async):  ${serializedPerSec.toLocaleString()} activations/s   promise chain: ${promiseChainPerSec.toLocaleString()} /s   ratio ${line.serializedRatio}`,
);
delete line.stats;
console.log(`BENCH core ${JSON.stringify(line)}`);
