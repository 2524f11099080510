// CPU per authenticated REGISTER pair at one fixed rate (not part of bench:sip): the auth part's
// load — sipp/register-auth-users.xml, 10,000 users in turn, one TCP connection — at `RATE`
// pairs a second for `SECONDS`, against one process of the built app (SIP_WORKERS=1,
// SIP_AUTH_ALGORITHMS=MD5, SIP_STORE=memory). Where bench:sip finds the highest passing rate,
// this measures what each pair costs below it, which moves less with the host's load: the
// server's CPU from /proc (user and system apart) and its read and write system calls
// (/proc/PID/io) per pair. `NODE_ARGS` passes flags to the server's Node (`--cpu-prof
// --cpu-prof-dir=DIR` for a profile), `MAIN` runs another build's `main.js` (to compare two).
//
//   RATE=5000 SECONDS=10 node apps/sip-uas/bench/auth-fixed-rate.mjs
//
// Ends with `BENCH sip-auth-fixed-rate {"rate":…,"pairs":…,"failed":…,"cpuUs":…,…}`.
import { readFileSync } from 'node:fs';
import { authLoad, startUasWith } from './auth-tls-parts.mjs';
import { sippStep } from './bench-processes.mjs';

const rate = Number(process.env.RATE ?? 5000);
const seconds = Number(process.env.SECONDS ?? 10);
if (!(rate > 0) || !(seconds > 0)) throw new RangeError('RATE and SECONDS must be positive');

const { env, scenario } = authLoad();
const server = await startUasWith(env, 'tcp', {
  main: process.env.MAIN,
  nodeArgs: (process.env.NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
});
const pid = server.child.pid;

/** The server's read and write system calls (`/proc/PID/io`) and user and system CPU so far. */
function usage() {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, in USER_HZ ticks (100 a second on Linux).
  return {
    writes: field('syscw'),
    reads: field('syscr'),
    userS: Number(fields[11]) / 100,
    systemS: Number(fields[12]) / 100,
  };
}

try {
  const before = usage();
  const step = await sippStep(server, rate, seconds, scenario);
  const after = usage();
  console.log(step);
  const perPair = (n) => (step.successful > 0 ? Number((n / step.successful).toFixed(2)) : null);
  const result = {
    rate,
    pairs: step.successful,
    failed: step.failed,
    cpuUs: step.cpuPerCallUs,
    serverCpu: step.serverCpu,
    sippCpu: step.sippCpu,
    userUs: perPair((after.userS - before.userS) * 1e6),
    systemUs: perPair((after.systemS - before.systemS) * 1e6),
    writesPerPair: perPair(after.writes - before.writes),
    readsPerPair: perPair(after.reads - before.reads),
  };
  console.log(`BENCH sip-auth-fixed-rate ${JSON.stringify(result)}`);
} finally {
  await server.stop();
}
