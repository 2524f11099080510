// SPDX-License-Identifier: GPL-2.0-only OR MIT
// Timer events per second delivered into JavaScript handlers: through the AEM ring (one
// native->JS call per wake-up, a batch of records in a Float64Array, one JS handler call per
// record) against one timerfd per timer (one read() and one native->JS call per expiry).
// Both sides run the same timers (count, period, stagger) for the same time, with the load set
// above what either can deliver; run inside the test VM by `npm run bench:kmod`.
//
//   node kmod.bench.mjs [timers] [periodUs] [seconds]
// Prints TAP (one line) for the VM harness and, last, `BENCH kmod <json>`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { KmodDevice, TimerfdBaseline, FIELDS } = require('../index.js');

const [timers = 2000, periodUs = 1000, seconds = 3] = process.argv.slice(2).map(Number);
const periodNs = periodUs * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function measure(start) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return () => {
    const cpu = process.cpuUsage(c0);
    return {
      secs: Number(process.hrtime.bigint() - t0) / 1e9,
      cpuSec: (cpu.user + cpu.system) / 1e6,
      start,
    };
  };
}

async function runAem() {
  const device = new KmodDevice({ ringPages: 256, batch: 4096 });
  const service = device.lookup('timers', '1.0.0');
  let events = 0;
  let expirations = 0;
  const handler = (eventId, count) => {
    events++;
    expirations += count;
  };
  for (let i = 0; i < timers; i++) {
    device.timer(service, {
      initialNs: periodNs + Math.floor((periodNs * i) / timers),
      intervalNs: periodNs,
      userData: i,
    });
  }
  const done = measure();
  device.listen((count, records) => {
    for (let i = 0, o = 0; i < count; i++, o += FIELDS) handler(records[o], records[o + 4]);
  });
  await sleep(seconds * 1000);
  const { secs, cpuSec } = done();
  const { wakeups, records, dropped } = device.stats();
  device.close();
  return {
    eventsPerSec: events / secs,
    expirationsPerSec: expirations / secs,
    perWakeup: records / Math.max(1, wakeups),
    cpuSec,
    dropped,
  };
}

async function runBaseline() {
  let events = 0;
  let expirations = 0;
  const handler = (index, count) => {
    events++;
    expirations += count;
  };
  const done = measure();
  const baseline = new TimerfdBaseline(timers, periodNs, handler);
  await sleep(seconds * 1000);
  const { secs, cpuSec } = done();
  baseline.close();
  return { eventsPerSec: events / secs, expirationsPerSec: expirations / secs, cpuSec };
}

const r = (x) => Math.round(x);
const r2 = (x) => Math.round(x * 100) / 100;
console.log(`# kmod.bench: ${timers} timers every ${periodUs} us for ${seconds} s, each side`);
const base = await runBaseline();
await sleep(200);
const aem = await runAem();
console.log(
  `# aem:     ${r(aem.eventsPerSec)} events/s into JS (${r(aem.expirationsPerSec)} expirations/s), ` +
    `${aem.perWakeup.toFixed(1)} records per wake-up, ${aem.cpuSec.toFixed(2)} CPU s`,
);
console.log(
  `# timerfd: ${r(base.eventsPerSec)} events/s into JS (${r(base.expirationsPerSec)} expirations/s), ` +
    `${base.cpuSec.toFixed(2)} CPU s`,
);
console.log('ok 1 - benchmark ran');
console.log('1..1');
const bench = {
  layer: 'js',
  timers,
  periodUs,
  seconds,
  eventsPerSec: r(aem.eventsPerSec),
  baselineEventsPerSec: r(base.eventsPerSec),
  ratio: r2(aem.eventsPerSec / base.eventsPerSec),
  recordsPerWakeup: Math.round(aem.perWakeup * 10) / 10,
  expirationsPerSec: r(aem.expirationsPerSec),
  baselineExpirationsPerSec: r(base.expirationsPerSec),
  cpuSec: r2(aem.cpuSec),
  baselineCpuSec: r2(base.cpuSec),
  eventsPerCpuSec: r((aem.eventsPerSec * seconds) / aem.cpuSec),
  baselineEventsPerCpuSec: r((base.eventsPerSec * seconds) / base.cpuSec),
  cpuRatio: r2(aem.eventsPerSec / aem.cpuSec / (base.eventsPerSec / base.cpuSec)),
  dropped: aem.dropped,
};
console.log(`BENCH kmod ${JSON.stringify(bench)}`);
