// The entry file of a capsule pool's workers (piscina requires it in each worker thread).
//
// It has no import statement on purpose: under jest the pool starts this very .ts file, which
// Node loads as CommonJS by stripping its types, so the file must be valid CommonJS once its
// annotations are gone. Built, it is dist/capsule/capsule-worker.js.
import type { CapsuleJob, CapsuleReply } from './capsule-protocol';

type TaskFn = (payload: unknown) => unknown;

/** Loaded tasks, keyed by file, export and version: a new version is a new entry. */
const loaded = new Map<string, Promise<TaskFn>>();

const { createRequire } = process.getBuiltinModule('node:module');
const { pathToFileURL } = process.getBuiltinModule('node:url');
const { getPriority, setPriority } = process.getBuiltinModule('node:os');
const { execFileSync } = process.getBuiltinModule('node:child_process');
const { readFileSync, readlinkSync } = process.getBuiltinModule('node:fs');
const localRequire = createRequire(__filename);
const { move, Piscina } = localRequire('piscina') as {
  move: (value: object) => unknown;
  Piscina: {
    workerData:
      { niceIncrement?: number; workerPolicy?: 'idle' | 'normal'; channel?: string } | undefined;
  };
};

/**
 * This thread's scheduling policy as Linux reports it: 5 is SCHED_IDLE, 0 SCHED_OTHER
 * (field 41 of /proc/thread-self/stat, counted after the parenthesised command name).
 */
function policyNow(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}

/**
 * Lowers this worker thread's scheduling priority, once, before it takes a job; the event loop's
 * thread keeps its own (on Linux each thread has its own policy and nice value).
 *
 * `idle` puts the thread in SCHED_IDLE with util-linux's `chrt` (Node has no stable API for
 * sched_setscheduler and the policy needs no privilege): a thread of any other policy that wakes
 * preempts it at once. A nice value is not enough on EEVDF kernels (6.6 on): a waking event loop
 * still waits for a nice-19 worker's slice, measured here at up to 2 ms (see the README's
 * capsule benchmark). `niceIncrement` is applied as well; it is what remains where `chrt` fails.
 *
 * @returns what the thread got, reported to the pool.
 */
function lowerPriority(): 'idle' | 'normal' {
  const data = Piscina.workerData ?? {};
  const increment = data.niceIncrement ?? 0;
  try {
    if (increment !== 0) setPriority(Math.min(19, getPriority() + increment));
  } catch {
    // Where a thread cannot change its own nice value it runs at the process's.
  }
  if (data.workerPolicy !== 'idle') return 'normal';
  try {
    // readlink /proc/thread-self is "<pid>/task/<tid>": the kernel id of this very thread.
    const tid = readlinkSync('/proc/thread-self').split('/').pop() as string;
    execFileSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 5_000 });
    return policyNow() === 5 ? 'idle' : 'normal';
  } catch {
    return 'normal'; // no chrt, no /proc (not Linux) or refused: counted by the pool
  }
}

{
  const policy = lowerPriority();
  const name = Piscina.workerData?.channel;
  if (name !== undefined) {
    const channel = new BroadcastChannel(name);
    channel.postMessage(policy);
    channel.close();
  }
}

async function loadTask(job: CapsuleJob): Promise<TaskFn> {
  let exports: Record<string, unknown>;
  if (/\.m[jt]s$/.test(job.module)) {
    // An ES module is cached by URL: a version query loads the changed file as a new module.
    const url = pathToFileURL(job.module);
    url.searchParams.set('v', job.version);
    exports = (await import(url.href)) as Record<string, unknown>;
  } else {
    // A CommonJS file: drop it from the require cache so its new version is read from disk.
    // Earlier versions keep the function objects they already returned.
    const load = createRequire(job.module);
    delete load.cache[job.module];
    exports = load(job.module) as Record<string, unknown>;
  }
  const fn = exports[job.exportName];
  if (typeof fn !== 'function')
    throw new TypeError(`${job.module} has no function export ${job.exportName}`);
  return fn as TaskFn;
}

/** ArrayBuffers a value owns outright (itself, or a view spanning its whole buffer). */
function ownedBuffers(value: unknown, out: ArrayBuffer[]): void {
  if (value instanceof ArrayBuffer) out.push(value);
  else if (
    ArrayBuffer.isView(value) &&
    value.buffer instanceof ArrayBuffer &&
    value.byteOffset === 0 &&
    value.byteLength === value.buffer.byteLength
  )
    out.push(value.buffer);
}

/** Values structuredClone always accepts: primitives but symbols, ArrayBuffers and their views. */
function clonesByConstruction(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type !== 'object') return type !== 'function' && type !== 'symbol';
  if (!(value instanceof ArrayBuffer || ArrayBuffer.isView(value))) return false;
  const buffer = value instanceof ArrayBuffer ? value : value.buffer;
  // A SharedArrayBuffer is never detached; a detached ArrayBuffer cannot be cloned.
  return !(buffer instanceof ArrayBuffer && buffer.detached);
}

function errorOf(error: unknown): { name: string; message: string; stack?: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };
}

async function runCapsuleJob(job: CapsuleJob): Promise<unknown> {
  const key = `${job.module}\0${job.exportName}\0${job.version}`;
  let fn = loaded.get(key);
  if (fn === undefined) {
    fn = loadTask(job);
    loaded.set(key, fn);
    // A failed load is not cached: the next job tries again (the file may have been fixed).
    fn.catch(() => loaded.delete(key));
  }
  let task: TaskFn;
  try {
    task = await fn;
  } catch (error) {
    return { ok: false, phase: 'load', error: errorOf(error) } satisfies CapsuleReply;
  }
  let value: unknown;
  try {
    value = await task(job.payload);
  } catch (error) {
    return { ok: false, phase: 'run', error: errorOf(error) } satisfies CapsuleReply;
  }
  // A result that cannot be cloned would make piscina's postMessage throw and end this worker,
  // reported as a crash: try the clone here first, in the worker, off the event loop. Bytes and
  // primitives clone by construction and skip the trial.
  if (!clonesByConstruction(value)) {
    try {
      structuredClone(value);
    } catch (error) {
      return { ok: false, phase: 'reply', error: errorOf(error) } satisfies CapsuleReply;
    }
  }
  const reply: CapsuleReply = { ok: true, value };
  const transfer: ArrayBuffer[] = [];
  ownedBuffers(value, transfer);
  if (transfer.length === 0) return reply;
  // Piscina moves what a returned transferable lists; the value itself is the reply.
  return move({
    [Symbol.for('Piscina.transferable')]: transfer,
    [Symbol.for('Piscina.valueOf')]: reply,
  });
}

module.exports = runCapsuleJob;
