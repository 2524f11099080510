#!/usr/bin/env node
// `npm run bench:sip`: the highest call rate with zero failed calls that sipp's built-in `uac`
// scenario reaches against apps/sip-uas and, in the same run, against Kamailio answering
// statelessly (kamailio/stateless-uas.cfg) — over one TCP connection (-t t1) against one app
// process and Kamailio's TCP workers, then over UDP with as many workers on both sides as cores
// (the app's SIP_WORKERS, its default; Kamailio's -n) — and for each transport calls per second
// during a SIGHUP hot upgrade at half the app's rate (with workers, SIGHUP upgrades them one by
// one), with the failed-call count.
//
// The UDP load: by default two sipp processes from 127.0.0.2 and 127.0.0.3 with a socket per call
// (-t un), the same against both servers. The app's workers each bind the port with reusePort,
// and the kernel picks a worker by the datagram's source address and port: all of one socket's
// traffic goes to one worker, so one sipp socket (-t u1) loads one worker only, whereas
// Kamailio's workers share one socket. BENCH_SIP_UDP_MODE=u1 measures that single-socket case
// (one sipp from 127.0.0.1). The flood guard allows 127.0.0.0/8 for the bench's sipps.
//
// A step at rate R places R × BENCH_SIP_SECONDS calls; it passes when sipp exits 0, every call
// succeeded and the server kept up: the calls in progress (sipp's CurrentCall, sampled every
// second) never exceeded 200 ms worth of calls at that rate — a server that falls behind piles
// calls up long before they time out. Rates go up by 1000 calls/s until a step fails, then by 250
// from the last passing rate. Needs `sipp` (Debian: sip-tester) and `kamailio`.
//
// The UDP part also ramps bench/dgram-floor-server.mjs, with as many workers: the same datagrams
// as the app sends, from node:dgram with no SIP stack (`floorUdpCps`, `floorUdpRatio` against
// Kamailio) — the most any server on node:dgram reaches on this machine. (The app itself reads
// and sends in batches through @aem/udp's `mmsg` transport where @aem/kmod's binding loads, so
// this floor bounds node:dgram servers, not the app.)
//
// Two more parts (bench/auth-tls-parts.mjs): `auth`, the authenticated REGISTER rate against
// sip-uas and Kamailio's auth registrar, and `tls`, the call rate over TLS next to TCP's. And a
// last one, `vm` (bench/vm-part.mjs): the UDP figures on the kernel backend, from the test VM
// (`npm run bench:sip:vm`, about 5 minutes), where the machine has the VM toolchain.
//
// Environment: BENCH_SIP_SECONDS (per step, default 5), BENCH_SIP_MAX_RATE (default 30,000),
// BENCH_SIP_TRANSPORTS (default `tcp,udp,auth,tls,vm`: which parts run), BENCH_SIP_VM=0 (skips
// the `vm` part), BENCH_SIP_UDP_MODE (`un`, the default, or `u1`).
//
// Last line: BENCH sip {"cps", "kamailioCps", "ratio", "upgradeFailedCalls", "udpCps",
// "kamailioUdpCps", "udpRatio", "udpUpgradeFailedCalls", "floorUdpCps", "floorUdpRatio", "authRegCps", "kamailioAuthRegCps",
// "authRegRatio", "tlsCps", "tlsTcpCps", "tlsToTcp", "kamailioTlsCps", "tlsRatio",
// "vmKmodUdpCps", "vmUserspaceUdpCps", "vmKmodUdpRatio", "vmKamailioUdpCps", "vm", …} (the
// fields of a part that did not run are null; `vmSkipped` says why the VM's are).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lineChart, writeChart } from '../../../tools/bench-chart.mjs';
import runner from '../sipp/run-sipp.cjs';
import { sippStep, startDgramFloor, startKamailioUas, startSipUas } from './bench-processes.mjs';
import { authPart, tlsPart } from './auth-tls-parts.mjs';
import { rampUp as ramp } from './ramp.mjs';
import { vmPart } from './vm-part.mjs';

const { which } = runner;

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

