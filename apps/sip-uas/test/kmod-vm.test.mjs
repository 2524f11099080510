// apps/sip-uas on the kmod backend, inside the test VM (packages/aem-kmod/scripts/vm-init.sh runs
// it as t_sip_kmod, with aem_core, aem_udp and aem_tcp loaded and sipp staged): the built server
// with SIP_BACKEND=kmod serves sipp's uac over UDP through aem_udp.ko and over TCP through
// aem_tcp.ko, and drains and exits 0 on SIGTERM. Needs the app built (`dist/`). Not a timing
// test: the guest is emulated, so every bound below is generous.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import runner from '../sipp/run-sipp.cjs';
import { startSipUas } from '../bench/bench-processes.mjs';

const { runSipp } = runner;
const refcnt = (module) => Number(readFileSync(`/sys/module/${module}/refcnt`, 'utf8'));

let server;
after(async () => server?.stop());

test('starts on the kmod backend with both socket modules holding its sockets', async () => {
  server = await startSipUas({
    transport: 'udp',
    startMs: 120_000,
    env: { SIP_BACKEND: 'kmod', LOG_LEVEL: 'info' },
  });
  assert.match(server.output(), /listening on sip:.* \(handlers .*, backend kmod\)/);
  assert.ok(refcnt('aem_udp') > 0, 'an aem_udp event holds the UDP socket');
  assert.ok(refcnt('aem_tcp') > 0, 'an aem_tcp event holds the TCP listener');
});

test('serves sipp uac over UDP on one socket: 20 calls, none failed', async () => {
  const run = await runSipp(server.port, ['-sn', 'uac', '-t', 'u1', '-m', '20', '-r', '10'], 120);
  assert.equal(run.code, 0, run.output);
  assert.equal(run.successful, 20, run.output);
  assert.equal(run.failed, 0, run.output);
});

test('serves sipp uac over UDP with a socket per call: 10 calls, none failed', async () => {
  const run = await runSipp(server.port, ['-sn', 'uac', '-t', 'un', '-m', '10', '-r', '5'], 120);
  assert.equal(run.code, 0, run.output);
  assert.equal(run.successful, 10, run.output);
});

test('serves sipp uac over TCP through aem_tcp.ko: 10 calls, none failed', async () => {
  const run = await runSipp(server.port, ['-sn', 'uac', '-t', 't1', '-m', '10', '-r', '5'], 120);
  assert.equal(run.code, 0, run.output);
  assert.equal(run.successful, 10, run.output);
});

test('SIGTERM drains and exits 0, releasing every kernel event', async () => {
  const exited = new Promise((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  assert.equal(await exited, 0, server.output());
  server = undefined;
  assert.equal(refcnt('aem_udp'), 0);
  assert.equal(refcnt('aem_tcp'), 0);
});
