// Two parts of bench:sip (sip.bench.mjs runs them when BENCH_SIP_TRANSPORTS lists `auth`, `tls`):
//
// - auth: the highest zero-failure rate of authenticated REGISTERs — sipp's
//   sipp/register-auth-users.xml: a REGISTER, its 401 challenge, the REGISTER with MD5
//   credentials, 200 — for 10,000 users in turn (-inf), over one TCP connection (-t t1), against
//   apps/sip-uas with SIP_AUTH_FILE and against Kamailio with kamailio/auth-registrar.cfg (auth +
//   registrar, location table in memory). Many users, not one: sip-uas writes one address of
//   record's REGISTERs one at a time and answers 503 beyond 32 waiting (a flood of one address),
//   which sipp's bursts of thousands a second for a single user hit at 3,000/s with the server at
//   20 % CPU. One worker each: SIP_WORKERS=1, Kamailio tcp_children=1 — all REGISTERs come on
//   one connection, which either server reads in one process; a second worker would idle. Both
//   challenge with one MD5 header (SIP_AUTH_ALGORITHMS=MD5: sipp 3.6 computes MD5 only, and
//   Kamailio's default challenge is MD5 alone), realm = the To domain, the same users and
//   password. Neither bans the load generator: sip-uas's flood guard allows 127.0.0.1 by
//   default, and the Kamailio configuration has no pike.
// - tls: the highest zero-failure rate of sipp's uac calls over one TLS connection (-t l1, sipp
//   built with OpenSSL by scripts/build-sipp-tls.sh) against apps/sip-uas's TLS port, next to
//   the same over TCP (the tcp part's figure when it ran, else measured here), and against
//   Kamailio's tls module when it is installed (Debian package kamailio-tls-modules).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import runner from '../sipp/run-sipp.cjs';
import {
  freePort,
  SIP_UAS_NODE_FLAGS,
  sippStep,
  startKamailioUas,
  watch,
} from './bench-processes.mjs';
import { rampUp } from './ramp.mjs';

const { tlsArgs, tlsSipp } = runner;
const appDir = new URL('..', import.meta.url).pathname;
const workspace = join(appDir, '..', '..');

const REALM = 'example.test';
/** Users registering in turn; Kamailio's configuration gives them all one password. */
const USERS = 10_000;
const PASSWORD = 'bench-password';

/**
 * The auth part. Returns the app's and Kamailio's highest rates (`cps` here counts completed
 * REGISTER transactions with credentials, one per sipp "call") and their ratio.
 */
export async function authPart({ seconds, maxRate }) {
  const { env, scenario } = authLoad();
  const step = (server, rate) => sippStep(server, rate, seconds, scenario);
  const app = await rampUp('sip-uas auth', () => startUasWith(env, 'tcp'), step, maxRate);
  const kamailio = await rampUp(
    'kamailio auth',
    () =>
      startKamailioUas('tcp', {
        config: 'auth-registrar.cfg',
        tcpChildren: 1,
        defines: [`AUTH_PASSWORD="${PASSWORD}"`],
      }),
    step,
    maxRate,
  );
  return {
    app,
    kamailio,
    ratio: kamailio.cps > 0 ? Number((app.cps / kamailio.cps).toFixed(3)) : null,
  };
}

/**
 * The auth part's load, written to a temporary folder: the htdigest file of `USERS` users (the
 * server's `SIP_AUTH_FILE`) and sipp's injection file. Returns the server's environment
 * (`SIP_AUTH_FILE`, `SIP_REALM`, MD5 only, a random nonce secret) and sipp's scenario arguments
 * (without the rate). Shared with bench/auth-fixed-rate.mjs.
 */
