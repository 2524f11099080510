#!/usr/bin/env node
// `npm run bench:scale`: what every core and a store cost.
//
// 1. Calls: the highest rate with zero failed calls of sipp's `uac` over UDP with a socket per
//    call (-t un) against apps/sip-uas with SIP_WORKERS=1 and =2 (each worker binds the port
//    with reusePort; the kernel spreads the datagrams over them by source address and port), and
//    against Kamailio with as many UDP workers (-n, its `children`). Then every configuration
//    once more at one common rate (three quarters of the lower of the app's two maxima, so that
//    neither configuration runs at its edge), each on a fresh server
//    after an unmeasured warm-up at that rate, to compare the server's steady-state CPU per call
//    at equal load: the sum over its whole process tree (the primary and its
//    workers, Kamailio's children) from /proc, in µs per successful call. On 2 cores the load
//    generator competes with the server, so sipp's CPU is printed beside. Last, one worker at
//    half the common rate — the share each of two workers carries — since a Node worker's CPU
//    per call grows as its load falls (fixed costs per event-loop turn and per second spread
//    over fewer calls): that step shows
//    how much of the two workers' extra CPU per call is that, not a cost of having two. And the
//    node:dgram floor (bench/dgram-floor-server.mjs: the same datagrams, no SIP stack) with 1 and
//    2 workers at the common rate: the ratio node:dgram processes show with no SIP code at all.
//    The equal-load steps run in BENCH_SCALE_EQUAL_ROUNDS rounds (default 3), each round every
//    configuration once, and each figure is that configuration's median round (every round's
//    CPU per call is in the line too): one 5 s step is at the mercy of the shared host.
//
//    Why not sipp -t tn (a TCP connection per call), as issue #20 first asked: sipp closes each
//    connection itself, so every call leaves a TIME_WAIT socket on sipp's side for 60 s, and sipp
//    binds its local address before connecting, a port choice that never reuses a TIME_WAIT port
//    (tcp_tw_reuse applies to connect()'s own choice only). The 28,232 ports of the default
//    ip_local_port_range last 28,232 calls a minute: the ramp's later steps completed 0 calls,
//    Kamailio's as well. Before that, sipp's single thread saturated at 1,000–1,500 calls/s
//    (80–96 % of a core for connect, close and the per-socket poll set) while the server idled.
//    Over UDP a call's socket is closed without TIME_WAIT, and the load comes from
//    BENCH_SCALE_SIPPS sipp processes (default 2), each from its own loopback address
//    (127.0.0.2, .3 …) with an equal share of the rate, so neither one sipp's thread nor one
//    address's ports bound the load. The flood guard allows 127.0.0.0/8 here (its default allows
//    only 127.0.0.1): one address placing thousands of calls a second is what it bans.
// 2. REGISTERs: the highest rate with zero failures of sipp/register-once.xml (one REGISTER per
//    call, a fresh address of record each, over one UDP socket) against one worker with the
//    embedded journal and with Redis (a redis-server started here).
//
// A step at rate R places R × BENCH_SCALE_SECONDS calls and passes when every sipp exits 0,
// every call succeeded and at most 200 ms worth of calls were in progress at once. Rates go up
// by BENCH_SCALE_STEP (default 1,000) until a step fails, then by a quarter of it from the last
// passing rate; a second between steps. Needs sipp, kamailio and redis-server.
//
// Environment: BENCH_SCALE_EQUAL_ROUNDS (default 3), BENCH_SCALE_SECONDS (per step, default 5), BENCH_SCALE_WARMUP_SECONDS (the
// warm-up before an equal-load step, default 3), BENCH_SCALE_MAX_RATE (default
// 30,000), BENCH_SCALE_STEP (default 1,000), BENCH_SCALE_SIPPS (default 2), BENCH_SCALE_PARTS
// (default `calls,register`: which parts run; the fields of a part that did not run are null).
//
// Last line: BENCH scale {"cps1", "cps2", "cpuPerCall1Us", "cpuPerCall2Us", "sippCpu1",
// "sippCpu2", "commonRate", "kamailioCps1", "kamailioCps2", "kamailioCpuPerCall1Us",
// "kamailioCpuPerCall2Us", "cpuPerCall1HalfRateUs", "floorCpuPerCall1Us", "floorCpuPerCall2Us",
// "floorCpuRatio", "regPerSecEmbedded", "regPerSecRedis", …}.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import runner from '../sipp/run-sipp.cjs';
import {
  freePort,
  sippStep,
  startDgramFloor,
  startKamailioUas,
  startSipUas,
} from './bench-processes.mjs';
import { rampUp as ramp } from './ramp.mjs';

