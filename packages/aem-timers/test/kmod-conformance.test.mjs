// The timers service on the kmod backend, against the real /dev/aem: the conformance subset of
// the userspace suite, run inside the test VM by packages/aem-kmod/scripts/vm-init.sh with
// `node --test --test-reporter=tap` (the kernel modules loaded, the workspace built).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { firstValueFrom, take, toArray } from 'rxjs';
import { AbortedError, createAem } from '@aem/core';
import { Timers, timersService } from '@aem/timers';

function kmodRuntime() {
  const runtime = createAem({ backend: 'kmod' });
  runtime.load(timersService);
  return {
    runtime,
    timers: new Timers(runtime),
    kernel: runtime.backend.kernel.lookup('timers', '1.0.0'),
  };
}

test('auto picks kmod when /dev/aem is usable, and says so', () => {
  const runtime = createAem();
  assert.equal(runtime.backendSelection.kind, 'kmod');
  assert.match(runtime.backendSelection.reason, /\/dev\/aem is usable/);
  runtime.close();
});

test('a one-shot fires once, never early, and releases its kernel event', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  const started = performance.now();
  const fired = [];
  const event = timers.after(30, (expiration) =>
    fired.push({ at: performance.now() - started, expiration }),
  );
  assert.equal(kernel.attached, 1);
  await event.closed;
  assert.equal(fired.length, 1);
  assert.ok(fired[0].at >= 30, `fired after ${fired[0].at} ms`);
  assert.equal(fired[0].expiration.expirations, 1);
  assert.equal(kernel.attached, 0);
  runtime.close();
});

test('a periodic timer counts its expirations and stops on shutdown', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  const counts = [];
  const event = timers.every(10, ({ count }) => {
    counts.push(count);
    if (count >= 5) event.shutdown();
  });
  await event.closed;
  assert.equal(counts.at(-1), 5);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
  );
  assert.equal(kernel.attached, 0);
  await timers.sleep(30);
  assert.equal(counts.at(-1), 5);
  runtime.close();
});

test('stop disarms, start re-arms with the full delay', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  let fired = 0;
  const event = timers.after(40, () => void fired++);
  event.stop();
  assert.equal(kernel.attached, 0);
  await timers.sleep(60);
  assert.equal(fired, 0);
  const restarted = performance.now();
  event.start();
  await event.closed;
  assert.equal(fired, 1);
  assert.ok(performance.now() - restarted >= 40);
  runtime.close();
});

test('sleep resolves, and rejects with AbortedError when aborted (kernel event released)', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  await timers.sleep(5);
  const controller = new AbortController();
  const pending = timers.sleep(10_000, { signal: controller.signal });
  assert.equal(kernel.attached, 1);
  controller.abort();
  await assert.rejects(
    pending,
    (error) => error instanceof AbortedError && error.code === 'AEM_ABORTED',
  );
  assert.equal(kernel.attached, 0);
  runtime.close();
});

test('the Observable form: interval(10) with take(3)', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  const ticks = await firstValueFrom(timers.interval(10).pipe(take(3), toArray()));
  // Under emulation a record may cover several expiries: counts grow by each record's
  // `expirations`, never skip one silently.
  let total = 0;
  for (const tick of ticks) {
    total += tick.expirations;
    assert.equal(tick.count, total);
  }
  assert.equal(ticks[0].count >= 1 && ticks.length, 3);
  assert.equal(kernel.attached, 0);
  runtime.close();
});

test('1,000 one-shots each fire exactly once through the ring', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  const seen = new Map();
  const events = [];
  for (let i = 0; i < 1000; i++)
    events.push(timers.after(5 + (i % 20), () => seen.set(i, (seen.get(i) ?? 0) + 1)));
  await Promise.all(events.map((event) => event.closed));
  assert.equal(seen.size, 1000);
  assert.ok([...seen.values()].every((n) => n === 1));
  assert.equal(kernel.attached, 0);
  assert.equal(runtime.stats().liveEvents, 0);
  runtime.close();
});

test('closing the runtime closes the device; a new runtime opens a fresh context', async () => {
  const { runtime, timers } = kmodRuntime();
  timers.every(5, () => undefined);
  runtime.close();
  const again = kmodRuntime();
  await again.timers.sleep(5);
  again.runtime.close();
});

// The kmod backend's generic kernel channel (`backend.kernel`): what every kernel service
// package builds on. A raw timer of aem_timers.ko, attached with the service's own argument
// bytes and decoded from its own record type, with no timers service loaded in the runtime.
test('the generic kernel channel: look up, attach, receive records of a type, detach', async () => {
  const runtime = createAem({ backend: 'kmod' });
  const kernel = runtime.backend.kernel;
  assert.ok(kernel, 'the kmod backend has a kernel channel');
  assert.equal(kernel.lookup('no-such-service', '1.0.0'), undefined);
  assert.equal(kernel.native('no-such-table'), undefined);
  const service = kernel.lookup('timers', '1.0.0');
  assert.ok(service);
  assert.equal(kernel.lookup('timers', '1.0.0'), service, 'one object per name and version');
  assert.equal(service.name, 'timers');
  assert.match(service.version, /^1\.\d+\.\d+$/);

  const records = [];
  let resolveFired;
  const fired = new Promise((resolve) => (resolveFired = resolve));
  service.receive(1, (batch, i) => {
    const { records: fields, layout } = batch;
    const at = i * layout.fields;
    records.push({ id: fields[at + layout.eventId], expirations: fields[at + layout.word0] });
    resolveFired();
    return i + 1;
  });
  // struct aem_timer_args: initial_ns, interval_ns (u64), flags, reserved (u32).
  const args = new Uint8Array(24);
  new DataView(args.buffer).setBigUint64(0, 5_000_000n, true);
  runtime.backend.ref();
  const id = service.attach(0, args);
  assert.equal(service.attached, 1);
  await fired;
  runtime.backend.unref();
  assert.deepEqual(records, [{ id, expirations: 1 }]);
  assert.equal(service.detach(id), true);
  assert.equal(service.detach(id), false, 'a stale id is refused, not ignored');
  assert.equal(service.attached, 0);
  runtime.close();
});

test('records of a type nobody receives, and of detached events, are skipped', async () => {
  const runtime = createAem({ backend: 'kmod' });
  const service = runtime.backend.kernel.lookup('timers', '1.0.0');
  const args = new Uint8Array(24);
  new DataView(args.buffer).setBigUint64(0, 1_000_000n, true);
  new DataView(args.buffer).setBigUint64(8, 1_000_000n, true);
  const id = service.attach(0, args); // periodic, no receiver for its type yet
  runtime.backend.ref();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const seen = [];
  service.receive(1, (batch, i) => {
    seen.push(batch.records[i * batch.layout.fields + batch.layout.eventId]);
    return i + 1;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(seen.length > 0 && seen.every((eventId) => eventId === id));
  service.detach(id);
  const after = seen.length;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(seen.length - after <= 1, 'at most one record already drained in flight');
  runtime.backend.unref();
  runtime.close();
});
