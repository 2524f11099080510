// The kernel part of `npm run bench:udp`, run inside the test VM (vm-init.sh's b_udp_kmod, started
// by packages/aem-kmod/scripts/vm-bench-udp.sh): the same @aem/udp echo server (udp-server.mjs)
// on the kmod backend (aem_udp.ko) and on the userspace backend, in the same guest, driven by the
// same C load generator (b_udp_echo: request/response, many requests in flight, recvmmsg/sendmmsg,
// its own process) so that the server is what is measured. The userspace backend runs twice: on
// node:dgram (AEM_UDP_TRANSPORT=node), the peer issue #17 set `kmodRatio` against, and on the
// `mmsg` transport (recvmmsg/sendmmsg through @aem/kmod's binding, the userspace default since
// session 11 when the binding loads), `kmodMmsgRatio`.
//
// Per backend: answered requests per second (median of ROUNDS runs of SECONDS each, with the
// requests lost), the server's CPU per request, and its system calls per request, counted by
// `strace -f -c` over a separate run (strace slows the server, so that run's rate is not used).
// The last line is `BENCH udp-kmod <json>` with `kmodRatio` (kmod / userspace on node:dgram,
// requests per second), `kmodMmsgRatio` (kmod / userspace on mmsg) and `kmodSyscallsPerMsg`;
// vm-bench-udp.sh hands it to udp.bench.mjs (BENCH_UDP_KMOD).
//
//   AEM_UDP_LOAD=<path of b_udp_echo> node udp-kmod.bench.mjs [inFlight] [size] [seconds] [rounds]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { startServer } from './udp-measure.mjs';

const [inFlight = 256, size = 64, seconds = 3, rounds = 3] = process.argv.slice(2).map(Number);
const load = process.env.AEM_UDP_LOAD;
if (!load) throw new Error('AEM_UDP_LOAD: path of the b_udp_echo load generator');
// The guest's PATH is busybox's /bin; vm-stage.mjs puts strace at its host path.
const strace =
  process.env.AEM_STRACE ??
  ['/usr/bin/strace', '/usr/local/bin/strace', '/bin/strace'].find((p) => existsSync(p)) ??
  'strace';

/** One run of the load generator against `port`. */
function runLoad(port, secs) {
  const run = spawnSync(load, [port, inFlight, size, secs].map(String), {
    encoding: 'utf8',
    timeout: (secs + 30) * 1000,
  });
  const m = /msgs (\d+) lost (\d+) secs ([\d.]+) rate (\d+)/.exec(run.stdout ?? '');
  if (!m) throw new Error(`load generator failed: ${run.stdout} ${run.stderr} ${run.status}`);
  return { msgs: Number(m[1]), lost: Number(m[2]), secs: Number(m[3]), rate: Number(m[4]) };
}

/** The server's system calls over one run, by `strace -f -c` attached to its process. */
async function straceRun(server, secs) {
  const out = `/tmp/strace.${server.pid}.txt`;
  const tracer = spawn(strace, ['-f', '-c', '-qq', '-o', out, '-p', String(server.pid)], {
    stdio: 'ignore',
  });
  const spawned = await new Promise((resolve) => {
    tracer.once('error', () => resolve(false));
    tracer.once('spawn', () => resolve(true));
  });
  if (!spawned) return null;
  await new Promise((resolve) => setTimeout(resolve, 1000)); // attached to every thread
  const before = await server.stats();
  runLoad(server.port, secs);
  const after = await server.stats();
  tracer.kill('SIGINT');
  await new Promise((resolve) => tracer.once('exit', resolve));
  const summary = readFileSync(out, 'utf8');
  const total = /^\s*100\.00\s+[\d.]+\s+\d+\s+(\d+)/m.exec(summary);
  const byCall = {};
  for (const m of summary.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/gm))
    if (m[2] !== 'total') byCall[m[2]] = Number(m[1]);
  const msgs = after.received - before.received;
  return total && msgs > 0 ? { calls: Number(total[1]), msgs, byCall } : null;
}