const transports = (process.env.BENCH_SIP_TRANSPORTS ?? 'tcp,udp,auth,tls,vm').split(',');
const udpMode = process.env.BENCH_SIP_UDP_MODE ?? 'un';
if (udpMode !== 'un' && udpMode !== 'u1') {
  console.error(`BENCH_SIP_UDP_MODE must be un or u1, got ${JSON.stringify(udpMode)}`);
  process.exit(1);
}
/** Each transport's sipp: its transport mode and the local addresses of its processes. */
const load = {
  tcp: { mode: 't1', sources: ['127.0.0.1'] },
  udp:
    udpMode === 'un'
      ? { mode: 'un', sources: ['127.0.0.2', '127.0.0.3'] }
      : { mode: 'u1', sources: ['127.0.0.1'] },
};
/** The app's workers per transport: one process over TCP (as always), every core over UDP. */
const appWorkers = { tcp: 1, udp: availableParallelism() };
const tcp = transports.includes('tcp') ? await part('tcp') : undefined;
const udp = transports.includes('udp') ? await part('udp') : undefined;
const auth = transports.includes('auth') ? await authPart({ seconds, maxRate }) : undefined;
const tls = transports.includes('tls')
  ? await tlsPart({ seconds, maxRate, tcpCps: tcp?.app.cps })
  : undefined;
const vm = !transports.includes('vm')
  ? { skipped: 'not in BENCH_SIP_TRANSPORTS' }
  : process.env.BENCH_SIP_VM === '0'
    ? { skipped: 'BENCH_SIP_VM=0' }
    : await vmPart();

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
  // The node:dgram floor (no SIP stack, same datagrams, same workers) and its rate against
  // Kamailio's: the highest udpRatio any server on node:dgram could reach on this machine.
  floorUdpCps: udp?.floor?.cps ?? null,
  floorUdpRatio: udp?.floorRatio ?? null,
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
  // The kernel backend, in the test VM (emulated: compare the ratios, not the rates with the host's).
  vmKmodUdpCps: vm.figures?.kmodUdpCps ?? null,
  vmUserspaceUdpCps: vm.figures?.userspaceUdpCps ?? null,
  vmKmodUdpRatio: vm.figures?.kmodUdpRatio ?? null,
  vmKamailioUdpCps: vm.figures?.kamailioUdpCps ?? null,
  vm: vm.figures ?? null,
  ...(vm.figures === undefined ? { vmSkipped: vm.skipped ?? vm.failed } : {}),
  udpWorkers: udp === undefined ? null : appWorkers.udp,
  udpSipp: udp === undefined ? null : `-t ${load.udp.mode} × ${load.udp.sources.length}`,
  secondsPerStep: seconds,
  steps: {
    app: tcp?.app.steps ?? [],
    kamailio: tcp?.kamailio.steps ?? [],
    udpApp: udp?.app.steps ?? [],
    udpKamailio: udp?.kamailio.steps ?? [],
    udpFloor: udp?.floor?.steps ?? [],
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
  const { app, kamailio, ratio, upgrade, floor, floorRatio } = figures;
  console.log(
    `\n${name}: apps/sip-uas ${app.cps} calls/s, Kamailio ${kamailio.cps} calls/s, ratio ${ratio}; ` +
      `hot upgrade at ${upgrade.rate} calls/s: ${upgrade.failed} failed of ${upgrade.successful + upgrade.failed}` +
      (floor === undefined
        ? ''
        : `\n${name} floor (node:dgram, no SIP stack): ${floor.cps} calls/s, ${floorRatio} of Kamailio's`),
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
if (vm.figures !== undefined)
  console.log(
    `UDP in the VM (emulated, one process each): kmod ${vm.figures.kmodUdpCps} calls/s, userspace ${vm.figures.userspaceUdpCps} calls/s, ` +
      `ratio ${vm.figures.kmodUdpRatio}; Kamailio ${vm.figures.kamailioUdpCps} calls/s`,
  );
else console.log(`UDP in the VM: not measured (${vm.skipped ?? vm.failed})`);
console.log(`BENCH sip ${JSON.stringify(result)}`);

/**
 * One transport's part: the app's and Kamailio's highest rates, then the hot upgrade at half
 * the app's rate; draws the steps' CPU into bench/results/sip.svg (TCP) or sip-udp.svg (UDP).
 */
async function part(transport) {
  const app = await rampUp(`apps/sip-uas ${transport}`, () => startApp(transport), transport);
  const kamailio = await rampUp(`kamailio ${transport}`, () => startKamailio(transport), transport);
  // Over UDP, the floor of any server on node:dgram (bench/dgram-floor-server.mjs): the same
  // datagrams with no SIP stack, as many workers as the app. Both ratios read against it.
  const floor =
    transport === 'udp'
      ? await rampUp('node:dgram floor', () => startDgramFloor(appWorkers.udp), transport)
      : undefined;
  const upgrade = await upgradeRun(Math.max(100, Math.floor(app.cps / 2)), transport);
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
        ...(floor === undefined
          ? []
          : [
              {
                name: 'node:dgram floor CPU',
                points: floor.steps.map((s) => [s.rate, s.serverCpu]),
              },
            ]),
      ],
    }),
  );
  const ratio = kamailio.cps > 0 ? round(app.cps / kamailio.cps, 3) : null;
  const floorRatio =
    floor !== undefined && kamailio.cps > 0 ? round(floor.cps / kamailio.cps, 3) : null;
  return { app, kamailio, ratio, upgrade, floor, floorRatio };
}

