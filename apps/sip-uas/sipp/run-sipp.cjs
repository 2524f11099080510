// Runs sipp (Debian package `sip-tester`) against a server on 127.0.0.1 and reads its verdict:
// the exit status (0: every call succeeded), the counters of its statistics file (a row a
// second), its wall time and the CPU it used. Shared by the tests (test/sipp.ts) and the
// benchmark (bench/sip.bench.mjs); plain CommonJS so both can load it without a build.
'use strict';
const { execFile } = require('node:child_process');
const { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { delimiter, join } = require('node:path');
const { performance } = require('node:perf_hooks');

/** The first executable `tool` on PATH (then /usr/sbin, /usr/bin), or `undefined`. */
function which(tool) {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin']);
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Where scripts/build-sipp-tls.sh installs a sipp built with TLS (Debian's is built without:
 * "To use a TLS transport you must compile SIPp with OpenSSL").
 */
const SIPP_TLS_DEFAULT = '/usr/local/lib/aem-sipp-tls/sipp';

/**
 * The sipp that runs TLS transports (`-t l1`, `-t ln`): `$SIPP_TLS` if set, else the build of
 * scripts/build-sipp-tls.sh at its fixed path, if executable; otherwise `undefined`.
 */
function tlsSipp() {
  const candidate = process.env.SIPP_TLS || SIPP_TLS_DEFAULT;
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

/**
 * sipp's TLS options for a run against our server, from a folder of tools/make-test-certs.mjs.
 * sipp 3.6 loads a certificate and key even as a client (`-tls_cert`, `-tls_key`: the test
 * client's); it checks the server's certificate only when given both a CA and a CRL (`-tls_ca`,
 * `-tls_crl`); and with TLS 1.3 negotiated (OpenSSL 3's default) it connects but never places a
 * call, so the version is pinned to 1.2 (sipp supports 1.3 from 3.7 on).
 *
 * @param dir - the certificates' folder.
 * @param ca - the CA file sipp must verify the server against (`undefined`: no verification).
 */
function tlsArgs(dir, ca) {
  return [
    '-tls_cert',
    join(dir, 'client.crt'),
    '-tls_key',
    join(dir, 'client.key'),
    '-tls_version',
    '1.2',
    ...(ca === undefined ? [] : ['-tls_ca', ca, '-tls_crl', join(dir, 'ca.crl')]),
  ];
}

/** The rows of sipp's statistics file, each a map from column name to value. */
function statRows(file) {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return [];
  const names = lines[0].split(';');
  return lines.slice(1).map((line) => {
    const values = line.split(';');
    return new Map(
      names.map((name, i) => [
        name,
        /^\d+(\.\d+)?$/.test(values[i]) ? Number(values[i]) : values[i],
      ]),
    );
  });
}

/**
 * Runs sipp with `args` (scenario, transport, -m, -r, -i …) against 127.0.0.1:`port` — from
 * 127.0.0.1 unless `args` set `-i` — bounded by `timeoutS` (sipp's own -timeout, and a kill
 * 10 s later). A TLS transport (`-t l1`/`ln`) runs the TLS build ({@link tlsSipp}).
 */
function runSipp(port, args, timeoutS = 60) {
  const transport = args[args.indexOf('-t') + 1];
  const tls = args.includes('-t') && /^l/.test(transport ?? '');
  const sipp = tls ? tlsSipp() : which('sipp');
  if (sipp === undefined)
    throw new Error(
      tls
        ? `no sipp with TLS at ${process.env.SIPP_TLS || SIPP_TLS_DEFAULT} (apps/sip-uas/scripts/build-sipp-tls.sh builds it; SIPP_TLS names another)`
        : 'sipp is not installed (Debian: apt-get install sip-tester)',
    );
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stats = join(dir, 'stats.csv');
  const argv = [
    ...args,
    '-nostdin',
    // The local address: 127.0.0.1 unless `args` name one (-i 127.0.0.2 …).
    ...(args.includes('-i') ? [] : ['-i', '127.0.0.1']),
    '-trace_stat',
    '-stf',
    stats,
    '-fd',
    '1',
    '-timeout',
    `${timeoutS}s`,
    `127.0.0.1:${port}`,
  ];
  return new Promise((resolve) => {
    // Through sh, whose `times` reports the CPU sipp used (user and system).
    execFile(
      '/bin/sh',
      ['-c', '"$0" "$@"; code=$?; times; exit $code', sipp, ...argv],
      { cwd: dir, timeout: (timeoutS + 10) * 1000, maxBuffer: 1 << 26 },
      (error, stdout, stderr) => {
        const elapsedS = (performance.now() - started) / 1000;
        const times = [...String(stdout).matchAll(/(\d+)m([\d.]+)s/g)].map(
          (m) => Number(m[1]) * 60 + Number(m[2]),
        );
        const rows = statRows(stats);
        const last = rows.at(-1) ?? new Map();
        rmSync(dir, { recursive: true, force: true });
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          successful: last.get('SuccessfulCall(C)') ?? 0,
          failed: last.get('FailedCall(C)') ?? 0,
          elapsedS,
          sippCpu: times.length >= 4 ? Math.round((100 * (times[2] + times[3])) / elapsedS) : null,
          maxCurrentCalls: Math.max(0, ...rows.map((row) => row.get('CurrentCall') ?? 0)),
          output: `${stdout}\n${stderr}`.slice(-4000),
        });
      },
    );
  });
}

module.exports = { runSipp, which, tlsSipp, tlsArgs, SIPP_TLS_DEFAULT };
