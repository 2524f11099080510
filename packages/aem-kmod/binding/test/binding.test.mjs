// SPDX-License-Identifier: GPL-2.0-only OR MIT
// The Node-API binding against the real /dev/aem (run inside the test VM by
// scripts/vm-init.sh with `node --test --test-reporter=tap`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';

const require = createRequire(import.meta.url);
const {
  KmodDevice,
  decodeRecord,
  RECORD_TYPE,
  RECORD_FIELD: F,
  FIELDS,
  ABI_VERSION,
  UDP_KIND,
  UDP_OP,
  sock,
} = require('../index.js');

const MS = 1_000_000;
const monotonicNs = () => Number(process.hrtime.bigint());

/** Collects decoded records until `until(all)` holds or `timeoutMs` passes. */
function collect(device, until, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const all = [];
    const batches = [];
    const timer = setTimeout(() => {
      device.unlisten();
      reject(new Error(`timed out with ${all.length} records`));
    }, timeoutMs);
    device.listen((count, records) => {
      batches.push(count);
      for (let i = 0; i < count; i++) all.push(decodeRecord(records, i));
      if (until(all)) {
        clearTimeout(timer);
        device.unlisten();
        resolve({ all, batches });
      }
    });
  });
}

test('opens /dev/aem and reports the ABI', () => {
  const device = new KmodDevice({ ringPages: 4 });
  const abi = device.abi();
  assert.equal(abi.abiVersion, ABI_VERSION);
  assert.equal(abi.recordHeaderSize, 24);
  assert.ok(abi.maxEvents >= 10000);
  device.close();
  device.close(); // idempotent
});

test('lookup binds timers 1.0.0 and reports errors with AEM codes', () => {
  const device = new KmodDevice({ ringPages: 4 });
  const timers = device.lookup('timers', '1.0.0');
  assert.equal(timers.version, '1.0.0');
  assert.equal(timers.ncalls, 1);
  assert.throws(() => device.lookup('nosuch', '1.0.0'), { code: 'AEM_SERVICE_NOT_FOUND', errno: 2 });
  assert.throws(() => device.lookup('timers', '2.0.0'), { code: 'AEM_SERVICE_NOT_FOUND' });
  assert.throws(() => device.lookup('Timers', '1.0.0'), { code: 'AEM_INVALID_ARGUMENT' });
  assert.throws(() => device.lookup('timers', '1.x'), { code: 'AEM_INVALID_ARGUMENT' });
  assert.throws(() => device.timer(timers, { initialNs: 0 }), { code: 'AEM_INVALID_ARGUMENT' });
  assert.throws(() => device.stop(12345), { code: 'AEM_EVENT_CLOSED' });
  assert.throws(() => device.timer(timers, { initialNs: -1 }), { code: 'AEM_INVALID_ARGUMENT' });
  device.close();
  assert.throws(() => device.lookup('timers', '1.0.0'), { code: 'AEM_RUNTIME_CLOSED' });
});

test('a native call with too few arguments throws a TypeError naming its signature', () => {
  const device = new KmodDevice({ ringPages: 4 });
  const { native } = device;
  const signatures = [
    [() => native.entry(1, 0, null), /^entry\(serviceId, call, args, userData, priority, flags\)$/],
    [() => native.timerCreate(1, 0), /^timerCreate\(serviceId, firstCall, initialNs, intervalNs, userData, flags\)$/],
    [() => native.evctl(1), /^evctl\(eventId, op, value\)$/],
    [() => native.control(1, 0), /^control\(eventId, op, arg\)$/],
  ];
  for (const [call, message] of signatures) {
    assert.throws(call, (error) => error instanceof TypeError && error.code === 'AEM_INVALID_ARGUMENT' && message.test(error.message));
  }
  device.close();
  // A closed device is reported before the argument count.
  assert.throws(() => native.evctl(1), { code: 'AEM_RUNTIME_CLOSED' });
});

