// Tasks the capsule pool's tests run in real worker threads.
import { createHash } from 'node:crypto';
import { TextDecoder } from 'node:util';

/** sha256 of the bytes, as a Uint8Array owning its buffer (moved back). */
export function digest(bytes) {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Echoes the payload with the worker's thread id. */
export async function echo(payload) {
  const { threadId } = await import('node:worker_threads');
  return { payload, threadId };
}

/** Waits `ms` then returns `value` (ordering tests). */
export function slow({ ms, value }) {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Throws a TypeError. */
export function fails() {
  throw new TypeError('bad input');
}

/** Never settles (timeout tests). */
export function hangs() {
  return new Promise(() => undefined);
}

/** Kills its worker. */
export function exits() {
  process.exit(3);
}

/** Throws outside its own promise: an uncaught exception kills the worker. */
export function throwsLater() {
  setImmediate(() => {
    throw new Error('uncaught in worker');
  });
  return new Promise(() => undefined);
}

/** Byte length of what arrived, and whether it is an ArrayBuffer view. */
export function measure(bytes) {
  return bytes.byteLength;
}

/** A line task for the application tests: `<ms> <word>` waits `ms`, then returns `word`. */
export function line(bytes) {
  const [ms, word] = new TextDecoder().decode(bytes).split(' ');
  if (word === 'fail') throw new Error('refused');
  return new Promise((resolve) => setTimeout(() => resolve(word), Number(ms)));
}

/** The worker thread's nice value. */
export async function priority() {
  const { getPriority } = await import('node:os');
  return getPriority();
}

/** The worker thread's scheduling policy (0 SCHED_OTHER, 5 SCHED_IDLE), after `holdMs` busy. */
export async function policy({ holdMs = 0 }) {
  const { readFileSync } = await import('node:fs');
  for (const start = Date.now(); Date.now() - start < holdMs;);
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}

/** A result that cannot cross back to the main thread (a function is not cloneable). */
export function returnsFunction() {
  return { ok: true, callback() {} };
}
