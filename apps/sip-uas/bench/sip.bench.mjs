#!/usr/bin/env node
// `npm run bench:sip`: the highest call rate with zero failed calls that sipp's built-in `uac`
// scenario reaches against apps/sip-uas and, in the same run, against Kamailio answering
// statelessly (kamailio/stateless-uas.cfg) — over one TCP connection (-t t1), then over one UDP
// socket (-t u1, sipp's default) with Kamailio running one UDP worker per core (-n) — and for
// each transport calls per second during a SIGHUP hot upgrade at half the app's rate, with the
// failed-call count.
//
// A step at rate R places R × BENCH_SIP_SECONDS calls; it passes when sipp exits 0, every call
// succeeded and the server kept up: the calls in progress (sipp's CurrentCall, sampled every
// second) never exceeded 200 ms worth of calls at that rate — a server that falls behind piles
// calls up long before they time out. Rates go up by 1000 calls/s until a step fails, then by 250
// from the last passing rate. Needs `sipp` (Debian: sip-tester) and `kamailio`.
//
// Environment: BENCH_SIP_SECONDS (per step, default 5), BENCH_SIP_MAX_RATE (default 30,000),
// BENCH_SIP_TRANSPORTS (default `tcp,udp`: which parts run).
//
// Last line: BENCH sip {"cps", "kamailioCps", "ratio", "upgradeFailedCalls", "udpCps",
// "kamailioUdpCps", "udpRatio", "udpUpgradeFailedCalls", …} (the fields of a part that did not
// run are null).
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lineChart, writeChart } from '../../../tools/bench-chart.mjs';
import runner from '../sipp/run-sipp.cjs';

const { runSipp, which } = runner;

const appDir = new URL('..', import.meta.url).pathname;
const workspace = join(appDir, '..', '..');
const seconds = Number(process.env.BENCH_SIP_SECONDS ?? 5);
const maxRate = Number(process.env.BENCH_SIP_MAX_RATE ?? 30_000);

for (const tool of ['sipp', 'kamailio']) {
  if (which(tool) === undefined) {
    console.error(`bench:sip needs ${tool} (Debian packages sip-tester and kamailio)`);
    process.exit(1);
  }
}

const transports = (process.env.BENCH_SIP_TRANSPORTS ?? 'tcp,udp').split(',');
const tcp = transports.includes('tcp') ? await part('tcp') : undefined;
const udp = transports.includes('udp') ? await part('udp') : undefined;

const result = {
  cps: tcp?.app.cps ?? null,
  kamailioCps: tcp?.kamailio.cps ?? null,
  ratio: tcp?.ratio ?? null,
  upgradeFailedCalls: tcp?.upgrade.failed ?? null,
  upgradeRate: tcp?.upgrade.rate ?? null,
  upgradeCps: tcp?.upgrade.cps ?? null,
  upgradeSuccessfulCalls: tcp?.upgrade.successful ?? null,
  upgraded: tcp?.upgrade.upgraded ?? null,
  udpCps: udp?.app.cps ?? null,
  kamailioUdpCps: udp?.kamailio.cps ?? null,
  udpRatio: udp?.ratio ?? null,
  udpUpgradeFailedCalls: udp?.upgrade.failed ?? null,
  udpUpgradeRate: udp?.upgrade.rate ?? null,
  udpUpgradeCps: udp?.upgrade.cps ?? null,
  udpUpgradeSuccessfulCalls: udp?.upgrade.successful ?? null,
  udpUpgraded: udp?.upgrade.upgraded ?? null,
  kamailioUdpWorkers: udp === undefined ? null : availableParallelism(),
  secondsPerStep: seconds,
  steps: {
    app: tcp?.app.steps ?? [],
    kamailio: tcp?.kamailio.steps ?? [],
    udpApp: udp?.app.steps ?? [],
    udpKamailio: udp?.kamailio.steps ?? [],
  },
};
for (const [name, figures] of [
  ['TCP', tcp],
  ['UDP', udp],
]) {
  if (figures === undefined) continue;
  const { app, kamailio, ratio, upgrade } = figures;
  console.log(
    `\n${name}: apps/sip-uas ${app.cps} calls/s, Kamailio ${kamailio.cps} calls/s, ratio ${ratio}; ` +
      `hot upgrade at ${upgrade.rate} calls/s: ${upgrade.failed} failed of ${upgrade.successful + upgrade.failed}`,
  );
}
console.log(`BENCH sip ${JSON.stringify(result)}`);

