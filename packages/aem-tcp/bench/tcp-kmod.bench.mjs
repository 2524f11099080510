// The TCP part of `npm run bench:kmod` (run inside the test VM by vm-init.sh as b_tcp_kmod): the
// same @aem/tcp echo server on the kmod backend (aem_tcp.ko) and on the userspace backend
// (node:net), driven by the same C load generator (b_tcp_echo, its own process) in the same VM.
//
// Figures per backend: echoed messages per second (median of ROUNDS runs of SECONDS each) and
// the server's system calls per message, counted exactly by `strace -f -c` over a separate run
// (strace slows the server, so that run's rate is not used). /proc/<pid>/io's syscr + syscw
// (read-type and write-type calls: no epoll_wait, no ioctl) are reported too.
// The last line is `BENCH kmod-tcp <json>`.
//
//   AEM_TCP_LOAD=<path of b_tcp_echo> node tcp-kmod.bench.mjs [conns] [depth] [size] [seconds] [rounds]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [conns = 50, depth = 4, size = 64, seconds = 3, rounds = 3] = process.argv
  .slice(2)
  .map(Number);
const load = process.env.AEM_TCP_LOAD;
if (!load) throw new Error('AEM_TCP_LOAD: path of the b_tcp_echo load generator');

function startServer(backend) {
  const child = spawn(process.execPath, [join(here, 'kmod-echo.server.mjs')], {
    env: { ...process.env, AEM_BACKEND: backend },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data) => {
      out += data;
      const m = /port (\d+) (\w+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), kind: m[2] });
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

function runLoad(port, secs) {
  const run = spawnSync(load, [port, conns, depth, size, secs].map(String), {
    encoding: 'utf8',
    timeout: (secs + 30) * 1000,
  });
  const m = /msgs (\d+) secs ([\d.]+) rate (\d+)/.exec(run.stdout ?? '');
  if (!m) throw new Error(`load generator failed: ${run.stdout} ${run.stderr} ${run.status}`);
  return { msgs: Number(m[1]), secs: Number(m[2]), rate: Number(m[3]) };
}

function procIo(pid) {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (key) => Number(new RegExp(`${key}: (\\d+)`).exec(text)?.[1] ?? 0);
  return get('syscr') + get('syscw');
}

async function straceRun(pid, port, secs) {
  const out = `/dev/shm/strace.${pid}.txt`;
  const strace = spawn('strace', ['-f', '-c', '-qq', '-o', out, '-p', String(pid)], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const run = runLoad(port, secs);
  strace.kill('SIGINT');
  await new Promise((resolve) => strace.once('exit', resolve));
  const summary = readFileSync(out, 'utf8');
  const total = /^\s*100\.00\s+[\d.]+\s+\d+\s+(\d+)/m.exec(summary);
  const calls = {};
  for (const m of summary.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/gm))
    if (m[2] !== 'total') calls[m[2]] = Number(m[1]);
  return { msgs: run.msgs, calls: total ? Number(total[1]) : NaN, byCall: calls };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = {};
for (const backend of ['userspace', 'kmod']) {
  const server = await startServer(backend);
  if (server.kind !== backend) throw new Error(`${backend} asked, ${server.kind} picked`);
  runLoad(server.port, 2); // warm-up: JIT, connection setup
  const rates = [];
  let ioPerMsg = 0;
  for (let r = 0; r < rounds; r++) {
    const before = procIo(server.child.pid);
    const run = runLoad(server.port, seconds);
    ioPerMsg = (procIo(server.child.pid) - before) / run.msgs;
    rates.push(run.rate);
  }
  const traced = await straceRun(server.child.pid, server.port, seconds);
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  const top = Object.entries(traced.byCall)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, n]) => `${name} ${(n / traced.msgs).toFixed(3)}`)
    .join(', ');
  results[backend] = {
    msgsPerSec: median(rates),
    rates,
    syscallsPerMsg: Number((traced.calls / traced.msgs).toFixed(3)),
    readWriteCallsPerMsg: Number(ioPerMsg.toFixed(3)),
  };
  console.log(
    `# ${backend}: ${median(rates)} msgs/s (runs ${rates.join(', ')}), ` +
      `${results[backend].syscallsPerMsg} syscalls/msg (${top}), ` +
      `read+write calls/msg ${results[backend].readWriteCallsPerMsg}`,
  );
}
const bench = {
  conns,
  depth,
  size,
  seconds,
  rounds,
  kmod: results.kmod,
  userspace: results.userspace,
  tcpRatio: Number((results.kmod.msgsPerSec / results.userspace.msgsPerSec).toFixed(2)),
  tcpSyscallsPerMsg: {
    kmod: results.kmod.syscallsPerMsg,
    userspace: results.userspace.syscallsPerMsg,
  },
};
console.log('ok 1 - the kmod TCP benchmark ran');
console.log('1..1');
console.log(`BENCH kmod-tcp ${JSON.stringify(bench)}`);
