// The processes the SIP benchmarks drive: Kamailio on the repository's stateless configuration,
// a bounded wait until a server answers, its CPU from /proc, a port free on TCP and UDP. Shared
// by bench/sip.bench.mjs and bench/scale.bench.mjs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import runner from '../sipp/run-sipp.cjs';

const { runSipp, which } = runner;
const appDir = new URL('..', import.meta.url).pathname;

/**
 * Starts Kamailio in the foreground with the repository's stateless configuration
 * (`kamailio/stateless-uas.cfg`), listening on `transport` at 127.0.0.1 on a free port.
 *
 * @param options.children - UDP worker processes (`-n`, its `children`); the config's 2 otherwise.
 * @param options.tcpChildren - TCP worker processes (`tcp_children`, written into a copy of
 *   the config: Kamailio has no command-line switch for it); the config's 2 otherwise.
 * @param options.config - another configuration of `kamailio/` (default `stateless-uas.cfg`).
 * @param options.defines - `-A` definitions (`NAME=value`) the configuration reads.
 * @param options.startMs - how long it may take to answer (see {@link watch}).
 */
export async function startKamailioUas(transport, options = {}) {
  const port = await freePort();
  const run = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const modules =
    ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules'].find(existsSync) ??
    readdirSync('/usr/lib')
      .map((d) => join('/usr/lib', d, 'kamailio', 'modules'))
      .find(existsSync);
  let config = join(appDir, 'kamailio', options.config ?? 'stateless-uas.cfg');
  if (options.tcpChildren !== undefined) {
    const copy = join(run, options.config ?? 'stateless-uas.cfg');
    writeFileSync(
      copy,
      readFileSync(config, 'utf8').replace(
        /^tcp_children=\d+$/m,
        `tcp_children=${options.tcpChildren}`,
      ),
    );
    config = copy;
  }
  const child = spawn(
    which('kamailio'),
    [
      '-f',
      config,
      '-L',
      modules,
      '-l',
      `${transport}:127.0.0.1:${port}`,
      ...(options.children !== undefined ? ['-n', `${options.children}`] : []),
      ...(options.defines ?? []).flatMap((define) => ['-A', define]),
      '-DD',
      '-E',
      '-Y',
      run,
      '-P',
      join(run, 'kamailio.pid'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = await watch(child, port, 'kamailio', transport, {
    ...(options.startMs === undefined ? {} : { startMs: options.startMs }),
  });
  const stop = server.stop;
  return {
    ...server,
    stop: async () => (await stop(), rmSync(run, { recursive: true, force: true })),
  };
}

/**
 * Waits until `port` answers over `transport`; gives the process a bounded stop.
 *
 * @param options.startMs - how long the process may take to answer (default 30 s; an emulated
 *   guest needs more).
 */
export async function watch(child, port, name, transport, { startMs = 30_000 } = {}) {
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + startMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start:\n${output}`);
    if (await (transport === 'udp' ? answersOptions(port) : accepts(port))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} does not accept on ${port} after ${startMs} ms:\n${output}`);
    }
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

/**
 * The Node flags `npm start` runs the app with (the root package.json's `start` and this app's
 * `serve`; cluster workers inherit them): semi-spaces of at most 8 MiB, where V8 grows them to
 * 32 MiB by default on this 24 GiB machine. A call allocates ~23 KB of short-lived strings
 * and objects; with the smaller semi-spaces the scavenger's from- and to-space stay warm in
 * the cache and the kernel maps fresh young-generation pages less often. Measured at 1 worker,
 * 5,000 calls/s over UDP, three alternating rounds: 0.6–0.8 → 0.27–0.29 minor faults per call
 * and 111–114 → 98–100 µs of CPU per call (apps/sip-uas/README.md). Every bench start of the
 * app and of the floor server passes them, so every comparison runs them alike.
 */
export const SIP_UAS_NODE_FLAGS = ['--max-semi-space-size=8'];

/**
 * Starts the built app (UDP and TCP on one port, `dist/main.js` or `main`) on a free port, with
 * no store and no status line unless `env` says otherwise; ready when `transport` answers and
 * the process printed its listening line (with workers, the primary prints it once every worker
 * serves).
 *
 * @param options.env - the app's settings (`SIP_WORKERS`, `SIP_BACKEND`, `LOG_LEVEL`, …).
 * @param options.transport - `udp` or `tcp`: what must answer before the server counts as up.
 * @param options.main - the entry file (a copy of dist for the hot-upgrade runs).
 * @param options.startMs - how long it may take to start (see {@link watch}).
 */
export async function startSipUas({
  env = {},
  transport = 'tcp',
  main = join(appDir, 'dist', 'main.js'),
  startMs = 30_000,
} = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...SIP_UAS_NODE_FLAGS, main], {
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: `${port}`,
      SIP_STATUS_MS: '0',
      // No store: calls only (bench:scale measures the stores by setting SIP_STORE).
      SIP_STORE: 'memory',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let listening = false;
  child.stdout.on('data', (chunk) => (listening ||= String(chunk).includes('listening on sip:')));
  const server = await watch(child, port, 'apps/sip-uas', transport, { startMs });
  const deadline = Date.now() + startMs;
  while (!listening && Date.now() < deadline) await sleep(50);
  if (!listening) {
    await server.stop();
    throw new Error(
      `apps/sip-uas answers on ${port} but printed no listening line:\n${server.output()}`,
    );
  }
  return server;
}

/**
 * Starts bench/dgram-floor-server.mjs — the same datagrams as this app sends for sipp's `uac`
 * call, from node:dgram with no SIP stack — with `workers` processes on one port (reusePort), on
 * a free port; ready when it answers an OPTIONS.
 */
export async function startDgramFloor(workers) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...SIP_UAS_NODE_FLAGS,
      join(appDir, 'bench', 'dgram-floor-server.mjs'),
      `${port}`,
      `${workers}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = await watch(child, port, 'node:dgram floor', 'udp');
  // Every worker prints its line once bound; the first answer may come from the first alone.
  const bound = () => server.output().match(/listening/g)?.length ?? 0;
  const deadline = Date.now() + 10_000;
  while (bound() < workers && Date.now() < deadline) await sleep(50);
  if (bound() < workers) {
    await server.stop();
    throw new Error(
      `node:dgram floor: ${bound()} of ${workers} workers bound after 10 s:\n${server.output()}`,
    );
  }
  return server;
}

export function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Whether an OPTIONS datagram to `port` gets an answer within 200 ms. */
export function answersOptions(port) {
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
 * CPU seconds (user + system) used so far by process `pid` and every live descendant (the
 * cluster's workers, Kamailio's children and any process they forked), from /proc: the whole
 * tree, so a server of several processes is charged for all of them. A descendant that exited
 * during the measurement takes its CPU with it (its parent's cutime counts it only once
 * reaped); the benchmarks kill no worker while measuring.
 */
export function cpuSeconds(pid) {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const processes = new Map(); // pid → { ppid, ticks }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.set(Number(entry), {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  const children = new Map();
  for (const [child, { ppid }] of processes) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(child);
  }
  let total = 0;
  for (const queue = [pid]; queue.length > 0;) {
    const next = queue.pop();
    total += processes.get(next)?.ticks ?? 0;
    queue.push(...(children.get(next) ?? []));
  }
  return total / ticksPerSecond;
}

/** A port free on both TCP and UDP at 127.0.0.1 (the app serves both on one port). */
export async function freePort() {
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

/**
 * One step of a ramp: sipp places rate × `seconds` calls of `scenario` (its arguments up to the
 * rate) against `server`. The step passes when sipp exits 0, every call succeeded and the server
 * kept up: at most 200 ms worth of calls in progress at once (a server that falls behind piles
 * calls up long before they time out). The server's CPU is its whole process tree's (Kamailio's
 * or the cluster's workers) from /proc: in % of one core, and in µs per successful call.
 *
 * @param sources - the local addresses of the sipp processes: one sipp per address, each placing
 *   an equal share of the calls from its own address (so neither one sipp's single thread nor
 *   one address's ephemeral ports bound the load). Default one sipp on 127.0.0.1.
 */
export async function sippStep(server, rate, seconds, scenario, sources = ['127.0.0.1']) {
  const calls = rate * seconds;
  const share = (total, i) =>
    Math.floor(total / sources.length) + (i < total % sources.length ? 1 : 0);
  const cpuBefore = cpuSeconds(server.child.pid);
  const runs = await Promise.all(
    sources.map((source, i) =>
      runSipp(
        server.port,
        [...scenario, '-i', source, '-r', `${share(rate, i)}`, '-m', `${share(calls, i)}`],
        seconds * 4 + 20,
      ),
    ),
  );
  const elapsedS = Math.max(...runs.map((run) => run.elapsedS));
  const cpu = cpuSeconds(server.child.pid) - cpuBefore;
  const serverCpu = Math.round((100 * cpu) / elapsedS);
  const sum = (key) => runs.reduce((total, run) => total + (run[key] ?? 0), 0);
  const successful = sum('successful');
  const failed = sum('failed');
  // Each sipp samples its own calls in progress once a second; their samples line up closely
  // enough that the sum of the maxima bounds the server's backlog from above.
  const maxCurrentCalls = sum('maxCurrentCalls');
  const sippCpu = runs.some((run) => run.sippCpu === null) ? null : sum('sippCpu');
  const backlogLimit = Math.max(50, Math.round(rate * 0.2));
  const pass =
    runs.every((run) => run.code === 0) &&
    failed === 0 &&
    successful === calls &&
    maxCurrentCalls <= backlogLimit;
  const cpuPerCallUs = successful > 0 ? Math.round((cpu * 1e6) / successful) : null;
  return { rate, successful, failed, maxCurrentCalls, serverCpu, sippCpu, cpuPerCallUs, pass };
}