/**
 * One transport's part: the app's and Kamailio's highest rates, then the hot upgrade at half
 * the app's rate; draws the steps' CPU into bench/results/sip.svg (TCP) or sip-udp.svg (UDP).
 */
async function part(transport) {
  const sippTransport = transport === 'udp' ? 'u1' : 't1';
  const app = await rampUp(`apps/sip-uas ${transport}`, () => startApp(transport), sippTransport);
  const kamailio = await rampUp(
    `kamailio ${transport}`,
    () => startKamailio(transport),
    sippTransport,
  );
  const upgrade = await upgradeRun(
    Math.max(100, Math.floor(app.cps / 2)),
    transport,
    sippTransport,
  );
  const label = transport.toUpperCase();
  writeChart(
    join(appDir, 'bench', 'results', transport === 'udp' ? 'sip-udp.svg' : 'sip.svg'),
    lineChart({
      title: `sipp uac over ${label}: apps/sip-uas ${app.cps} calls/s, Kamailio ${kamailio.cps} calls/s`,
      x: { label: 'offered calls per second (each step passed or was the first to fail)' },
      y: { label: 'CPU % (100 = one core)' },
      series: [
        { name: 'sip-uas CPU', points: app.steps.map((s) => [s.rate, s.serverCpu]) },
        { name: 'Kamailio CPU', points: kamailio.steps.map((s) => [s.rate, s.serverCpu]) },
        { name: 'sipp CPU vs sip-uas', points: app.steps.map((s) => [s.rate, s.sippCpu]) },
        { name: 'sipp CPU vs Kamailio', points: kamailio.steps.map((s) => [s.rate, s.sippCpu]) },
      ],
    }),
  );
  const ratio = kamailio.cps > 0 ? round(app.cps / kamailio.cps, 3) : null;
  return { app, kamailio, ratio, upgrade };
}

/** Steps the rate up against one server; returns the highest passing rate and every step. */
async function rampUp(name, start, sippTransport) {
  const server = await start();
  const steps = [];
  let best = 0;
  try {
    let rate = 1000;
    let increment = 1000;
    while (rate <= maxRate) {
      const step = await callsAt(server, rate, sippTransport);
      steps.push(step);
      console.log(
        `${name.padEnd(16)} ${String(rate).padStart(6)} calls/s → ${step.successful} ok, ${step.failed} failed, ` +
          `at most ${step.maxCurrentCalls} in progress, CPU server ${step.serverCpu}% sipp ${step.sippCpu}%` +
          (step.pass ? '' : '  FAIL'),
      );
      if (step.pass) {
        best = rate;
        rate += increment;
      } else if (increment === 1000) {
        increment = 250;
        rate = best + increment;
        if (rate >= step.rate) break;
      } else {
        break;
      }
      await sleep(1000); // let the server settle (timers, GC) between steps
    }
  } finally {
    await server.stop();
  }
  return { cps: best, steps };
}

/** One sipp run of rate × seconds calls over `sippTransport` (`t1` or `u1`). */
async function callsAt(server, rate, sippTransport) {
  const calls = rate * seconds;
  const cpuBefore = cpuSeconds(server.child.pid);
  const run = await runSipp(
    server.port,
    ['-sn', 'uac', '-t', sippTransport, '-r', `${rate}`, '-m', `${calls}`],
    seconds * 4 + 20,
  );
  const serverCpu = Math.round((100 * (cpuSeconds(server.child.pid) - cpuBefore)) / run.elapsedS);
  const backlogLimit = Math.max(50, Math.round(rate * 0.2));
  const pass =
    run.code === 0 &&
    run.failed === 0 &&
    run.successful === calls &&
    run.maxCurrentCalls <= backlogLimit;
  const { successful, failed, maxCurrentCalls, sippCpu } = run;
  return { rate, successful, failed, maxCurrentCalls, serverCpu, sippCpu, pass };
}

