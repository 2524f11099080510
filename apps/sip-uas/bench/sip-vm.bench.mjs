#!/usr/bin/env node
// The kernel-backend part of `npm run bench:sip`, run inside the test VM (Debian's kernel under
// qemu with aem_core, aem_udp and aem_tcp loaded) by vm-init.sh's b_sip, which
// packages/aem-kmod/scripts/vm-bench-sip.sh starts (`npm run bench:sip:vm`): the highest
// zero-failure rate of sipp's `uac` over UDP against apps/sip-uas on the kmod backend
// (SIP_BACKEND=kmod: every datagram through aem_udp.ko), against the same server on the
// userspace backend (node:dgram) in the same guest, and against Kamailio answering statelessly
// (kamailio/stateless-uas.cfg), each ramped with bench/ramp.mjs and judged by sippStep exactly as
// on the host (every call succeeded, at most 200 ms worth of calls in progress).
//
// One server process each (the kmod backend serves one: SIP_WORKERS=1, and Kamailio gets one UDP
// worker, `-n 1`, to match) against one sipp on one socket (`-t u1`): with a single server
// process a socket per call spreads nothing, and the guest's second vCPU is left to sipp.
// Under TCG emulation everything runs 10–50× slower than on the host, so the absolute rates mean
// little; the ratios between servers measured in the same guest are the point. Each server first
// takes an uncounted warm-up (half the first step's rate for one step's time): under emulation a
// cold JIT alone made a fresh Node server fail its first step.
//
// Environment: BENCH_SIP_SECONDS (per step, default 5), BENCH_SIP_VM_STEP (the first rate and
// the coarse increment, default 100 calls/s), BENCH_SIP_MAX_RATE (default 5,000),
// BENCH_SIP_VM_SERVERS (default `kmod,userspace,kamailio`, Kamailio where it is installed: which
// servers run).
//
// Last line: BENCH sip-vm {"kmodUdpCps", "userspaceUdpCps", "kmodUdpRatio", "kamailioUdpCps",
// "kmodToKamailioUdpRatio", "userspaceToKamailioUdpRatio", "cpuPerCallUs", "cpus", "kernel", …}
// (the fields of a server that did not run are null).
import { readFileSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import runner from '../sipp/run-sipp.cjs';
import { sippStep, startKamailioUas, startSipUas } from './bench-processes.mjs';
import { rampUp } from './ramp.mjs';

const seconds = positive('BENCH_SIP_SECONDS', 5);
const stepRate = positive('BENCH_SIP_VM_STEP', 100);
const maxRate = positive('BENCH_SIP_MAX_RATE', 5_000);
// Kamailio where it was staged (vm-test.sh stages it with sipp when the host has it).
const hasKamailio = runner.which('kamailio') !== undefined;
if (!hasKamailio)
  console.log('kamailio: not in the guest (not installed on the host); not measured');
const servers = (
  process.env.BENCH_SIP_VM_SERVERS ?? `kmod,userspace${hasKamailio ? ',kamailio' : ''}`
).split(',');
for (const name of servers)
  if (!['kmod', 'userspace', 'kamailio'].includes(name))
    throw new Error(`BENCH_SIP_VM_SERVERS: unknown server ${JSON.stringify(name)}`);
/** A node start under emulation takes seconds; this bounds it (and Kamailio's). */
const startMs = 180_000;
const uac = ['-sn', 'uac', '-t', 'u1'];

/** Live aem_udp events in the guest: the kmod server must hold one, the userspace one none. */
const udpEvents = () => Number(readFileSync('/sys/module/aem_udp/refcnt', 'utf8'));

async function startApp(backend) {
  const server = await startSipUas({
    transport: 'udp',
    startMs,
    env: { SIP_BACKEND: backend, SIP_WORKERS: '1', SIP_FLOOD_ALLOW: '127.0.0.0/8' },
  });
  const events = udpEvents();
  if ((backend === 'kmod') !== events > 0) {
    await server.stop();
    throw new Error(`${backend}: ${events} aem_udp events (the kernel transport was not picked)`);
  }
  if (!server.output().includes(`backend ${backend}`)) {
    await server.stop();
    throw new Error(`${backend}: the listening line names another backend:\n${server.output()}`);
  }
  return server;
}

const start = {
  kmod: () => startApp('kmod'),
  userspace: () => startApp('userspace'),
  kamailio: () => startKamailioUas('udp', { children: 1, startMs }),
};
const warmRate = Math.max(1, Math.floor(stepRate / 2));
/** Starts a server and warms it up; the warm-up's result is printed, never counted. */
async function started(name) {
  const server = await start[name]();
  let warm;
  try {
    warm = await sippStep(server, warmRate, seconds, uac);
  } catch (error) {
    await server.stop();
    throw error;
  }
  console.log(
    `${name} udp warm-up ${warmRate} calls/s → ${warm.successful} ok, ${warm.failed} failed (not counted)`,
  );
  return server;
}
const results = {};
for (const name of servers) {
  results[name] = await rampUp(
    `${name} udp`,
    () => started(name),
    (server, rate) => sippStep(server, rate, seconds, uac),
    maxRate,
    { stepRate },
  );
}

const cps = (name) => results[name]?.cps ?? null;
const ratio = (a, b) => (cps(a) === null || !cps(b) ? null : round(cps(a) / cps(b)));
/** The passing step at `rate` of a server's ramp. */
const passedAt = (name, rate) => results[name]?.steps.find((s) => s.rate === rate && s.pass);
/** Server CPU per successful call at the highest rate both backends' ramps passed. */
const common = Math.max(
  0,
  ...(results.kmod?.steps ?? [])
    .filter((s) => s.pass && passedAt('userspace', s.rate))
    .map((s) => s.rate),
);
const cpuAt = (name) => passedAt(name, common)?.cpuPerCallUs ?? null;
const line = {
  kmodUdpCps: cps('kmod'),
  userspaceUdpCps: cps('userspace'),
  kmodUdpRatio: ratio('kmod', 'userspace'),
  kamailioUdpCps: cps('kamailio'),
  kmodToKamailioUdpRatio: ratio('kmod', 'kamailio'),
  userspaceToKamailioUdpRatio: ratio('userspace', 'kamailio'),
  cpuPerCallUs:
    common > 0 ? { rate: common, kmod: cpuAt('kmod'), userspace: cpuAt('userspace') } : null,
  cpus: availableParallelism(),
  kernel: release(),
  emulated: 'qemu TCG',
  workers: 1,
  kamailioWorkers: servers.includes('kamailio') ? 1 : null,
  sipp: '-t u1 × 1',
  secondsPerStep: seconds,
  stepRate,
  steps: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.steps])),
};
console.log(
  `\nUDP in the VM (${line.cpus} vCPUs, ${line.kernel}, emulated): sip-uas kmod ${line.kmodUdpCps} calls/s, ` +
    `userspace ${line.userspaceUdpCps} calls/s (kmod/userspace ${line.kmodUdpRatio}), Kamailio ${line.kamailioUdpCps} calls/s`,
);
console.log(`BENCH sip-vm ${JSON.stringify(line)}`);

function positive(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

function round(value, digits = 3) {
  return Number(value.toFixed(digits));
}