/** Live aem_udp events in the guest: the kmod server must hold one. */
const udpEvents = () => Number(readFileSync('/sys/module/aem_udp/refcnt', 'utf8'));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpuUs = ({ cpu }) => cpu.user + cpu.system;
const round = (value, digits = 3) =>
  value === null || Number.isNaN(value) ? null : Number(value.toFixed(digits));
/** Each configuration measured: its name, the server's environment, the transport it must get. */
const configurations = [
  ['userspace', { AEM_BACKEND: 'userspace', AEM_UDP_TRANSPORT: 'node' }, 'node'],
  ['mmsg', { AEM_BACKEND: 'userspace', AEM_UDP_TRANSPORT: 'mmsg' }, 'mmsg'],
  ['kmod', { AEM_BACKEND: 'kmod' }, 'kernel'],
];
const results = {};
for (const [backend, env, transport] of configurations) {
  const server = await startServer('ours', 'echo', env);
  try {
    const events = udpEvents();
    if ((backend === 'kmod') !== events > 0)
      throw new Error(`${backend}: ${events} aem_udp events (the kernel transport was not picked)`);
    const picked = (await server.stats()).transport;
    if (picked !== transport) throw new Error(`${backend}: transport ${picked}, not ${transport}`);
    runLoad(server.port, 2); // warm-up: JIT on both sides
    const runs = [];
    for (let r = 0; r < rounds; r++) {
      const before = await server.stats();
      const run = runLoad(server.port, seconds);
      const after = await server.stats();
      runs.push({ ...run, cpuUsPerMsg: (cpuUs(after) - cpuUs(before)) / run.msgs });
    }
    const traced = await straceRun(server, seconds);
    const best = runs.find((run) => run.rate === median(runs.map((x) => x.rate)));
    const top = traced
      ? Object.entries(traced.byCall)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([name, n]) => `${name} ${(n / traced.msgs).toFixed(3)}`)
          .join(', ')
      : 'strace unavailable';
    results[backend] = {
      msgsPerSec: best.rate,
      rates: runs.map((run) => run.rate),
      lost: runs.map((run) => run.lost),
      cpuUsPerMsg: round(best.cpuUsPerMsg, 2),
      syscallsPerMsg: traced ? round(traced.calls / traced.msgs) : null,
      syscalls: traced?.byCall ?? null,
    };
    console.log(
      `# ${backend}: ${best.rate} msgs/s (runs ${results[backend].rates.join(', ')}, lost ${results[backend].lost.join(', ')}), ` +
        `${results[backend].cpuUsPerMsg} µs CPU/msg, ${results[backend].syscallsPerMsg} syscalls/msg (${top})`,
    );
  } finally {
    await server.close();
  }
}
const bench = {
  inFlight,
  size,
  seconds,
  rounds,
  kmod: results.kmod,
  userspace: results.userspace,
  mmsg: results.mmsg,
  kmodRatio: round(results.kmod.msgsPerSec / results.userspace.msgsPerSec, 2),
  kmodMmsgRatio: round(results.kmod.msgsPerSec / results.mmsg.msgsPerSec, 2),
  kmodSyscallsPerMsg: results.kmod.syscallsPerMsg,
  vmUserspaceSyscallsPerMsg: results.userspace.syscallsPerMsg,
  vmMmsgSyscallsPerMsg: results.mmsg.syscallsPerMsg,
  kmodCpuRatio: round(results.kmod.cpuUsPerMsg / results.userspace.cpuUsPerMsg, 2),
  kmodMmsgCpuRatio: round(results.kmod.cpuUsPerMsg / results.mmsg.cpuUsPerMsg, 2),
};
console.log('ok 1 - the kmod UDP benchmark ran');
console.log('1..1');
console.log(`BENCH udp-kmod ${JSON.stringify(bench)}`);
