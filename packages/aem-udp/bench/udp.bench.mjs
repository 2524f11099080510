// Benchmark stub of the udp service: publishes 1,000,000 events to one registration
// and prints activations per second. Compare with the natural peer in the same run when the
// service does real work. Run after `npm run build`.
import { createAem } from '@aem/core';
import { Udp } from '../dist/index.js';

const N = 1_000_000;
const runtime = createAem();
const client = Udp.load(runtime);
let received = 0;
client.on('bench', () => void received++);
const start = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  client.publish('bench', i);
  if (i % 8192 === 0) await new Promise((resolve) => setImmediate(resolve));
}
while (received < N) await new Promise((resolve) => setImmediate(resolve));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
runtime.close();
const figures = { activations: N, perSecond: Math.round(N / seconds) };
console.log(`${figures.perSecond} activations/s`);
console.log(`BENCH udp ${JSON.stringify(figures)}`);
