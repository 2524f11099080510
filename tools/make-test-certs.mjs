#!/usr/bin/env node
// Makes a throw-away PKI for TLS tests, with the openssl command (Debian's `openssl`):
//   node tools/make-test-certs.mjs <dir>
// writes into <dir>: ca.crt (a test CA), server.key + server.crt (CN localhost, SAN localhost,
// 127.0.0.1, ::1, signed by the CA), client.key + client.crt (CN test-client, signed by the CA),
// rogue.key + rogue.crt (self-signed, CN localhost: a certificate no test trusts), and ca.crl
// (the CA's revocation list, empty: sipp 3.6 checks a peer's certificate only with both -tls_ca
// and -tls_crl).
// P-256 keys, valid for two days. Prints <dir>.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: make-test-certs.mjs <dir>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const at = (name) => join(dir, name);
const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const key = (name) =>
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', at(name));

key('ca.key');
openssl(
  'req',
  '-x509',
  '-new',
  '-key',
  at('ca.key'),
  '-subj',
  '/CN=aem test CA',
  '-days',
  '2',
  '-out',
  at('ca.crt'),
);
for (const [name, cn, san] of [
  ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'],
  ['client', 'test-client', 'extendedKeyUsage=clientAuth'],
]) {
  key(`${name}.key`);
  openssl(
    'req',
    '-new',
    '-key',
    at(`${name}.key`),
    '-subj',
    `/CN=${cn}`,
    '-out',
    at(`${name}.csr`),
  );
  writeFileSync(at(`${name}.ext`), `${san}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    at(`${name}.csr`),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at(`${name}.ext`),
    '-out',
    at(`${name}.crt`),
  );
}
key('rogue.key');
openssl(
  'req',
  '-x509',
  '-new',
  '-key',
  at('rogue.key'),
  '-subj',
  '/CN=localhost',
  '-days',
  '2',
  '-addext',
  'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-out',
  at('rogue.crt'),
);
// An empty CRL needs `openssl ca`, which keeps its state in files named by a config.
mkdirSync(at('crl'), { recursive: true });
writeFileSync(at('crl/index.txt'), '');
writeFileSync(at('crl/crlnumber'), '01\n');
writeFileSync(
  at('crl/ca.cnf'),
  `[ca]\ndefault_ca = test\n[test]\ndatabase = ${at('crl/index.txt')}\n` +
    `crlnumber = ${at('crl/crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 2\n`,
);
openssl(
  'ca',
  '-gencrl',
  '-config',
  at('crl/ca.cnf'),
  '-keyfile',
  at('ca.key'),
  '-cert',
  at('ca.crt'),
  '-out',
  at('ca.crl'),
);
console.log(dir);