/** Steps the rate up against one server over `transport` (bench/ramp.mjs). */
function rampUp(name, start, transport) {
  return ramp(name, start, (server, rate) => callsAt(server, rate, transport), maxRate);
}

/** The arguments of sipp's `uac` over `transport` as {@link load} says. */
function uac(transport) {
  // -max_socket under the open-file limit (sipp refuses to start above it); -t un needs it.
  return ['-sn', 'uac', '-t', load[transport].mode, '-max_socket', '10000'];
}

/** One step of rate × seconds calls over `transport`, shared by its sipp processes. */
function callsAt(server, rate, transport) {
  return sippStep(server, rate, seconds, uac(transport), load[transport].sources);
}

/**
 * Calls at `rate` for 3 × seconds while the handlers are hot-upgraded (SIGHUP) midway: with
 * workers the primary upgrades them one at a time, and the upgrade counts as done once every
 * worker logged it.
 */
async function upgradeRun(rate, transport) {
  const release = join(workspace, 'tmp', `sip-bench-release-${process.pid}`);
  rmSync(release, { recursive: true, force: true });
  mkdirSync(release, { recursive: true });
  cpSync(join(appDir, 'dist'), join(release, 'dist'), { recursive: true });
  const server = await startApp(transport, join(release, 'dist', 'main.js'));
  try {
    const duration = seconds * 3;
    const running = sippStep(server, rate, duration, uac(transport), load[transport].sources);
    await sleep((duration * 1000) / 2);
    // "Deploy" a new build in place, then ask the running process to load it.
    const handlers = join(release, 'dist', 'handlers.js');
    writeFileSync(handlers, readFileSync(handlers, 'utf8').replace("'1.0.0'", "'1.0.1-bench'"));
    server.child.kill('SIGHUP');
    const run = await running;
    const upgrades = server.output().match(/hot upgrade done/g)?.length ?? 0;
    const upgraded = upgrades >= appWorkers[transport];
    console.log(
      `hot upgrade ${transport} ${String(rate).padStart(6)} calls/s → ${run.successful} ok, ${run.failed} failed, ` +
        `upgrade ${upgraded ? 'done' : 'NOT done'} (${upgrades} of ${appWorkers[transport]} processes)`,
    );
    return {
      rate,
      cps: Math.round(run.successful / duration),
      successful: run.successful,
      failed: run.failed,
      upgraded,
    };
  } finally {
    await server.stop();
    rmSync(release, { recursive: true, force: true });
  }
}

/** Starts the built app on a free port with the transport's workers (bench-processes.mjs). */
function startApp(transport, main) {
  return startSipUas({
    transport,
    ...(main === undefined ? {} : { main }),
    env: {
      SIP_WORKERS: `${appWorkers[transport]}`,
      // The bench's sipps place thousands of calls a second from 127.0.0.2 and .3.
      SIP_FLOOD_ALLOW: '127.0.0.0/8',
      // The hot-upgrade runs count the workers' "hot upgrade done" lines.
      LOG_LEVEL: 'info',
    },
  });
}

/**
 * Starts Kamailio in the foreground with the repository's stateless configuration, listening
 * on TCP, or on UDP with one worker process per core (`-n`, its `children`).
 */
function startKamailio(transport) {
  return startKamailioUas(
    transport,
    transport === 'udp' ? { children: availableParallelism() } : {},
  );
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}
