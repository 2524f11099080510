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
// Two more parts (bench/auth-tls-parts.mjs): `auth`, the authenticated REGISTER rate against
// sip-uas and Kamailio's auth registrar, and `tls`, the call rate over TLS next to TCP's.
//
// Environment: BENCH_SIP_SECONDS (per step, default 5), BENCH_SIP_MAX_RATE (default 30,000),
// BENCH_SIP_TRANSPORTS (default `tcp,udp,auth,tls`: which parts run).
//
// Last line: BENCH sip {"cps", "kamailioCps", "ratio", "upgradeFailedCalls", "udpCps",
// "kamailioUdpCps", "udpRatio", "udpUpgradeFailedCalls", "authRegCps", "kamailioAuthRegCps",
// "authRegRatio", "tlsCps", "tlsTcpCps", "tlsToTcp", "kamailioTlsCps", "tlsRatio", …} (the
// fields of a part that did not run are null).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lineChart, writeChart } from '../../../tools/bench-chart.mjs';
import runner from '../sipp/run-sipp.cjs';
import { freePort, sippStep, startKamailioUas, watch } from './bench-processes.mjs';
import { authPart, tlsPart } from './auth-tls-parts.mjs';
import { rampUp as ramp } from './ramp.mjs';

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

const transports = (process.env.BENCH_SIP_TRANSPORTS ?? 'tcp,udp,auth,tls').split(',');
const tcp = transports.includes('tcp') ? await part('tcp') : undefined;
const udp = transports.includes('udp') ? await part('udp') : undefined;
const auth = transports.includes('auth') ? await authPart({ seconds, maxRate }) : undefined;
const tls = transports.includes('tls')
  ? await tlsPart({ seconds, maxRate, tcpCps: tcp?.app.cps })
  : undefined;

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
  authRegCps: auth?.app.cps ?? null,
  kamailioAuthRegCps: auth?.kamailio.cps ?? null,
  authRegRatio: auth?.ratio ?? null,
  tlsCps: tls?.app.cps ?? null,
  tlsTcpCps: tls?.tcpCps ?? null,
  tlsToTcp: tls?.tlsToTcp ?? null,
  kamailioTlsCps: tls?.kamailio?.cps ?? null,
  tlsRatio: tls?.ratio ?? null,
  secondsPerStep: seconds,
  steps: {
    app: tcp?.app.steps ?? [],
    kamailio: tcp?.kamailio.steps ?? [],
    udpApp: udp?.app.steps ?? [],
    udpKamailio: udp?.kamailio.steps ?? [],
    authApp: auth?.app.steps ?? [],
    authKamailio: auth?.kamailio.steps ?? [],
    tlsApp: tls?.app.steps ?? [],
    tlsKamailio: tls?.kamailio?.steps ?? [],
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
if (auth !== undefined)
  console.log(
    `\nauthenticated REGISTER (TCP): apps/sip-uas ${auth.app.cps}/s, Kamailio ${auth.kamailio.cps}/s, ratio ${auth.ratio}`,
  );
if (tls !== undefined)
  console.log(
    `TLS: apps/sip-uas ${tls.app.cps} calls/s (TCP ${tls.tcpCps}, ratio ${tls.tlsToTcp}), ` +
      `Kamailio ${tls.kamailio?.cps ?? 'not run'} calls/s, ratio ${tls.ratio}`,
  );
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

/** Steps the rate up against one server over `sippTransport` (bench/ramp.mjs). */
function rampUp(name, start, sippTransport) {
  return ramp(name, start, (server, rate) => callsAt(server, rate, sippTransport), maxRate);
}

/** One sipp run of rate × seconds calls over `sippTransport` (`t1` or `u1`). */
function callsAt(server, rate, sippTransport) {
  return sippStep(server, rate, seconds, ['-sn', 'uac', '-t', sippTransport]);
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
      // One process, no store: what this bench has always measured (bench:scale does the rest).
      SIP_WORKERS: '1',
      SIP_STORE: 'memory',
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
function startKamailio(transport) {
  return startKamailioUas(transport, transport === 'udp' ? { children: availableParallelism() } : {});
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}
