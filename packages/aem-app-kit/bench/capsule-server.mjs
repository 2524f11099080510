// The server of `npm run bench:capsule`, in a process of its own (forked by capsule.bench.mjs):
// @aem/tcp with 2-byte length-prefixed frames. A frame whose first payload byte is 'H' is heavy
// (pbkdf2, about 2 ms of CPU: inline on the event loop, or in a CapsulePool), any other is echoed.
// Each connection is its own domain, so a connection's frames are answered in order.
// Messages: parent → { mode: 'inline' | 'pool', poolSize, workerPolicy, niceIncrement,
// iterations, trace, variant }; child → { port }; parent → 'stop'; child → its report, then it
// exits. `variant` (diagnostic): 'sleep' — the pool's task sleeps 2 ms instead of hashing;
// 'nohash' — inline, heavy frames are answered with 32 zero bytes, not hashed.
//
// With `trace`, an echo's reply carries the moment its handler ran (CLOCK_MONOTONIC, the clock
// the client reads too) at payload offset 16, and the report adds the main thread's event-loop
// delay, how long `pool.run()` held the main thread, and each busy thread's CPU time and
// run-queue wait (/proc/self/task/*/schedstat: time runnable but not running).
import { createAem } from '@aem/core';
import { lengthPrefixed, Tcp } from '@aem/tcp';
import { CapsulePool, capsuleTask } from '@aem/app-kit';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { heavy } from './heavy.task.mjs';

const HEAVY = 0x48; // 'H'
const taskFile = fileURLToPath(new URL('./heavy.task.mjs', import.meta.url));

/** A frame for `payload`: 2-byte big-endian length, then the bytes. */
function frame(payload) {
  const out = Buffer.allocUnsafe(2 + payload.byteLength);
  out.writeUInt16BE(payload.byteLength, 0);
  out.set(payload, 2);
  return out;
}

/** Per thread of this process: name, CPU time and run-queue wait so far (ms). */
function threads() {
  return readdirSync('/proc/self/task').map((tid) => {
    const [cpu, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
    const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    return { tid, name, cpuMs: Number(cpu) / 1e6, waitMs: Number(wait) / 1e6 };
  });
}

const quantile = (values, q) =>
  +(values.sort((a, b) => a - b)[Math.floor(q * values.length)] ?? 0).toFixed(3);
const micros = (since) => Number(process.hrtime.bigint() - since) / 1e3;

process.once('message', async (options) => {
  const { mode, poolSize, workerPolicy, niceIncrement, iterations, trace, variant } = options;
  const task = capsuleTask(taskFile, variant === 'sleep' ? 'heavySleep' : 'heavy');
  const inline = variant === 'nohash' ? () => new Uint8Array(32) : heavy;
  const runtime = createAem({ backend: 'userspace' });
  const pool =
    mode === 'pool'
      ? new CapsulePool({ size: poolSize, maxQueue: 4096, workerPolicy, niceIncrement })
      : undefined;
  const server = await Tcp.from(runtime).listen({
    host: '127.0.0.1',
    port: 0,
    framer: lengthPrefixed({ width: 2, emit: 'payload' }),
  });
  const runHeldUs = [];
  server.onMessage((message) => {
    const { data, connection } = message;
    if (data[0] !== HEAVY) {
      const reply = frame(data);
      if (trace) reply.writeBigUInt64BE(process.hrtime.bigint(), 2 + 16);
      return void connection.send(reply);
    }
    const job = { bytes: data, iterations };
    if (pool === undefined) return void connection.send(frame(inline(job)));
    const submitted = process.hrtime.bigint();
    // The handler's promise keeps the connection's domain busy until the reply is sent.
    const done = pool.run(task, job).then((key) => void connection.send(frame(key)));
    if (trace) runHeldUs.push(micros(submitted));
    return done;
  });
  runtime.errors.subscribe((error) => console.error('server error', error.message));
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const before = trace ? threads() : [];
  if (trace) loopDelay.enable();
  process.send({ port: server.address.port });
  process.once('message', async () => {
    loopDelay.disable();
    const report = { pool: pool?.stats() };
    if (trace) {
      const after = threads();
      // The histogram holds each 1 ms timer's full interval: subtract the resolution.
      report.loopDelayMs = {
        p50: +(loopDelay.percentile(50) / 1e6 - 1).toFixed(3),
        p99: +(loopDelay.percentile(99) / 1e6 - 1).toFixed(3),
      };
      report.poolRunHeldUs = { p50: quantile(runHeldUs, 0.5), p99: quantile(runHeldUs, 0.99) };
      report.threads = after
        .map((t) => {
          const b = before.find((x) => x.tid === t.tid) ?? { cpuMs: 0, waitMs: 0 };
          return {
            name: t.name,
            cpuMs: Math.round(t.cpuMs - b.cpuMs),
            waitMs: Math.round(t.waitMs - b.waitMs),
          };
        })
        .filter((t) => t.cpuMs >= 50);
    }
    process.send(report);
    await server.close({ deadlineMs: 1000 });
    await pool?.close({ force: true });
    runtime.close();
    process.exit(0);
  });
});
