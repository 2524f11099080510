#!/usr/bin/env node
// Reads what the test VM wrote (results.txt from ttyS1, console.log from
// ttyS0), prints the TAP results, checks dmesg, and writes the per-project
// JSON that tools/run-tests.mjs sums up.  Exits 1 on any failure.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    dir: { type: 'string' },
    'qemu-rc': { type: 'string', default: '0' },
    seconds: { type: 'string', default: '0' },
    'vm-seconds': { type: 'string', default: '0' },
    'vm-limit': { type: 'string', default: '0' },
    tests: { type: 'string' },
    skipped: { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
  },
});

// --tests is name:limit,… (each suite's time limit in seconds; a bare name has none stated).
const limits = new Map(
  (opt.tests ? opt.tests.split(',') : []).map((entry) => {
    const [name, limit] = entry.split(':');
    return [name, limit ? Number(limit) : null];
  }),
);
const expected = ['load', ...limits.keys(), 'unload'];
// Kernel messages that fail the run wherever they appear.
const BAD = [
  /\bBUG[: ]/, /WARNING:/, /\bOops\b/, /general protection fault/, /Kernel panic/,
  /Call Trace:/, /kmemleak/i, /\bleaked\b/, /list_(add|del) corruption/, /refcount_t:/,
  /Poison overwritten|Redzone|Object padding overwritten|Freepointer corrupt/,
  /soft lockup|hard LOCKUP|rcu_\w+ (self-)?detected stall/, /blocked for more than/,
  /UBSAN/, /segfault at/, /unable to handle/i,
];

const read = (name) => {
  const path = join(opt.dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8').replace(/\r/g, '') : '';
};
const results = read('results.txt').split('\n');
const consoleLog = read('console.log');

let passed = 0;
const skipped = [...opt.skipped];
const failures = [];
const sections = new Map();
let current = null;
let dmesg = null;
let vmEnd = false;

for (const line of results) {
  let m;
  if ((m = /^AEM-TAP-BEGIN (\S+)/.exec(line))) {
    current = { name: m[1], lines: [], plan: null, oks: 0, rc: null, count: 0, seconds: null };
    sections.set(m[1], current);
    console.log(`---- ${m[1]}`);
  } else if ((m = /^AEM-TAP-END (\S+) (\d+)/.exec(line))) {
    if (current) current.rc = Number(m[2]);
    current = null;
  } else if (line === 'AEM-DMESG-BEGIN') {
    dmesg = [];
  } else if (line === 'AEM-DMESG-END') {
    // keep dmesg as collected
  } else if (line === 'AEM-VM-END') {
    vmEnd = true;
  } else if (dmesg && !vmEnd && !current) {
    dmesg.push(line);
  } else if (current) {
    console.log(line);
    if ((m = /^# (\S+) took ([\d.]+) s$/.exec(line)) && m[1] === current.name) {
      current.seconds = Number(m[2]);
    } else if ((m = /^(not )?ok (\d+) - (.*)$/.exec(line))) {
      current.count++;
      const name = `${current.name}: ${m[3].replace(/\s*# SKIP.*$/, '')}`;
      if (/# SKIP/.test(m[3])) skipped.push(`${name} — ${m[3].replace(/^.*# SKIP\s*/, '')}`);
      else if (m[1]) failures.push(name);
      else passed++;
    } else if ((m = /^1\.\.(\d+)/.exec(line))) {
      current.plan = Number(m[1]);
    } else if (/^Bail out!/.test(line)) {
      failures.push(`${current.name}: ${line}`);
    }
  } else if (line.startsWith('AEM-VM-BEGIN')) {
    console.log(`== guest: ${line.slice(13)}`);
  }
}

// The suite that was running when the VM stopped: the last one begun and not ended.
const vmLimit = Number(opt['vm-limit']);
const vmTimedOut = opt['qemu-rc'] === '124' || opt['qemu-rc'] === '137';
for (const name of expected) {
  const s = sections.get(name);
  const limit = limits.get(name);
  if (!s) failures.push(`${name}: did not run (the VM stopped before it)`);
  else if (s.rc === null)
    failures.push(
      vmTimedOut
        ? `${name}: still running when the whole VM reached its limit of ${vmLimit} s`
        : `${name}: did not finish (the guest crashed or powered off; see console.log)`,
    );
  else if (s.rc === 137 && limit)
    failures.push(`${name}: killed by its time limit of ${limit} s (took ${s.seconds ?? '?'} s)`);
  else if (s.plan === null || s.plan !== s.count)
    failures.push(`${name}: plan ${s.plan} but ${s.count} results (exit ${s.rc})`);
  else if (s.rc !== 0 && !failures.some((f) => f.startsWith(`${name}: `)))
    failures.push(`${name}: exited ${s.rc}`);
}
if (!vmEnd) failures.push(`vm: did not reach the end (qemu exit ${opt['qemu-rc']}; see ${join(opt.dir, 'console.log')})`);

const dmesgText = (dmesg ?? []).join('\n');
writeFileSync(join(opt.dir, 'dmesg.txt'), dmesgText + '\n');
const bad = [...dmesgText.split('\n'), ...consoleLog.split('\n')].filter((l) =>
  BAD.some((re) => re.test(l)),
);
if (dmesg === null) failures.push('dmesg: not collected');
if (bad.length > 0) {
  failures.push(`dmesg: no oops, BUG, WARNING or leak report (found: ${bad[0].trim()})`);
  console.log('---- bad kernel messages');
  for (const l of bad.slice(0, 40)) console.log(l);
} else if (dmesg !== null) passed++;

const report = { project: '@aem/kmod', passed, failed: failures.length, skipped, failures };
if (opt.json) {
  mkdirSync(dirname(opt.json), { recursive: true });
  writeFileSync(opt.json, JSON.stringify(report));
}
// Every suite's time against its limit: the figures the limits are derived from.
console.log('---- kmod VM suite times (seconds, limit)');
const times = [...limits.keys()]
  .map((name) => {
    const s = sections.get(name);
    const limit = limits.get(name);
    const took = s?.seconds == null ? (s ? 'unfinished' : 'not run') : `${s.seconds}`;
    return `${name} ${took}${limit ? `/${limit}` : ''}`;
  })
  .join(', ');
console.log(times);
console.log(`vm: ${opt['vm-seconds']} s of its ${vmLimit} s limit`);
console.log('---- kmod VM test summary');
for (const f of failures) console.log(`FAILED: ${f}`);
console.log(`logs: ${opt.dir}/{results.txt,console.log,dmesg.txt}`);
console.log(`kmod: ${passed} passed, ${failures.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''} in ${opt.seconds} s`);
process.exitCode = failures.length > 0 ? 1 : 0;
