// What a REGISTER's digest check costs the event loop, inline against the kit's capsule pool
// (`npm run bench:digest`; not a test). Issue #22 proposed the capsule for the digest checks;
// this measures whether they are heavy enough to move.
//
// 1. inline: `DigestAuthenticator.verify()` on DIGEST_ANSWERS fresh answers (a nonce each,
//    1,000 users) per algorithm, and the response digest alone — the only part a worker could
//    take, since the nonce counts and failure counts live on the event loop;
// 2. pool: the same response digest as a `CapsulePool` task (a pool of 1, jobs 1 ms apart, as
//    REGISTERs arriving): its round trip (p50/p99) and the event loop's CPU per job (this
//    thread's CPU from /proc/thread-self/schedstat, less that of the same loop without jobs).
// Last line: BENCH digest {"verifyMd5Us", "verifySha256Us", "responseDigestUs",
// "poolRoundTripP50Us", "poolRoundTripP99Us", "poolEventLoopCpuPerJobUs", "cpuRatio"}, where
// cpuRatio is the pool's event-loop CPU per job over the inline response digest's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CapsulePool, capsuleTask } from '@aem/app-kit';

const require = createRequire(import.meta.url);
const dist = (file) => require(fileURLToPath(new URL(`../dist/auth/${file}`, import.meta.url)));
const { DigestAuthenticator } = dist('digest-authenticator.js');
const { CredentialsFile, credentialsLine } = dist('credentials-file.js');
const { digestHa1, digestResponse } = dist('digest-algorithm.js');
const { parseDigestHeader } = dist('authorization-header.js');

const ANSWERS = Number(process.env.DIGEST_ANSWERS ?? 50_000);
const JOBS = Number(process.env.DIGEST_POOL_JOBS ?? 2_000);
const USERS = 1_000;
const realm = 'sip.example.org';
const uri = `sip:${realm}`;

const credentials = CredentialsFile.parse(
  'users',
  Array.from({ length: USERS }, (_, i) =>
    credentialsLine(
      `u${i}`,
      realm,
      digestHa1('MD5', `u${i}`, realm, 'pw'),
      digestHa1('SHA-256', `u${i}`, realm, 'pw'),
    ),
  ).join('\n'),
);
const auth = new DigestAuthenticator({
  realm,
  credentials,
  secret: Buffer.alloc(32, 1),
  maxNonces: ANSWERS * 2,
});
/** This thread's CPU time so far, ns. */
const threadCpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
const round = (value, digits = 2) => +value.toFixed(digits);

/** `count` correct answers to fresh challenges offering `algorithm`, as a client sends them. */
function answers(count, algorithm) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const user = `u${i % USERS}`;
    const challenge = auth.challenges(false, [algorithm])[0];
    const nonce = parseDigestHeader(challenge).get('nonce');
    const ha1 = digestHa1(algorithm, user, realm, 'pw');
    const response = digestResponse({
      algorithm,
      ha1,
      method: 'REGISTER',
      uri,
      nonce,
      nc: '00000001',
      cnonce: 'c0ffee',
    });
    out.push({
      header:
        `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
        `response="${response}", algorithm=${algorithm}, cnonce="c0ffee", qop=auth, nc=00000001`,
      input: { algorithm, ha1, method: 'REGISTER', uri, nonce, nc: '00000001', cnonce: 'c0ffee' },
    });
  }
  return out;
}

/** µs per verify() over fresh answers (every one must pass), and per response digest alone. */
function inline(algorithm) {
  const batch = answers(ANSWERS, algorithm);
  let t0 = performance.now();
  for (const { header } of batch) {
    const outcome = auth.verify('REGISTER', header, '127.0.0.1');
    if (outcome.kind !== 'ok') throw new Error(`an answer did not pass: ${outcome.kind}`);
  }
  const verifyUs = ((performance.now() - t0) * 1000) / ANSWERS;
  t0 = performance.now();
  for (const { input } of batch) digestResponse(input);
  return { verifyUs, responseUs: ((performance.now() - t0) * 1000) / ANSWERS };
}

const sleep1ms = () => new Promise((resolve) => setTimeout(resolve, 1));

async function pooled() {
  const pool = new CapsulePool({ size: 1, maxQueue: 16 });
  const task = capsuleTask(fileURLToPath(new URL('./digest.task.mjs', import.meta.url)), 'digest');
  const { input } = answers(1, 'MD5')[0];
  for (let i = 0; i < 200; i++) await pool.run(task, input); // loaded and warm
  const latencies = [];
  let cpu0 = threadCpu();
  for (let i = 0; i < JOBS; i++) {
    const t0 = performance.now();
    const digest = await pool.run(task, input);
    latencies.push((performance.now() - t0) * 1000);
    if (digest !== digestResponse(input)) throw new Error('the worker computed another digest');
    await sleep1ms();
  }
  const withJobs = threadCpu() - cpu0;
  cpu0 = threadCpu();
  for (let i = 0; i < JOBS; i++) await sleep1ms();
  const loopOnly = threadCpu() - cpu0;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(JOBS / 2)],
    p99: latencies[Math.floor(JOBS * 0.99)],
    cpuPerJobUs: (withJobs - loopOnly) / 1e3 / JOBS,
  };
}

inline('MD5'); // warm-up: the JIT, the credentials map
const md5 = inline('MD5');
const sha256 = inline('SHA-256');
console.log(
  `verify(): MD5 ${round(md5.verifyUs)} µs, SHA-256 ${round(sha256.verifyUs)} µs; ` +
    `response digest alone ${round(md5.responseUs)} / ${round(sha256.responseUs)} µs`,
);
const pool = await pooled();
console.log(
  `capsule pool of 1: round trip p50 ${round(pool.p50, 1)} µs, p99 ${round(pool.p99, 1)} µs; ` +
    `event-loop CPU per job ${round(pool.cpuPerJobUs, 1)} µs`,
);
const responseDigestUs = Math.max(md5.responseUs, sha256.responseUs);
console.log(
  `BENCH digest ${JSON.stringify({
    answers: ANSWERS,
    jobs: JOBS,
    verifyMd5Us: round(md5.verifyUs),
    verifySha256Us: round(sha256.verifyUs),
    responseDigestUs: round(responseDigestUs),
    poolRoundTripP50Us: round(pool.p50, 1),
    poolRoundTripP99Us: round(pool.p99, 1),
    poolEventLoopCpuPerJobUs: round(pool.cpuPerJobUs, 1),
    cpuRatio: round(pool.cpuPerJobUs / responseDigestUs, 1),
  })}`,
);
