// @aem/tcp against raw node:net doing the same job the plain way, in one run on loopback
// (not a test; `npm run bench:tcp` from the workspace root).
//
// The load comes from plain node:net clients in a process of their own (load-client.mjs), the
// same for both servers, so the figures are the servers' costs.
//   1. ping-pong: 100 connections, 64-byte length-prefixed messages, one in flight each;
//   2. pipelined: 100 connections, 64 messages in flight each;
//   3. idle scaling: round-trip latency of 100 active connections (one request in flight each,
//      at BENCH_LOAD_FRACTION of the server's capacity) while 1k → 10k → 50k idle connections stay
//      open (client sockets spread over 127.0.0.2–127.0.0.9), and the server's memory per idle
//      connection, ours and raw node:net's, each server in a process of its own (idle-server.mjs).
// Where the host's fd limit stops the idle steps short of 50k (a sandbox that cannot raise it),
// the idle part runs again inside the test VM (`npm run bench:tcp:vm`, Debian's kernel under
// qemu, where root raises the limit), and the line's idle-scaling figures are the VM's; the
// host's come along under `host`. BENCH_TCP_VM=0 skips the VM run.
// Throughput figures are the median of BENCH_ROUNDS rounds (after one discarded warm-up round),
// latencies the median of BENCH_LATENCY_ROUNDS rounds of BENCH_SAMPLES round trips.
// Last line: BENCH tcp {json}.
import { execSync, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineChart, writeChart } from '../../../tools/bench-chart.mjs';
import { runVmBench } from '../../aem-kmod/scripts/run-vm-bench.mjs';
import { MESSAGE_BYTES, PIPELINE, median } from './bench-common.mjs';
import { aemServer, rawServer } from './bench-servers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const ROUND_MS = env('BENCH_ROUND_MS', 2000);
const ROUNDS = env('BENCH_ROUNDS', 3);
const SAMPLES = env('BENCH_SAMPLES', 10_000);
const LATENCY_ROUNDS = env('BENCH_LATENCY_ROUNDS', 5);
/**
 * The latency load, as a fraction of the server's ping-pong capacity measured at the first idle
 * step: the active clients' pace follows from it, so the load is as moderate in an emulated VM
 * as on the host.
 */
const LOAD_FRACTION = env('BENCH_LOAD_FRACTION', 0.2);
/** Which parts to run: `throughput`, `idle` (the VM runs `idle` alone, see bench:tcp:vm). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'throughput,idle').split(','));
const WANTED_IDLE_STEPS = (process.env.BENCH_IDLE_STEPS ?? '1000,10000,50000')
  .split(',')
  .map(Number);
// Every idle connection is one descriptor in the server process and one in the client's. A
// sandbox without CAP_SYS_RESOURCE cannot raise the hard limit, so the steps are capped below
// it and the BENCH line says so.
const FD_LIMIT =
  Number(execSync('ulimit -Hn', { shell: '/bin/sh', encoding: 'utf8' }).trim()) || Infinity;
const IDLE_STEPS = [...new Set(WANTED_IDLE_STEPS.map((n) => Math.min(n, FD_LIMIT - 1_000)))];
const IDLE_CAPPED = IDLE_STEPS.at(-1) < WANTED_IDLE_STEPS.at(-1);
/** Extra node flags of the idle-scaling servers, for diagnosis (e.g. `--trace-gc`). */
const IDLE_SERVER_FLAGS = (process.env.BENCH_IDLE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Idle connections opened per batch (well below the listen backlog of 511). */
const IDLE_BATCH = 250;

/** Sends `job` to a child process and resolves its answer. */
function ask(child, job) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(job);
  });
}

/** Each round runs both servers back to back; round 0 is a warm-up. */
async function throughput(client) {
  const rates = { pingPong: { ours: [], raw: [] }, pipelined: { ours: [], raw: [] } };
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, inFlight] of [
      ['pingPong', 1],
      ['pipelined', PIPELINE],
    ]) {
      for (const [side, make] of [
        ['ours', aemServer],
        ['raw', rawServer],
      ]) {
        const server = await make();
        const job = { cmd: 'throughput', port: server.port, inFlight, roundMs: ROUND_MS };
        const { perSec } = await ask(client, job);
        await server.close();
        if (round > 0) rates[name][side].push(perSec);
      }
    }
  }
  const figure = ({ ours, raw }) => ({
    ours: Math.round(median(ours)),
    raw: Math.round(median(raw)),
    ratio: Number(median(ours.map((o, i) => o / raw[i])).toFixed(3)),
  });
  return { pingPong: figure(rates.pingPong), pipelined: figure(rates.pipelined) };
}