test('a one-shot timer fires once, with its user data and a time not early', async () => {
  const device = new KmodDevice({ ringPages: 4 });
  const timers = device.lookup('timers', '1.0.0');
  const t0 = monotonicNs();
  const id = device.timer(timers, { initialNs: 20 * MS, userData: 4242 });
  const { all } = await collect(device, (r) => r.length >= 1);
  assert.equal(all.length, 1);
  const [rec] = all;
  assert.equal(rec.eventId, id);
  assert.equal(rec.type, RECORD_TYPE.timer);
  assert.equal(rec.userData, 4242);
  assert.equal(rec.word0, 1, 'one expiration');
  assert.ok(rec.word1 >= t0 + 20 * MS - 1000, 'not early');
  device.shutdown(id);
  device.close();
});

test('a periodic timer runs until stopped, with priority changes', async () => {
  const device = new KmodDevice({ ringPages: 4 });
  const timers = device.lookup('timers', '1.0.0');
  const id = device.timer(timers, { initialNs: 5 * MS, intervalNs: 5 * MS, userData: 7 });
  let expirations = 0;
  await collect(device, (r) => {
    expirations = r.reduce((s, x) => s + x.word0, 0);
    return expirations >= 10;
  });
  device.setPriority(id, 200);
  // Records written before the change may still be in the ring: once one carries 200, all do.
  const { all } = await collect(device, (r) => r.filter((x) => x.priority === 200).length >= 3);
  const first = all.findIndex((x) => x.priority === 200);
  assert.ok(all.slice(first).every((x) => x.priority === 200 && x.userData === 7));
  device.stop(id);
  device.shutdown(id);
  assert.throws(() => device.start(id), { code: 'AEM_EVENT_CLOSED' });
  device.close();
});

test('1000 one-shot timers: each fires once, delivered in batches', async () => {
  const device = new KmodDevice({ ringPages: 16, batch: 256 });
  const timers = device.lookup('timers', '1.0.0');
  const ids = new Map();
  for (let i = 0; i < 1000; i++) ids.set(device.timer(timers, { initialNs: (1 + (i % 20)) * MS, userData: i }), i);
  const { all, batches } = await collect(device, (r) => r.length >= 1000, 20000);
  assert.equal(all.length, 1000);
  const seen = new Set(all.map((r) => r.userData));
  assert.equal(seen.size, 1000);
  for (const r of all) assert.equal(ids.get(r.eventId), r.userData);
  assert.ok(Math.max(...batches) <= 256, 'a batch never exceeds its size');
  const stats = device.stats();
  assert.equal(stats.dropped, 0);
  assert.equal(stats.records, 1000);
  // Informational: how many records each wake-up carried.
  console.log(`# 1000 records in ${batches.length} wake-ups (max batch ${Math.max(...batches)})`);
  device.close();
});

test('a handler that throws reaches uncaughtException; the device keeps working', () => {
  // In a child: node:test claims uncaught exceptions of its own process.
  const script = `
    const { KmodDevice } = require(${JSON.stringify(require.resolve('../index.js'))});
    const device = new KmodDevice({ ringPages: 4 });
    const timers = device.lookup('timers', '1.0.0');
    let calls = 0;
    process.on('uncaughtException', (error) => {
      console.log('caught ' + error.message);
      device.unlisten();
      device.timer(timers, { initialNs: 2e6 });
      device.listen((count) => {
        console.log('after ' + count + ' calls ' + calls);
        device.close();
      });
    });
    device.timer(timers, { initialNs: 2e6 });
    device.listen(() => { calls++; throw new Error('handler failure'); });
  `;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /caught handler failure\nafter 1 calls 1\n/);
});

test('an unref\'d, unclosed device neither holds the loop nor leaks after GC', async () => {
  let device = new KmodDevice({ ringPages: 4 });
  const timers = device.lookup('timers', '1.0.0');
  device.timer(timers, { initialNs: 1000 * MS, intervalNs: 1000 * MS });
  device.listen(() => {});
  device.unref();
  device = null;
  if (global.gc) {
    global.gc();
    await new Promise((r) => setTimeout(r, 50));
    global.gc();
  }
  // The VM's unload step checks that the module refcounts are back to 0.
});

