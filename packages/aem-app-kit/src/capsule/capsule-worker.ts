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
const localRequire = createRequire(__filename);
const { move, Piscina } = localRequire('piscina') as {
  move: (value: object) => unknown;
  Piscina: { workerData: { niceIncrement?: number } | undefined };
};

/**
 * Lowers this worker thread's scheduling priority once, by the pool's `niceIncrement`. On Linux
 * a thread has its own nice value, so the event loop's thread keeps its priority: when workers
 * and the loop compete for a core, the loop (latency) wins and the workers (throughput) wait.
 */
let niced = false;
function applyNice(): void {
  niced = true;
  const increment = Piscina.workerData?.niceIncrement ?? 0;
  if (increment === 0) return;
  try {
    setPriority(Math.min(19, getPriority() + increment));
  } catch {
    // Where a thread cannot change its own priority the job still runs, at normal priority.
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

function errorOf(error: unknown): { name: string; message: string; stack?: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };
}

async function runCapsuleJob(job: CapsuleJob): Promise<unknown> {
  if (!niced) applyNice();
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
