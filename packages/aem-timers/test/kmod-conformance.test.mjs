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
  return { runtime, timers: new Timers(runtime), kernel: runtime.backend.kernelTimers };
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
  assert.equal(kernel.armed, 1);
  await event.closed;
  assert.equal(fired.length, 1);
  assert.ok(fired[0].at >= 30, `fired after ${fired[0].at} ms`);
  assert.equal(fired[0].expiration.expirations, 1);
  assert.equal(kernel.armed, 0);
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
  assert.equal(kernel.armed, 0);
  await timers.sleep(30);
  assert.equal(counts.at(-1), 5);
  runtime.close();
});

test('stop disarms, start re-arms with the full delay', async () => {
  const { runtime, timers, kernel } = kmodRuntime();
  let fired = 0;
  const event = timers.after(40, () => void fired++);
  event.stop();
  assert.equal(kernel.armed, 0);
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
  assert.equal(kernel.armed, 1);
  controller.abort();
  await assert.rejects(
    pending,
    (error) => error instanceof AbortedError && error.code === 'AEM_ABORTED',
  );
  assert.equal(kernel.armed, 0);
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
  assert.equal(kernel.armed, 0);
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
  assert.equal(kernel.armed, 0);
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