/** Calls at `rate` for 3 × seconds while the handlers are hot-upgraded (SIGHUP) midway. */
async function upgradeRun(rate, transport, sippTransport) {
  const release = join(workspace, 'tmp', `sip-bench-release-${process.pid}`);
  rmSync(release, { recursive: true, force: true });
  mkdirSync(release, { recursive: true });
  cpSync(join(appDir, 'dist'), join(release, 'dist'), { recursive: true });
  const server = await startApp(transport, join(release, 'dist', 'main.js'));
  try {
    const duration = seconds * 3;
    const running = runSipp(
      server.port,
      ['-sn', 'uac', '-t', sippTransport, '-r', `${rate}`, '-m', `${rate * duration}`],
      duration * 4 + 20,
    );
    await sleep((duration * 1000) / 2);
    // "Deploy" a new build in place, then ask the running process to load it.
    const handlers = join(release, 'dist', 'handlers.js');
    writeFileSync(handlers, readFileSync(handlers, 'utf8').replace("'1.0.0'", "'1.0.1-bench'"));
    server.child.kill('SIGHUP');
    const run = await running;
    const upgraded = /hot upgrade done/.test(server.output());
    console.log(
      `hot upgrade ${transport} ${String(rate).padStart(6)} calls/s → ${run.successful} ok, ${run.failed} failed, ` +
        `upgrade ${upgraded ? 'done' : 'NOT done'}`,
    );
    return {
      rate,
      cps: run.elapsedS > 0 ? Math.round(run.successful / run.elapsedS) : 0,
      successful: run.successful,
      failed: run.failed,
      upgraded,
    };
  } finally {
    await server.stop();
    rmSync(release, { recursive: true, force: true });
  }
}

/** Starts the built app (UDP and TCP on one port) on a free port; ready when `transport` answers. */
async function startApp(transport, main = join(appDir, 'dist', 'main.js')) {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: `${port}`,
      SIP_STATUS_MS: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child, port, 'apps/sip-uas', transport);
}

/**
 * Starts Kamailio in the foreground with the repository's stateless configuration, listening
 * on TCP, or on UDP with one worker process per core (`-n`, its `children`).
 */
async function startKamailio(transport) {
  const port = await freePort();
  const run = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const modules =
    ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules'].find(existsSync) ??
    readdirSync('/usr/lib')
      .map((d) => join('/usr/lib', d, 'kamailio', 'modules'))
      .find(existsSync);
  const child = spawn(
    which('kamailio'),
    [
      '-f',
      join(appDir, 'kamailio', 'stateless-uas.cfg'),
      '-L',
      modules,
      '-l',
      `${transport}:127.0.0.1:${port}`,
      ...(transport === 'udp' ? ['-n', `${availableParallelism()}`] : []),
      '-DD',
      '-E',
      '-Y',
      run,
      '-P',
      join(run, 'kamailio.pid'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = await watch(child, port, 'kamailio', transport);
  const stop = server.stop;
  return {
    ...server,
    stop: async () => (await stop(), rmSync(run, { recursive: true, force: true })),
  };
}

/** Waits until `port` answers over `transport`; gives the process a bounded stop. */
async function watch(child, port, name, transport) {
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start:\n${output}`);
    if (await (transport === 'udp' ? answersOptions(port) : accepts(port))) break;
    if (attempt > 100) throw new Error(`${name} does not accept on ${port}:\n${output}`);
    await sleep(100);
  }
  return {
    port,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
      if (killed) child.kill('SIGKILL');
    },
  };
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Whether an OPTIONS datagram to `port` gets an answer within 200 ms. */
function answersOptions(port) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (answered) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), 200);
    socket.once('message', () => done(true));
    socket.once('error', () => done(false));
    socket.bind(0, '127.0.0.1', () => {
      const { port: local } = socket.address();
      socket.send(
        `OPTIONS sip:probe@127.0.0.1:${port} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-probe-${Date.now()}\r\n` +
          `From: <sip:bench@127.0.0.1>;tag=probe\r\nTo: <sip:probe@127.0.0.1>\r\n` +
          `Call-ID: probe-${Date.now()}@bench\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n` +
          `Content-Length: 0\r\n\r\n`,
        port,
        '127.0.0.1',
      );
    });
  });
}

/**
 * CPU seconds (user + system) used so far by process `pid` and its children that are still
 * alive (Kamailio's workers), from /proc.
 */
function cpuSeconds(pid) {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (Number(entry) === pid || ppid === pid) total += Number(fields[11]) + Number(fields[12]);
  }
  return total / ticksPerSecond;
}

/** A port free on both TCP and UDP at 127.0.0.1 (the app serves both on one port). */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
    const free = await new Promise((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}