test('control: errors of the generic service operation', () => {
  const device = new KmodDevice({ ringPages: 4 });
  const timers = device.lookup('timers', '1.0.0');
  const id = device.timer(timers, { initialNs: 1000 * MS });
  // A service without operations, an unknown event, an argument that is no Uint8Array.
  assert.throws(() => device.control(id, 1, new Uint8Array(8)), {
    code: 'AEM_INVALID_ARGUMENT',
    errno: 95,
  });
  assert.throws(() => device.control(id + 100, 1, new Uint8Array(8)), { code: 'AEM_EVENT_CLOSED' });
  assert.throws(() => device.control(id, 1, [1, 2, 3]), { code: 'AEM_INVALID_ARGUMENT' });
  device.shutdown(id);
  device.close();
});

test('udp: datagram records carry peer and bytes; a batch goes out through control', async () => {
  const device = new KmodDevice({ ringPages: 16 });
  const udp = device.lookup('udp', '1.0.0');
  const fd = sock.udpBind('127.0.0.1', 0, false, 0, 0);
  const port = sock.addresses(fd).localPort;
  const id = device.udpAttach(udp, fd, { userData: 9 });
  const client = createSocket('udp4');
  client.bind(0, '127.0.0.1');
  await once(client, 'listening');
  const clientPort = client.address().port;
  const before = Date.now();
  const got = new Promise((resolve) => {
    device.listen((count, records) => {
      for (let i = 0, o = 0; i < count; i++, o += FIELDS) {
        if (records[o + F.type] !== RECORD_TYPE.udp || records[o + F.word0] !== UDP_KIND.datagram)
          continue;
        const at = records[o + F.dataOffset];
        const bytes = Buffer.from(device.data.subarray(at, at + records[o + F.dataLength]));
        resolve({ userData: records[o + F.userData], time: records[o + F.word1], bytes });
      }
    });
  });
  client.send('ping', port, '127.0.0.1');
  const rec = await got;
  device.unlisten();
  assert.equal(rec.userData, 9);
  assert.equal(rec.bytes.readUInt16LE(0), 2, 'AF_INET');
  assert.equal(rec.bytes.readUInt16LE(2), clientPort);
  assert.deepEqual([...rec.bytes.subarray(8, 12)], [127, 0, 0, 1]);
  assert.equal(rec.bytes.subarray(24).toString(), 'ping');
  assert.ok(rec.time / 1e6 >= before - 5 && rec.time / 1e6 <= Date.now() + 5, 'receive time');
  // A batch of two: struct aem_udp_send, then each struct aem_udp_msg and its bytes (padded to 8).
  const batch = Buffer.alloc(32 + 2 * (32 + 8));
  batch.writeUInt32LE(2, 0);
  for (const [k, text] of [[0, 'pong1'], [1, 'pong2']]) {
    const at = 32 + k * 40;
    batch.writeUInt16LE(2, at);
    batch.writeUInt16LE(clientPort, at + 2);
    batch.set([127, 0, 0, 1], at + 8);
    batch.writeUInt32LE(5, at + 24);
    batch.write(text, at + 32);
  }
  const replies = [];
  const both = new Promise((resolve) =>
    client.on('message', (m) => replies.push(m.toString()) === 2 && resolve()),
  );
  assert.equal(device.control(id, UDP_OP.send, batch), 2, 'two handled');
  assert.deepEqual(
    [batch.readUInt32LE(8), batch.readUInt32LE(12), batch.readUInt32LE(16)],
    [2, 2, 0],
    'done, sent, errors written back',
  );
  await both;
  assert.deepEqual(replies, ['pong1', 'pong2']);
  // The header is checked: out fields must be zero on input.
  assert.throws(() => device.control(id, UDP_OP.send, batch), { code: 'AEM_INVALID_ARGUMENT' });
  client.close();
  device.shutdown(id);
  sock.close(fd);
  device.close();
});