/**
 * Opens the idle steps against one server process; at each step, its memory and the active
 * clients' latency. Memory per idle connection is the marginal cost: the growth from the first
 * step, divided by the connections added, so start-up and JIT code fall out. Without `paceMs`
 * the pace is calibrated on this server (see LOAD_FRACTION); the peer gets the same pace.
 */
async function idleScaling(client, kind, paceMs) {
  const server = fork(join(here, 'idle-server.mjs'), [kind], {
    execArgv: ['--expose-gc', ...IDLE_SERVER_FLAGS],
    stdio: 'inherit',
  });
  const { port } = await new Promise((resolve) => server.once('message', resolve));
  // Warm-up (discarded): the first rounds pay for JIT compilation on both sides.
  await ask(client, { cmd: 'latency', port, samples: 2_000, paceMs: paceMs ?? 0 });
  if (paceMs === undefined) {
    const job = { cmd: 'throughput', port, inFlight: 1, roundMs: ROUND_MS };
    const { perSec } = await ask(client, job);
    // Each active client sends its next request paceMs after the echo: about 1000 / paceMs
    // requests per second each (less the round trip).
    paceMs = Math.max(1, Math.round((1000 * 100) / (LOAD_FRACTION * perSec)));
    console.log(
      `idle: capacity ${Math.round(perSec).toLocaleString()} msg/s in ping-pong (${kind}); latency load ${Math.round((1000 * 100) / paceMs).toLocaleString()} req/s (a request every ${paceMs} ms per client)`,
    );
  }
  const latencyJob = { cmd: 'latency', port, samples: SAMPLES, paceMs };
  const steps = [];
  for (const count of IDLE_STEPS) {
    // A few hundred at a time, each batch accepted before the next: connects beyond the
    // listen backlog would have their final ACK dropped, and an idle client that never sends
    // would think itself connected to a server that never accepted it.
    for (let open = steps.at(-1)?.count ?? 0; open < count;) {
      open = Math.min(count, open + IDLE_BATCH);
      await ask(client, { cmd: 'idle', port, count: open });
      await ask(server, { cmd: 'wait', count: open });
    }
    const memory = await ask(server, { cmd: 'settle' });
    const base = steps[0]?.memory ?? memory;
    const added = count - (steps[0]?.count ?? 0);
    const rounds = [];
    const cpuBefore = await ask(server, { cmd: 'cpu' });
    for (let r = 0; r < LATENCY_ROUNDS; r++) rounds.push(await ask(client, latencyJob));
    const cpuAfter = await ask(server, { cmd: 'cpu' });
    const step = {
      count,
      memory,
      rssPerConn: Math.round((memory.rss - memory.young - (base.rss - base.young)) / added),
      heapPerConn: Math.round(
        (memory.heapUsed + memory.external - base.heapUsed - base.external) / added,
      ),
      p50: median(rounds.map((x) => x.p50)),
      p99: median(rounds.map((x) => x.p99)),
      p99Rounds: rounds.map((x) => Number(x.p99.toFixed(3))),
      // The server's CPU time per round trip (the rounds' connects included): steadier than
      // latency on a noisy machine, and what an idle connection would cost if it cost anything.
      cpuPerRequestUs: (cpuAfter.cpuUs - cpuBefore.cpuUs) / (LATENCY_ROUNDS * SAMPLES),
    };
    steps.push(step);
    const memoryText =
      steps.length > 1
        ? `; memory per added idle connection ${step.rssPerConn} B RSS (${step.heapPerConn} B heap+external)`
        : '';
    console.log(
      `idle ${kind} ${count.toLocaleString().padStart(6)}: p50 ${step.p50.toFixed(3)} ms, p99 ${step.p99.toFixed(3)} ms (rounds ${step.p99Rounds.join(', ')}); server CPU ${step.cpuPerRequestUs.toFixed(1)} µs per request${memoryText}`,
    );
  }
  await ask(client, { cmd: 'close-idle' });
  server.send({ cmd: 'exit' });
  return { steps, paceMs };
}

const client = fork(join(here, 'load-client.mjs'), [], { stdio: 'inherit' });
const line = { messageBytes: MESSAGE_BYTES, connections: 100 };

if (PARTS.has('throughput')) {
  const { pingPong, pipelined } = await throughput(client);
  console.log(
    `ping-pong  (100 conns, 1 in flight):  ours ${pingPong.ours.toLocaleString()} msg/s, raw net ${pingPong.raw.toLocaleString()} msg/s, ratio ${pingPong.ratio}`,
  );
  console.log(
    `pipelined  (100 conns, 64 in flight): ours ${pipelined.ours.toLocaleString()} msg/s, raw net ${pipelined.raw.toLocaleString()} msg/s, ratio ${pipelined.ratio}`,
  );
  Object.assign(line, {
    pingPongPerSec: pingPong.ours,
    netPingPongPerSec: pingPong.raw,
    pingPongRatio: pingPong.ratio,
    pipelinedPerSec: pipelined.ours,
    netPipelinedPerSec: pipelined.raw,
    pipelinedRatio: pipelined.ratio,
  });
}