const { which } = runner;

const appDir = new URL('..', import.meta.url).pathname;
const seconds = Number(process.env.BENCH_SCALE_SECONDS ?? 5);
const maxRate = Number(process.env.BENCH_SCALE_MAX_RATE ?? 30_000);
const stepRate = Number(process.env.BENCH_SCALE_STEP ?? 1_000);
/** The unmeasured warm-up before each equal-load step (s). */
const warmUpSeconds = Number(process.env.BENCH_SCALE_WARMUP_SECONDS ?? 3);
const sipps = Number(process.env.BENCH_SCALE_SIPPS ?? 2);
/** Rounds of the equal-load steps (each configuration once per round; medians reported). */
const equalRounds = Number(process.env.BENCH_SCALE_EQUAL_ROUNDS ?? 3);
const parts = (process.env.BENCH_SCALE_PARTS ?? 'calls,register').split(',');
/** The sipp processes' local addresses for the call part: 127.0.0.2, 127.0.0.3 … */
const sources = Array.from({ length: sipps }, (_, i) => `127.0.0.${i + 2}`);

for (const tool of ['sipp', 'kamailio', 'redis-server']) {
  if (which(tool) === undefined) {
    console.error(`bench:scale needs ${tool} (Debian packages sip-tester, kamailio, redis-server)`);
    process.exit(1);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'sip-scale-bench-'));
// -max_socket stays under the usual open-file limit (sipp refuses to start above it).
const uac = ['-sn', 'uac', '-t', 'un', '-max_socket', '10000'];
/** The app for the call part: no store, the flood guard allowing the sipps' addresses. */
const callApp = (workers) => () =>
  startApp({ SIP_WORKERS: `${workers}`, SIP_FLOOD_ALLOW: '127.0.0.0/8' }, 'udp');
const kamailio = (workers) => () => startKamailioUas('udp', { children: workers });
const registerOnce = ['-sf', join(appDir, 'sipp', 'register-once.xml'), '-t', 'u1'];

