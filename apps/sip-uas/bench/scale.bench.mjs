#!/usr/bin/env node
// `npm run bench:scale`: what every core and a store cost.
//
// 1. Calls: the highest rate with zero failed calls of sipp's `uac` with a TCP connection per
//    call (-t tn, so the kernel spreads the connections over the workers' reusePort sockets)
//    against apps/sip-uas with SIP_WORKERS=1 and =2, and against Kamailio with the same number
//    of TCP workers (tcp_children). Then both app configurations once more at one common rate
//    (the lower of the two maxima) to compare the server's CPU per call at equal load: the sum
//    over the primary and its workers from /proc, in µs per successful call — on 2 cores sipp
//    competes with the server, so its CPU is printed beside.
// 2. REGISTERs: the highest rate with zero failures of sipp/register-once.xml (one REGISTER per
//    call, a fresh address of record each, over one UDP socket) against one worker with the
//    embedded journal and with Redis (a redis-server started here).
//
// A step at rate R places R × BENCH_SCALE_SECONDS calls and passes when sipp exits 0, every
// call succeeded and at most 200 ms worth of calls were in progress at once. Rates go up by
// BENCH_SCALE_STEP (default 500) until a step fails, then by a quarter of it from the last
// passing rate. Needs sipp, kamailio and redis-server.
//
// Environment: BENCH_SCALE_SECONDS (per step, default 5), BENCH_SCALE_MAX_RATE (default
// 20,000), BENCH_SCALE_STEP (default 500).
//
// Last line: BENCH scale {"cps1", "cps2", "cpuPerCall1Us", "cpuPerCall2Us", "sippCpu1",
// "sippCpu2", "commonRate", "kamailioCps1", "kamailioCps2", "regPerSecEmbedded",
// "regPerSecRedis", …}.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import runner from '../sipp/run-sipp.cjs';
import { freePort, sippStep, startKamailioUas, watch } from './bench-processes.mjs';

const { which } = runner;

const appDir = new URL('..', import.meta.url).pathname;
const seconds = Number(process.env.BENCH_SCALE_SECONDS ?? 5);
const maxRate = Number(process.env.BENCH_SCALE_MAX_RATE ?? 20_000);
const stepRate = Number(process.env.BENCH_SCALE_STEP ?? 500);

for (const tool of ['sipp', 'kamailio', 'redis-server']) {
  if (which(tool) === undefined) {
    console.error(`bench:scale needs ${tool} (Debian packages sip-tester, kamailio, redis-server)`);
    process.exit(1);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'sip-scale-bench-'));
// -max_socket stays under the usual open-file limit (sipp refuses to start above it).
const uac = (transport) => ['-sn', 'uac', '-t', transport, '-max_socket', '10000'];
const registerOnce = ['-sf', join(appDir, 'sipp', 'register-once.xml'), '-t', 'u1'];

