// The entry file of a capsule pool's worker threads. It reports its scheduling policy to the
// pool, then runs each job the pool posts on its port and posts the reply back; the pool posts
// a worker its next job only after the reply, so jobs run one at a time, in the order received.
//
// It has no import statement on purpose: under jest the pool starts this very .ts file, which
// Node loads as CommonJS by stripping its types, so the file must be valid CommonJS once its
// annotations are gone. Built, it is dist/capsule/capsule-worker.js.
import type { CapsuleJob, CapsuleReady, CapsuleReply, CapsuleWorkerData } from './capsule-protocol';

type TaskFn = (payload: unknown) => unknown;

/** Loaded tasks, keyed by file, export and version: a new version is a new entry. */
const loaded = new Map<string, Promise<TaskFn>>();

const { createRequire } = process.getBuiltinModule('node:module');
const { pathToFileURL } = process.getBuiltinModule('node:url');
const { getPriority, setPriority } = process.getBuiltinModule('node:os');
const { execFileSync } = process.getBuiltinModule('node:child_process');
const { readFileSync, readlinkSync } = process.getBuiltinModule('node:fs');
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const port = parentPort as NonNullable<typeof parentPort>;
const options = (workerData ?? {}) as Partial<CapsuleWorkerData>;

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
  const increment = options.niceIncrement ?? 0;
  try {
    if (increment !== 0) setPriority(Math.min(19, getPriority() + increment));
  } catch {
    // Where a thread cannot change its own nice value it runs at the process's.
  }
  if (options.workerPolicy !== 'idle') return 'normal';
  try {
    // readlink /proc/thread-self is "<pid>/task/<tid>": the kernel id of this very thread.
    const tid = readlinkSync('/proc/thread-self').split('/').pop() as string;
    execFileSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 5_000 });
    return policyNow() === 5 ? 'idle' : 'normal';
  } catch {
    return 'normal'; // no chrt, no /proc (not Linux) or refused: counted by the pool
  }
}

port.postMessage({ policy: lowerPriority() } satisfies CapsuleReady);

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

/** A job's reply and the buffers of its result to move back. */
interface Outcome {
  readonly reply: CapsuleReply;
  readonly transfer: ArrayBuffer[];
}

const NO_TRANSFER: ArrayBuffer[] = [];

async function runCapsuleJob(job: CapsuleJob): Promise<Outcome> {
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
    return { reply: { ok: false, phase: 'load', error: errorOf(error) }, transfer: NO_TRANSFER };
  }
  let value: unknown;
  try {
    value = await task(job.payload);
  } catch (error) {
    return { reply: { ok: false, phase: 'run', error: errorOf(error) }, transfer: NO_TRANSFER };
  }
  // A result that cannot be cloned makes postMessage throw: try the clone here first, in the
  // worker, off the event loop. Bytes and primitives clone by construction and skip the trial.
  if (!clonesByConstruction(value)) {
    try {
      structuredClone(value);
    } catch (error) {
      return { reply: { ok: false, phase: 'reply', error: errorOf(error) }, transfer: NO_TRANSFER };
    }
  }
  const transfer: ArrayBuffer[] = [];
  ownedBuffers(value, transfer);
  return { reply: { ok: true, value }, transfer };
}

function reply(outcome: Outcome): void {
  try {
    port.postMessage(outcome.reply, outcome.transfer);
  } catch (error) {
    // Not caught by the trial clone (a buffer detached meanwhile): still an answer, not a crash.
    port.postMessage({ ok: false, phase: 'reply', error: errorOf(error) } satisfies CapsuleReply);
  }
}

port.on('message', (job: CapsuleJob) => void runCapsuleJob(job).then(reply));