export function authLoad() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-auth-'));
  const names = Array.from({ length: USERS }, (_, i) => `user${String(i).padStart(5, '0')}`);
  // The htdigest lines the server reads: user:realm:MD5(user:realm:password).
  const users = join(dir, 'users.htdigest');
  writeFileSync(
    users,
    names
      .map((name) => {
        const ha1 = createHash('md5').update(`${name}:${REALM}:${PASSWORD}`).digest('hex');
        return `${name}:${REALM}:${ha1}\n`;
      })
      .join(''),
  );
  // sipp's injection file: each call takes the next line (user;password).
  const inject = join(dir, 'users.csv');
  writeFileSync(inject, `SEQUENTIAL\n${names.map((name) => `${name};${PASSWORD}\n`).join('')}`);
  return {
    env: {
      SIP_AUTH_FILE: users,
      SIP_REALM: REALM,
      SIP_AUTH_ALGORITHMS: 'MD5',
      SIP_AUTH_SECRET: randomBytes(16).toString('hex'),
    },
    scenario: ['-sf', join(appDir, 'sipp', 'register-auth-users.xml'), '-inf', inject, '-t', 't1'],
  };
}

/**
 * The tls part: sip-uas over TLS, over TCP unless `tcpCps` (the tcp part's) is given, and
 * Kamailio over TLS when its tls module is installed. Returns `undefined` without a TLS sipp.
 */
export async function tlsPart({ seconds, maxRate, tcpCps }) {
  if (tlsSipp() === undefined) {
    console.log('tls part skipped: no sipp with TLS (apps/sip-uas/scripts/build-sipp-tls.sh)');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
  execFileSync(process.execPath, [join(workspace, 'tools', 'make-test-certs.mjs'), dir]);
  // sipp verifies the server against the test CA (the handshake happens once: one connection).
  const overTls = ['-sn', 'uac', '-t', 'l1', ...tlsArgs(dir, join(dir, 'ca.crt'))];
  const app = await rampUp(
    'sip-uas tls',
    () =>
      startUasWith(
        { SIP_TLS_KEY: join(dir, 'server.key'), SIP_TLS_CERT: join(dir, 'server.crt') },
        'tls',
      ),
    (server, rate) => sippStep(server, rate, seconds, overTls),
    maxRate,
  );
  const tcp =
    tcpCps ??
    (
      await rampUp(
        'sip-uas tcp',
        () => startUasWith({}, 'tcp'),
        (server, rate) => sippStep(server, rate, seconds, ['-sn', 'uac', '-t', 't1']),
        maxRate,
      )
    ).cps;
  const kamailio = kamailioTlsModule()
    ? await rampUp(
        'kamailio tls',
        () =>
          startKamailioUas('tls', {
            defines: [
              'WITH_TLS',
              `TLS_KEY="${join(dir, 'server.key')}"`,
              `TLS_CERT="${join(dir, 'server.crt')}"`,
            ],
          }),
        (server, rate) => sippStep(server, rate, seconds, overTls),
        maxRate,
      )
    : undefined;
  return {
    app,
    tcpCps: tcp,
    kamailio,
    tlsToTcp: tcp > 0 ? Number((app.cps / tcp).toFixed(3)) : null,
    ratio:
      kamailio !== undefined && kamailio.cps > 0
        ? Number((app.cps / kamailio.cps).toFixed(3))
        : null,
  };
}

/** Whether Kamailio's tls module is installed (Debian package kamailio-tls-modules). */
function kamailioTlsModule() {
  return ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules'].some((dir) =>
    existsSync(join(dir, 'tls.so')),
  );
}

/**
 * The built app, one process with no store as bench:sip measures it, with `env` added; ready
 * when `transport` accepts. Over `tls` the returned port is the TLS one (sipp's target).
 *
 * @param options.main - another build's `main.js` (default this app's `dist/main.js`).
 * @param options.nodeArgs - flags for the server's Node (`--cpu-prof`).
 */
export async function startUasWith(env, transport, { main, nodeArgs = [] } = {}) {
  const port = await freePort();
  const tlsPort = transport === 'tls' ? await freePort() : undefined;
  const entry = main ?? join(appDir, 'dist', 'main.js');
  const child = spawn(process.execPath, [...SIP_UAS_NODE_FLAGS, ...nodeArgs, entry], {
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: `${port}`,
      ...(tlsPort === undefined ? {} : { SIP_TLS_PORT: `${tlsPort}` }),
      SIP_STATUS_MS: '0',
      SIP_WORKERS: '1',
      SIP_STORE: 'memory',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child, tlsPort ?? port, `apps/sip-uas ${transport}`, 'tcp');
}
