// The measurements of the UDP benchmark, as functions, so that the host run (udp.bench.mjs)
// and a run inside the test VM (the kmod backend against the userspace one) share them.
//
// Every server runs in a child process (udp-server.mjs) so its CPU time is its own; the load
// comes from one plain node:dgram client process (udp-client.mjs), the same for every server.
import { spawn, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => Number(process.env[name] ?? fallback);

/** Length of one measuring round. */
export const ROUND_MS = env('BENCH_ROUND_MS', 1000);
/** Requests in flight tried by the request/response search. */
export const IN_FLIGHT_STEPS = (process.env.BENCH_IN_FLIGHT ?? '1,4,16,64,256')
  .split(',')
  .map(Number);
/** First rate of the flood search, and the most it tries. */
const FLOOD_START = env('BENCH_FLOOD_START', 20_000);
const FLOOD_MAX = env('BENCH_FLOOD_MAX', 2_000_000);
/** Bisection steps of the flood search after the first lossy rate. */
const FLOOD_BISECT = env('BENCH_FLOOD_BISECT', 3);
/** Offered load while strace counts system calls (strace slows the traced process down). */
export const SYSCALL_RATE = env('BENCH_SYSCALL_RATE', 5_000);
/** Requests in flight while strace counts the request/response system calls. */
const SYSCALL_IN_FLIGHT = env('BENCH_SYSCALL_IN_FLIGHT', 16);

/** Sends `job` to a child process and resolves its next message. */
export function ask(child, job) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(job);
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the load client; resolves once it is ready. */
export async function startClient() {
  const client = fork(join(here, 'udp-client.mjs'), { stdio: 'inherit' });
  await new Promise((resolve) => client.once('message', resolve));
  return client;
}

/**
 * Starts one server: `kind` `ours` or `raw`, `mode` `echo` or `sink`, `extraEnv` for its
 * process (`AEM_BACKEND`, `AEM_KMOD_BINDING`).
 */
export async function startServer(kind, mode, extraEnv = {}) {
  const child = fork(join(here, 'udp-server.mjs'), [kind, mode], {
    stdio: 'inherit',
    env: { ...process.env, ...extraEnv },
  });
  const { port, pid } = await new Promise((resolve) => child.once('message', resolve));
  return {
    port,
    pid,
    /** `{ received, kernelDrops, cpu: { user, system } }` */
    stats: () => ask(child, { cmd: 'stats' }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ cmd: 'exit' });
      }),
  };
}

const cpuUs = ({ cpu }) => cpu.user + cpu.system;

/**
 * Request/response: for each step of requests in flight, the answered requests per second and
 * the server's CPU per request; the result is the best step without a lost request.
 */
export async function requestResponse(client, kind, extraEnv) {
  const server = await startServer(kind, 'echo', extraEnv);
  const steps = [];
  try {
    // Warm-up (discarded): JIT compilation on both sides.
    await ask(client, { cmd: 'rr', port: server.port, inFlight: 16, ms: ROUND_MS / 2 });
    for (const inFlight of IN_FLIGHT_STEPS) {
      const before = await server.stats();
      const { replies, lost, seconds } = await ask(client, {
        cmd: 'rr',
        port: server.port,
        inFlight,
        ms: ROUND_MS,
      });
      const after = await server.stats();
      steps.push({
        inFlight,
        perSec: Math.round(replies / seconds),
        lost,
        cpuUsPerMsg: replies > 0 ? (cpuUs(after) - cpuUs(before)) / replies : null,
      });
    }
  } finally {
    await server.close();
  }
  const clean = steps.filter((step) => step.lost === 0);
  const best = clean.reduce((a, b) => (b.perSec > a.perSec ? b : a), clean[0] ?? steps[0]);
  return { ...best, steps };
}