try {
  const app1 = await rampUp('sip-uas 1 worker', () => startApp({ SIP_WORKERS: '1' }), uac('tn'));
  const app2 = await rampUp('sip-uas 2 workers', () => startApp({ SIP_WORKERS: '2' }), uac('tn'));
  const commonRate = Math.max(stepRate / 4, Math.min(app1.cps, app2.cps));
  const equal1 = await once('sip-uas 1 worker', () => startApp({ SIP_WORKERS: '1' }), commonRate);
  const equal2 = await once('sip-uas 2 workers', () => startApp({ SIP_WORKERS: '2' }), commonRate);
  const kamailio1 = await rampUp(
    'kamailio 1 tcp worker',
    () => startKamailioUas('tcp', { tcpChildren: 1 }),
    uac('tn'),
  );
  const kamailio2 = await rampUp(
    'kamailio 2 tcp workers',
    () => startKamailioUas('tcp', { tcpChildren: 2 }),
    uac('tn'),
  );
  const embedded = await rampUp(
    'REGISTER journal',
    () => startApp({ SIP_WORKERS: '1', SIP_STORE: join(scratch, 'bench.journal') }, 'udp'),
    registerOnce,
  );
  const redis = await startRedis();
  let redisRun;
  try {
    redisRun = await rampUp(
      'REGISTER redis',
      () => startApp({ SIP_WORKERS: '1', SIP_STORE: redis.url }, 'udp'),
      registerOnce,
    );
  } finally {
    await redis.stop();
  }

  const result = {
    cps1: app1.cps,
    cps2: app2.cps,
    commonRate,
    cpuPerCall1Us: equal1.cpuPerCallUs,
    cpuPerCall2Us: equal2.cpuPerCallUs,
    sippCpu1: equal1.sippCpu,
    sippCpu2: equal2.sippCpu,
    cpuRatio:
      equal1.cpuPerCallUs > 0 ? Number((equal2.cpuPerCallUs / equal1.cpuPerCallUs).toFixed(3)) : null,
    kamailioCps1: kamailio1.cps,
    kamailioCps2: kamailio2.cps,
    regPerSecEmbedded: embedded.cps,
    regPerSecRedis: redisRun.cps,
    regRatio: embedded.cps > 0 ? Number((redisRun.cps / embedded.cps).toFixed(3)) : null,
    secondsPerStep: seconds,
    steps: {
      app1: app1.steps,
      app2: app2.steps,
      kamailio1: kamailio1.steps,
      kamailio2: kamailio2.steps,
      registerEmbedded: embedded.steps,
      registerRedis: redisRun.steps,
    },
  };
  console.log(
    `\ncalls (-t tn): 1 worker ${app1.cps}/s, 2 workers ${app2.cps}/s; Kamailio ${kamailio1.cps}/s and ${kamailio2.cps}/s\n` +
      `server CPU per call at ${commonRate}/s: 1 worker ${equal1.cpuPerCallUs} µs, 2 workers ${equal2.cpuPerCallUs} µs ` +
      `(sipp ${equal1.sippCpu}% / ${equal2.sippCpu}%)\n` +
      `REGISTERs: journal ${embedded.cps}/s, Redis ${redisRun.cps}/s`,
  );
  console.log(`BENCH scale ${JSON.stringify(result)}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** Steps the rate up against one server; returns the highest passing rate and every step. */
async function rampUp(name, start, scenario) {
  const server = await start();
  const steps = [];
  let best = 0;
  try {
    let rate = stepRate;
    let increment = stepRate;
    while (rate <= maxRate) {
      const step = await callsAt(server, rate, scenario);
      steps.push(step);
      log(name, step);
      if (step.pass) {
        best = rate;
        rate += increment;
      } else if (increment === stepRate) {
        increment = Math.max(1, Math.round(stepRate / 4));
        rate = best + increment;
        if (rate >= step.rate) break;
      } else {
        break;
      }
      await sleep(1000); // let the server settle (timers, GC, TIME_WAIT) between steps
    }
  } finally {
    await server.stop();
  }
  return { cps: best, steps };
}

/** One step at `rate` against a fresh server: its CPU per call. */
async function once(name, start, rate) {
  const server = await start();
  try {
    const step = await callsAt(server, rate, uac('tn'));
    log(`${name} (equal load)`, step);
    return step;
  } finally {
    await server.stop();
  }
}

/** One sipp run of rate × seconds calls of `scenario`. */
function callsAt(server, rate, scenario) {
  return sippStep(server, rate, seconds, scenario);
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
async function startApp(env, transport = 'tcp') {
  const port = await freePort();
  const child = spawn(process.execPath, [join(appDir, 'dist', 'main.js')], {
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: `${port}`,
      SIP_STATUS_MS: '0',
      SIP_STORE: 'memory',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let listening = false;
  child.stdout.on('data', (chunk) => (listening ||= String(chunk).includes('listening on sip:')));
  const server = await watch(child, port, 'apps/sip-uas', transport);
  for (let i = 0; !listening && i < 200; i++) await sleep(50);
  return server;
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
    if (child.exitCode !== null || i > 200) throw new Error(`redis-server did not start:\n${output}`);
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