try {
  const calls = parts.includes('calls') ? await callPart() : undefined;
  const register = parts.includes('register') ? await registerPart() : undefined;
  const ratio = (a, b) => (a > 0 && b !== undefined ? Number((b / a).toFixed(3)) : null);
  const result = {
    cps1: calls?.app1.cps ?? null,
    cps2: calls?.app2.cps ?? null,
    commonRate: calls?.commonRate ?? null,
    cpuPerCall1Us: calls?.equal1.cpuPerCallUs ?? null,
    cpuPerCall2Us: calls?.equal2.cpuPerCallUs ?? null,
    cpuRatio: ratio(calls?.equal1.cpuPerCallUs, calls?.equal2.cpuPerCallUs),
    // Each round's CPU per call: [1 worker, 2 workers] per round, for the spread behind the medians.
    cpuPerCallRounds:
      calls === undefined
        ? null
        : calls.equal1.rounds.map((one, i) => [one, calls.equal2.rounds[i]]),
    floorCpuPerCallRounds:
      calls === undefined
        ? null
        : calls.floorEqual1.rounds.map((one, i) => [one, calls.floorEqual2.rounds[i]]),
    equalRounds: calls === undefined ? null : equalRounds,
    // One worker at half the common rate: the load each of the two workers carries above.
    cpuPerCall1HalfRateUs: calls?.equal1Half.cpuPerCallUs ?? null,
    // Whether every equal-load step passed (no failure, no pile-up): if not, its CPU is suspect.
    equalLoadPassed:
      calls === undefined
        ? null
        : [
            calls.equal1,
            calls.equal2,
            calls.equal1Half,
            calls.kamailioEqual1,
            calls.kamailioEqual2,
            calls.floorEqual1,
            calls.floorEqual2,
          ].every((step) => step.pass),
    serverCpu1: calls?.equal1.serverCpu ?? null,
    serverCpu2: calls?.equal2.serverCpu ?? null,
    sippCpu1: calls?.equal1.sippCpu ?? null,
    sippCpu2: calls?.equal2.sippCpu ?? null,
    kamailioCps1: calls?.kamailio1.cps ?? null,
    kamailioCps2: calls?.kamailio2.cps ?? null,
    kamailioCpuPerCall1Us: calls?.kamailioEqual1.cpuPerCallUs ?? null,
    kamailioCpuPerCall2Us: calls?.kamailioEqual2.cpuPerCallUs ?? null,
    kamailioCpuRatio: ratio(calls?.kamailioEqual1.cpuPerCallUs, calls?.kamailioEqual2.cpuPerCallUs),
    // The node:dgram floor (bench/dgram-floor-server.mjs: the same datagrams, no SIP stack) with
    // 1 and 2 workers at the common rate: how much of cpuRatio node:dgram's processes cost alone.
    floorCpuPerCall1Us: calls?.floorEqual1.cpuPerCallUs ?? null,
    floorCpuPerCall2Us: calls?.floorEqual2.cpuPerCallUs ?? null,
    floorCpuRatio: ratio(calls?.floorEqual1.cpuPerCallUs, calls?.floorEqual2.cpuPerCallUs),
    kamailioSippCpu1: calls?.kamailioEqual1.sippCpu ?? null,
    kamailioSippCpu2: calls?.kamailioEqual2.sippCpu ?? null,
    regPerSecEmbedded: register?.embedded.cps ?? null,
    regPerSecRedis: register?.redis.cps ?? null,
    regRatio: ratio(register?.embedded.cps, register?.redis.cps),
    sipps: calls === undefined ? null : sipps,
    secondsPerStep: seconds,
    steps: {
      app1: calls?.app1.steps ?? [],
      app2: calls?.app2.steps ?? [],
      kamailio1: calls?.kamailio1.steps ?? [],
      kamailio2: calls?.kamailio2.steps ?? [],
      registerEmbedded: register?.embedded.steps ?? [],
      registerRedis: register?.redis.steps ?? [],
    },
  };
  if (calls !== undefined) {
    const { app1, app2, equal1, equal2, kamailio1, kamailio2, commonRate } = calls;
    const { kamailioEqual1: k1, kamailioEqual2: k2 } = calls;
    console.log(
      `\ncalls (UDP, -t un, ${sipps} sipps): 1 worker ${app1.cps}/s, 2 workers ${app2.cps}/s; ` +
        `Kamailio ${kamailio1.cps}/s and ${kamailio2.cps}/s\n` +
        `server CPU per call at ${commonRate}/s: 1 worker ${equal1.cpuPerCallUs} µs, 2 workers ${equal2.cpuPerCallUs} µs ` +
        `(sipp ${equal1.sippCpu}% / ${equal2.sippCpu}%); Kamailio ${k1.cpuPerCallUs} µs, ${k2.cpuPerCallUs} µs\n` +
        `1 worker at ${calls.equal1Half.rate}/s (each worker's share above): ${calls.equal1Half.cpuPerCallUs} µs\n` +
        `node:dgram floor at ${commonRate}/s: 1 worker ${calls.floorEqual1.cpuPerCallUs} µs, 2 workers ${calls.floorEqual2.cpuPerCallUs} µs`,
    );
  }
  if (register !== undefined) {
    console.log(`REGISTERs: journal ${register.embedded.cps}/s, Redis ${register.redis.cps}/s`);
  }
  console.log(`BENCH scale ${JSON.stringify(result)}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** The call part: ramps and equal-load steps of the app and Kamailio with 1 and 2 workers. */
async function callPart() {
  const app1 = await rampUp('sip-uas 1 worker', callApp(1), uac, sources);
  const app2 = await rampUp('sip-uas 2 workers', callApp(2), uac, sources);
  const kamailio1 = await rampUp('kamailio 1 udp worker', kamailio(1), uac, sources);
  const kamailio2 = await rampUp('kamailio 2 udp workers', kamailio(2), uac, sources);
  // Three quarters of the lower maximum, on the ramp's fine grid: at a maximum itself one of the
  // reruns overloads about every other time (a ramp's last passing step passed once), and the
  // CPU per call then counts the retransmissions of the calls that piled up.
  const quarter = stepRate / 4;
  const commonRate = Math.max(
    quarter,
    Math.round((0.75 * Math.min(app1.cps, app2.cps)) / quarter) * quarter,
  );
  // Every equal-load configuration once per round, the rounds one after another, so that a burst
  // of other work on the host lands on one round of each, not on every step of one
  // configuration; each figure is its configuration's median round.
  const configs = {
    equal1: ['sip-uas 1 worker', callApp(1), commonRate],
    equal2: ['sip-uas 2 workers', callApp(2), commonRate],
    equal1Half: ['sip-uas 1 worker', callApp(1), Math.round(commonRate / 2)],
    kamailioEqual1: ['kamailio 1 udp worker', kamailio(1), commonRate],
    kamailioEqual2: ['kamailio 2 udp workers', kamailio(2), commonRate],
    floorEqual1: ['node:dgram floor 1', () => startDgramFloor(1), commonRate],
    floorEqual2: ['node:dgram floor 2', () => startDgramFloor(2), commonRate],
  };
  const rounds = Object.fromEntries(Object.keys(configs).map((key) => [key, []]));
  for (let round = 1; round <= equalRounds; round++) {
    for (const [key, [name, start, rate]] of Object.entries(configs)) {
      rounds[key].push(await once(`${name} (round ${round})`, start, rate));
    }
  }
  const equal = Object.fromEntries(
    Object.entries(rounds).map(([key, steps]) => [key, medianStep(steps)]),
  );
  return { app1, app2, kamailio1, kamailio2, commonRate, ...equal };
}

/**
 * The round with the median CPU per call (its other figures with it), with every round's CPU per
 * call (`rounds`) and `pass` only if every round passed.
 */
function medianStep(steps) {
  const sorted = [...steps].sort(
    (a, b) => (a.cpuPerCallUs ?? Infinity) - (b.cpuPerCallUs ?? Infinity),
  );
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    rounds: steps.map((step) => step.cpuPerCallUs),
    pass: steps.every((step) => step.pass),
  };
}

/** The REGISTER part: one worker with the embedded journal, then with Redis. */
async function registerPart() {
  const embedded = await rampUp(
    'REGISTER journal',
    () => startApp({ SIP_WORKERS: '1', SIP_STORE: join(scratch, 'bench.journal') }, 'udp'),
    registerOnce,
  );
  const redisServer = await startRedis();
  try {
    const redis = await rampUp(
      'REGISTER redis',
      () => startApp({ SIP_WORKERS: '1', SIP_STORE: redisServer.url }, 'udp'),
      registerOnce,
    );
    return { embedded, redis };
  } finally {
    await redisServer.stop();
  }
}

/** Steps the rate up against one server from `from` (bench/ramp.mjs, by BENCH_SCALE_STEP). */
function rampUp(name, start, scenario, from = ['127.0.0.1']) {
  return ramp(
    name,
    start,
    (server, rate) => sippStep(server, rate, seconds, scenario, from),
    maxRate,
    {
      stepRate,
      log,
    },
  );
}

/**
 * One call step at `rate` against a fresh server, after an unmeasured warm-up step at the same
 * rate: its CPU per call in the steady state. Without the warm-up the step also pays the
 * server's start-up — Node's JIT compiling the call path, the heap growing to its working size —
 * once per process: twice for two workers, and not at all for Kamailio's compiled code.
 */
async function once(name, start, rate) {
  const server = await start();
  try {
    await sippStep(server, rate, warmUpSeconds, uac, sources);
    await sleep(1000);
    const step = await sippStep(server, rate, seconds, uac, sources);
    log(`${name} (equal load)`, step);
    return step;
  } finally {
    await server.stop();
  }
}

function log(name, step) {
  console.log(
    `${name.padEnd(24)} ${String(step.rate).padStart(6)}/s → ${step.successful} ok, ${step.failed} failed, ` +
      `at most ${step.maxCurrentCalls} in progress, CPU server ${step.serverCpu}% ` +
      `(${step.cpuPerCallUs} µs/call) sipp ${step.sippCpu}%` +
      (step.pass ? '' : '  FAIL'),
  );
}

/**
 * Starts the built app on a free port with `env` (workers, store); ready when it answers over
 * `transport` — with workers, once the primary printed its listening line (all workers serve).
 */
function startApp(env, transport = 'tcp') {
  return startSipUas({ env, transport });
}

/** A redis-server on a free port, no persistence (the app's test/redis-server.ts, for the bench). */
async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  for (let i = 0; !output.includes('Ready to accept connections'); i++) {
    if (child.exitCode !== null || i > 200)
      throw new Error(`redis-server did not start:\n${output}`);
    await sleep(50);
  }
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