/** One flood round at `rate`: what arrived, what was lost, the server's CPU per datagram. */
async function floodRound(client, server, rate) {
  const before = await server.stats();
  const { sent, seconds } = await ask(client, {
    cmd: 'flood',
    port: server.port,
    rate,
    ms: ROUND_MS,
  });
  await pause(100); // the tail of the round reaches the handler
  const after = await server.stats();
  const received = after.received - before.received;
  return {
    rate,
    sent,
    received,
    perSec: Math.round(received / seconds),
    lost: sent - received,
    kernelDrops: after.kernelDrops - before.kernelDrops,
    cpuUsPerMsg: received > 0 ? (cpuUs(after) - cpuUs(before)) / received : null,
  };
}

/**
 * One-way flood: the highest offered rate the server takes without losing a datagram —
 * doubling from FLOOD_START until a round loses some, then bisecting.
 */
export async function floodSearch(client, kind, extraEnv) {
  const server = await startServer(kind, 'sink', extraEnv);
  const rounds = [];
  try {
    await floodRound(client, server, FLOOD_START / 2); // warm-up (discarded)
    let ok = null;
    let failed = null;
    for (let rate = FLOOD_START; rate <= FLOOD_MAX; rate *= 2) {
      const round = await floodRound(client, server, rate);
      rounds.push(round);
      if (round.lost > 0) {
        failed = rate;
        break;
      }
      ok = round;
    }
    for (let step = 0; failed !== null && step < FLOOD_BISECT; step++) {
      const low = ok?.rate ?? 0;
      const rate = Math.round((low + failed) / 2);
      const round = await floodRound(client, server, rate);
      rounds.push(round);
      if (round.lost > 0) failed = rate;
      else ok = round;
    }
    return { ...(ok ?? { perSec: 0, rate: 0, cpuUsPerMsg: null }), rounds };
  } finally {
    await server.close();
  }
}

/** The server's CPU per datagram at one fixed offered rate (the same for every server). */
export async function floodCpuAt(client, kind, rate, extraEnv) {
  const server = await startServer(kind, 'sink', extraEnv);
  try {
    await floodRound(client, server, rate / 2); // warm-up
    return await floodRound(client, server, rate);
  } finally {
    await server.close();
  }
}

/**
 * System calls per message of one server, counted by `strace -f -c` attached to its process
 * while the client offers a fixed load (strace slows the traced process, so the load is low and
 * the same for every server): `mode` `echo` (request/response, SYSCALL_IN_FLIGHT in flight) or
 * `sink` (flood at SYSCALL_RATE). Null when strace is missing or cannot attach.
 */
export async function syscallsPerMessage(client, kind, mode, extraEnv) {
  const server = await startServer(kind, mode, extraEnv);
  try {
    const strace = spawn('strace', ['-f', '-c', '-p', String(server.pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let report = '';
    strace.stderr.on('data', (chunk) => (report += chunk));
    const spawned = await new Promise((resolve) => {
      strace.once('error', () => resolve(false));
      strace.once('spawn', () => resolve(true));
    });
    if (!spawned) return null;
    await pause(500); // attached to every thread
    const before = await server.stats();
    if (mode === 'echo') {
      await ask(client, {
        cmd: 'rr',
        port: server.port,
        inFlight: SYSCALL_IN_FLIGHT,
        ms: ROUND_MS,
      });
    } else {
      await ask(client, { cmd: 'flood', port: server.port, rate: SYSCALL_RATE, ms: ROUND_MS });
    }
    await pause(100);
    const after = await server.stats();
    const exited = new Promise((resolve) => strace.once('close', resolve));
    strace.kill('SIGINT');
    await exited;
    // The summary's last line: `100.00  <seconds>  <usecs/call>  <calls>  [errors]  total`.
    const total = /^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total\s*$/m.exec(report);
    const messages = after.received - before.received;
    if (total === null || messages === 0) return null;
    return { calls: Number(total[1]), messages, perMsg: Number(total[1]) / messages };
  } finally {
    await server.close();
  }
}