/** The idle-scaling figures of one run of the idle part. */
function idleFigures(ours, raw, paceMs) {
  const [first, last] = [ours[0], ours.at(-1)];
  return {
    latencyPaceMs: paceMs,
    latencyP50At1kMs: Number(first.p50.toFixed(3)),
    latencyP99At1kMs: Number(first.p99.toFixed(3)),
    latencyP99AtLastMs: Number(last.p99.toFixed(3)),
    idleScalingRatio: Number((last.p99 / first.p99).toFixed(3)),
    bytesPerIdleConn: last.rssPerConn,
    heapBytesPerIdleConn: last.heapPerConn,
    cpuPerRequestUsAt1k: Number(first.cpuPerRequestUs.toFixed(1)),
    cpuPerRequestUsAtLast: Number(last.cpuPerRequestUs.toFixed(1)),
    netCpuPerRequestUsAt1k: Number(raw[0].cpuPerRequestUs.toFixed(1)),
    netCpuPerRequestUsAtLast: Number(raw.at(-1).cpuPerRequestUs.toFixed(1)),
    netLatencyP99At1kMs: Number(raw[0].p99.toFixed(3)),
    netLatencyP99AtLastMs: Number(raw.at(-1).p99.toFixed(3)),
    netIdleScalingRatio: Number((raw.at(-1).p99 / raw[0].p99).toFixed(3)),
    netBytesPerIdleConn: raw.at(-1).rssPerConn,
    netHeapBytesPerIdleConn: raw.at(-1).heapPerConn,
    idleSteps: IDLE_STEPS,
  };
}

/** Runs the idle part in the test VM; resolves its BENCH line's figures, or null if it failed. */
async function idleScalingInVm() {
  const { code, line } = await runVmBench('vm-bench-tcp.sh', 'tcp-idle');
  return code === 0 ? line : null;
}

if (PARTS.has('idle')) {
  const { steps: ours, paceMs } = await idleScaling(client, 'aem');
  const { steps: raw } = await idleScaling(client, 'raw', paceMs);
  const host = idleFigures(ours, raw, paceMs);
  writeChart(
    join(here, 'results', 'tcp-idle.svg'),
    lineChart({
      title: `@aem/tcp: latency p99 against idle connections (node ${process.version}, ${availableParallelism()} CPUs)`,
      x: { label: 'idle connections', log: true },
      y: { label: 'round-trip p99 (ms)' },
      y2: { label: 'server CPU per request (µs)' },
      series: [
        { name: '@aem/tcp p99', points: ours.map((s) => [s.count, s.p99]) },
        { name: 'raw node:net p99', points: raw.map((s) => [s.count, s.p99]) },
        {
          name: '@aem/tcp CPU',
          axis: 'right',
          points: ours.map((s) => [s.count, s.cpuPerRequestUs]),
        },
        {
          name: 'node:net CPU',
          axis: 'right',
          points: raw.map((s) => [s.count, s.cpuPerRequestUs]),
        },
      ],
    }),
  );
  let vm = null;
  if (IDLE_CAPPED && process.env.BENCH_TCP_VM !== '0') {
    console.log(
      `idle scaling: the host stops at ${IDLE_STEPS.at(-1).toLocaleString()} idle connections (fd hard limit ${FD_LIMIT}); the 50k steps run in the test VM (BENCH_TCP_VM=0 skips it)`,
    );
    vm = await idleScalingInVm();
    if (vm === null) console.log("idle scaling: the VM run failed; the figures are the host's");
  }
  if (vm !== null) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the host's line has these
    const { messageBytes, connections, ...figures } = vm;
    Object.assign(line, figures, {
      idleScalingIn: 'vm',
      host: { ...host, idleCappedBy: `fd hard limit ${FD_LIMIT}` },
    });
  } else {
    // Named for the 50k step only when it ran; a capped run says where it stopped.
    const at = IDLE_CAPPED ? `At${IDLE_STEPS.at(-1)}Ms` : 'At50kMs';
    const { latencyP99AtLastMs, netLatencyP99AtLastMs, ...figures } = host;
    Object.assign(line, figures, {
      [`latencyP99${at}`]: latencyP99AtLastMs,
      [`netLatencyP99${at}`]: netLatencyP99AtLastMs,
      ...(IDLE_CAPPED ? { idleCappedBy: `fd hard limit ${FD_LIMIT}` } : {}),
    });
  }
}

client.send({ cmd: 'exit' });
console.log(`BENCH tcp ${JSON.stringify(line)}`);
