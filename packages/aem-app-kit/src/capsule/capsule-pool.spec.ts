import { createAem, JobFailedError, type Aem, type AemRuntimeError } from '@aem/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CapsuleClosedError } from '../errors/capsule-closed.error';
import { CapsuleQueueFullError } from '../errors/capsule-queue-full.error';
import { CapsuleTaskFailedError } from '../errors/capsule-task-failed.error';
import { CapsuleTimeoutError } from '../errors/capsule-timeout.error';
import { CapsuleWorkerCrashedError } from '../errors/capsule-worker-crashed.error';
import { InvalidConfigError } from '../errors/invalid-config.error';
import { InvalidHandlerError } from '../errors/invalid-handler.error';
import { CapsulePool } from './capsule-pool';
import { capsuleTask } from './capsule-task';

/** The scheduling policy in a /proc stat file (field 41; 0 SCHED_OTHER, 5 SCHED_IDLE). */
const policyOf = (file: string): number => {
  const stat = readFileSync(file, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
};

const TASKS = resolve(__dirname, '../../test/capsule/tasks.mjs');
const task = (name: string) => capsuleTask(TASKS, name);

describe('CapsulePool', () => {
  let pool: CapsulePool;
  afterEach(() => pool?.close({ force: true }));

  describe('running tasks', () => {
    it('runs a named task in a worker thread and returns its result', async () => {
      pool = new CapsulePool({ size: 2 });
      const { payload, threadId } = await pool.run<{ payload: unknown; threadId: number }>(
        task('echo'),
        { a: 1 },
      );
      expect(payload).toEqual({ a: 1 });
      expect(threadId).toBeGreaterThan(0); // not the main thread
      expect(pool.completed).toBe(1);
      expect(pool.pending).toBe(0);
    });

    it('moves an owned buffer to the worker (detached here) and copies a pool slice', async () => {
      pool = new CapsulePool({ size: 1 });
      const owned = new Uint8Array(1024).fill(7);
      const digest = await pool.run<Uint8Array>(task('digest'), owned);
      expect(owned.byteLength).toBe(0); // moved, not copied
      expect(digest).toHaveLength(32);
      const slice = Buffer.from('abc'); // a view into Node's shared buffer pool
      expect(await pool.run(task('measure'), slice)).toBe(3);
      expect(slice.toString()).toBe('abc'); // copied: the pool's buffer is not detached
    });

    it('lowers the workers’ priority by niceIncrement, not the event loop’s', async () => {
      const before = getPriority();
      pool = new CapsulePool({ size: 1, niceIncrement: 5 });
      await expect(pool.run(task('priority'), null)).resolves.toBe(Math.min(19, before + 5));
      expect(getPriority()).toBe(before);
    });

    it('runs its workers in SCHED_IDLE by default, the event loop staying as it was', async () => {
      pool = new CapsulePool({ size: 2 });
      const policies = await Promise.all([
        pool.run(task('policy'), { holdMs: 50 }),
        pool.run(task('policy'), { holdMs: 50 }),
      ]);
      expect(policies).toEqual([5, 5]); // SCHED_IDLE, in both workers
      expect(policyOf('/proc/thread-self/stat')).toBe(0); // this thread: SCHED_OTHER
      while (pool.stats().idleWorkers < 2) await new Promise((r) => setTimeout(r, 10));
      expect(pool.stats()).toMatchObject({ idleWorkers: 2, idleFallbacks: 0 });
      // A replacement worker lowers itself too.
      await expect(pool.run(task('exits'), null)).rejects.toBeInstanceOf(CapsuleWorkerCrashedError);
      await expect(pool.run(task('policy'), {})).resolves.toBe(5);
      while (pool.stats().idleWorkers < 3) await new Promise((r) => setTimeout(r, 10));
    });

    it('keeps the normal policy with workerPolicy normal; refuses an unknown policy', async () => {
      pool = new CapsulePool({ size: 1, workerPolicy: 'normal' });
      await expect(pool.run(task('policy'), {})).resolves.toBe(0);
      expect(pool.stats()).toMatchObject({ idleWorkers: 0, idleFallbacks: 0 });
      expect(() => new CapsulePool({ workerPolicy: 'batch' as never })).toThrow(InvalidConfigError);
    });

    it('copies when transfer is off', async () => {
      pool = new CapsulePool({ size: 1, transfer: false });
      const owned = new Uint8Array(16);
      expect(await pool.run(task('measure'), owned)).toBe(16);
      expect(owned.byteLength).toBe(16);
    });
  });

  describe('errors', () => {
    it('reports a task that throws as CapsuleTaskFailedError (run), the worker living on', async () => {
      pool = new CapsulePool({ size: 1 });
      const error = await pool.run(task('fails'), 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CapsuleTaskFailedError);
      expect(error).toMatchObject({ phase: 'run', code: 'AEM_APP_CAPSULE_TASK_FAILED' });
      expect((error as Error).cause).toMatchObject({ name: 'TypeError', message: 'bad input' });
      expect(pool.failed).toBe(1);
      await expect(pool.run(task('measure'), new Uint8Array(2))).resolves.toBe(2);
    });

    it('reports a module that throws while loading, or a missing export, as a load failure', async () => {
      pool = new CapsulePool({ size: 1 });
      const broken = capsuleTask(resolve(__dirname, '../../test/capsule/broken.mjs'), 'x');
      await expect(pool.run(broken, 1)).rejects.toMatchObject({
        constructor: CapsuleTaskFailedError,
        phase: 'load',
        message: expect.stringContaining('broken at top level'),
      });
      await expect(pool.run(task('nope'), 1)).rejects.toMatchObject({ phase: 'load' });
    });

    it('reports a payload or a result that cannot be cloned as send and reply failures, no worker lost', async () => {
      pool = new CapsulePool({ size: 1 });
      const moved = new Uint8Array(4);
      await pool.run(task('measure'), moved); // moved to the worker: detached here
      for (const payload of [{ callback() {} }, moved]) {
        await expect(pool.run(task('echo'), payload)).rejects.toMatchObject({
          constructor: CapsuleTaskFailedError,
          phase: 'send',
          cause: expect.objectContaining({ name: 'DataCloneError' }),
        });
      }
      await expect(pool.run(task('returnsFunction'), null)).rejects.toMatchObject({
        constructor: CapsuleTaskFailedError,
        phase: 'reply',
        message: expect.stringContaining('could not be cloned'),
      });
      await expect(pool.run(task('measure'), new Uint8Array(3))).resolves.toBe(3);
      expect(pool.stats()).toMatchObject({ failed: 3, crashedWorkers: 0, completed: 2 });
    });

    it('times a job out, terminating its worker, and replaces the worker', async () => {
      pool = new CapsulePool({ size: 1 });
      await expect(pool.run(task('hangs'), 1, { timeoutMs: 200 })).rejects.toBeInstanceOf(
        CapsuleTimeoutError,
      );
      await expect(pool.run(task('measure'), new Uint8Array(5))).resolves.toBe(5);
    });

    it('times out a job still queued without running it; the jobs behind it keep their turn', async () => {
      pool = new CapsulePool({ size: 1, timeoutMs: 10_000 });
      await pool.run(task('measure'), new Uint8Array(1)); // the worker is up
      const first = pool.run(task('slow'), { ms: 200, value: 'first' });
      const expires = pool.run(task('slow'), { ms: 1, value: 'never' }, { timeoutMs: 50 });
      const third = pool.run(task('slow'), { ms: 1, value: 'third' });
      await expect(expires).rejects.toBeInstanceOf(CapsuleTimeoutError);
      expect(pool.stats()).toMatchObject({ busy: 1, queued: 1, timedOut: 1, crashedWorkers: 0 });
      await expect(Promise.all([first, third])).resolves.toEqual(['first', 'third']);
      expect(pool.stats()).toMatchObject({ busy: 0, queued: 0, completed: 3, failed: 1 });
    });

    it.each([
      ['process.exit in the task', 'exits'],
      ['an uncaught exception thrown outside the task', 'throwsLater'],
    ])(
      'reports a worker killed by %s as CapsuleWorkerCrashedError and replaces it',
      async (_, name) => {
        pool = new CapsulePool({ size: 1 });
        await expect(pool.run(task(name), 1)).rejects.toBeInstanceOf(CapsuleWorkerCrashedError);
        await expect(pool.run(task('measure'), new Uint8Array(4))).resolves.toBe(4);
        expect(pool.pending).toBe(0);
      },
    );

    it('refuses a job with CapsuleQueueFullError when workers and queue are full', async () => {
      pool = new CapsulePool({ size: 1, maxQueue: 2, timeoutMs: 10_000 });
      const held = [1, 2, 3].map((i) => pool.run(task('slow'), { ms: 100, value: i }));
      expect(pool.full).toBe(true);
      await expect(pool.run(task('slow'), { ms: 1, value: 4 })).rejects.toBeInstanceOf(
        CapsuleQueueFullError,
      );
      await expect(Promise.all(held)).resolves.toEqual([1, 2, 3]);
      expect(pool.full).toBe(false);
    });

    it('checks its options and task names', () => {
      expect(() => new CapsulePool({ size: 0 })).toThrow(InvalidConfigError);
      expect(() => new CapsulePool({ maxQueue: -1 })).toThrow(InvalidConfigError);
      expect(() => new CapsulePool({ timeoutMs: 1.5 })).toThrow(InvalidConfigError);
      expect(() => new CapsulePool({ niceIncrement: 20 })).toThrow(InvalidConfigError);
      expect(() => capsuleTask('relative.js', 'x')).toThrow(InvalidHandlerError);
      expect(() => capsuleTask(TASKS, '')).toThrow(InvalidHandlerError);
    });
  });

  describe('stats', () => {
    it('counts busy workers, queued jobs and every outcome as jobs settle', async () => {
      pool = new CapsulePool({ name: 'digests', size: 1, maxQueue: 1, timeoutMs: 10_000 });
      // A first job makes sure the worker is up, so the next is posted to it at once.
      await pool.run(task('measure'), new Uint8Array(1));
      expect(pool.stats()).toMatchObject({
        name: 'digests',
        size: 1,
        busy: 0,
        queued: 0,
        completed: 1,
        failed: 0,
        timedOut: 0,
        refused: 0,
        crashedWorkers: 0,
      });
      const held = [
        pool.run(task('slow'), { ms: 100, value: 1 }),
        pool.run(task('slow'), { ms: 1, value: 2 }),
      ];
      expect(pool.stats()).toMatchObject({ busy: 1, queued: 1 });
      await expect(pool.run(task('slow'), { ms: 1, value: 3 })).rejects.toBeInstanceOf(
        CapsuleQueueFullError,
      );
      await Promise.all(held);
      await expect(pool.run(task('fails'), null)).rejects.toBeInstanceOf(CapsuleTaskFailedError);
      await expect(pool.run(task('hangs'), null, { timeoutMs: 100 })).rejects.toBeInstanceOf(
        CapsuleTimeoutError,
      );
      await expect(pool.run(task('exits'), null)).rejects.toBeInstanceOf(CapsuleWorkerCrashedError);
      expect(pool.stats()).toMatchObject({
        name: 'digests',
        size: 1,
        busy: 0,
        queued: 0,
        completed: 3,
        failed: 4, // refused, failed, timed out, crashed
        timedOut: 1,
        refused: 1,
        crashedWorkers: 1, // the timeout's terminated worker is not a crash
      });
    });
  });

  describe('ordering within a domain', () => {
    let runtime: Aem;
    let errors: AemRuntimeError[];
    beforeEach(() => {
      runtime = createAem({ backend: 'userspace' });
      errors = [];
      runtime.errors.subscribe((error) => errors.push(error));
    });
    afterEach(() => runtime.close());

    it('keeps pooled and inline work of one domain in order while another domain runs', async () => {
      pool = new CapsulePool({ size: 2 });
      const call = runtime.createDomain('call-1');
      const other = runtime.createDomain('call-2');
      const order: string[] = [];
      const pooled = (ms: number, value: string) => () =>
        pool.run<string>(task('slow'), { ms, value }).then((v) => void order.push(v));
      // Slower pooled jobs first: without the domain's serialization they would finish last.
      call.post(pooled(150, 'pool 1'));
      call.post(() => void order.push('inline 2'));
      call.post(pooled(50, 'pool 3'));
      call.post(pooled(1, 'pool 4'));
      call.post(() => void order.push('inline 5'));
      other.post(() => void order.push('other'));
      const done = new Promise<void>((resolve) => call.post(() => resolve()));
      await done;
      expect(order.filter((s) => s !== 'other')).toEqual([
        'pool 1',
        'inline 2',
        'pool 3',
        'pool 4',
        'inline 5',
      ]);
      expect(order.indexOf('other')).toBeLessThan(order.indexOf('pool 1')); // not blocked
    });

    it('routes a pooled job’s failure to aem.errors as the inline path does', async () => {
      pool = new CapsulePool({ size: 1 });
      const call = runtime.createDomain('call-1');
      call.post(() => pool.run(task('fails'), 1));
      await new Promise<void>((resolve) => call.post(() => resolve()));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(JobFailedError);
      expect((errors[0] as Error).cause).toBeInstanceOf(CapsuleTaskFailedError);
    });

    it('makes a handler pooled with handler(): input picked, result handled in the domain', async () => {
      pool = new CapsulePool({ size: 1 });
      const call = runtime.createDomain('call-1');
      const results: number[] = [];
      const handle = pool.handler<number, number>(task('measure'), {
        input: (n) => new Uint8Array(n),
        then: (length, n) => void results.push(length * 10 + n),
      });
      call.post(() => handle(3));
      call.post(() => handle(5));
      call.post(() => pool.handler(task('fails'))(0));
      await new Promise<void>((resolve) => call.post(() => resolve()));
      expect(results).toEqual([33, 55]);
      expect(errors.map((e) => (e as Error).cause?.constructor)).toEqual([CapsuleTaskFailedError]);
    });
  });

  describe('upgrade', () => {
    it('loads a new version of a task in the workers while the old version’s job finishes', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'capsule-'));
      try {
        const file = join(dir, 'versioned.mjs');
        const write = (tag: string) =>
          writeFileSync(
            file,
            `export const answer = ({ ms }) => new Promise((r) => setTimeout(() => r('${tag}'), ms));\n`,
          );
        write('v1');
        // One worker, so the worker that runs v2 is the one that loaded v1 (a worker meeting v1
        // for the first time after the file changed would read v2: see the README).
        pool = new CapsulePool({ size: 1 });
        const v1 = capsuleTask(file, 'answer', '1.0.0');
        await expect(pool.run(v1, { ms: 0 })).resolves.toBe('v1');
        const inFlight = pool.run(v1, { ms: 300 });
        write('v2');
        const v2 = capsuleTask(file, 'answer', '2.0.0');
        await expect(pool.run(v2, { ms: 0 })).resolves.toBe('v2');
        await expect(inFlight).resolves.toBe('v1');
        // A CommonJS task is read again from disk too.
        const cjs = join(dir, 'versioned.cjs');
        writeFileSync(cjs, "exports.answer = () => 'c1';\n");
        await expect(pool.run(capsuleTask(cjs, 'answer', '1'), 0)).resolves.toBe('c1');
        writeFileSync(cjs, "exports.answer = () => 'c2';\n");
        await expect(pool.run(capsuleTask(cjs, 'answer', '2'), 0)).resolves.toBe('c2');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('close', () => {
    it('drains: refuses new jobs, lets submitted ones finish', async () => {
      pool = new CapsulePool({ size: 1 });
      const running = pool.run(task('slow'), { ms: 100, value: 'done' });
      const queued = pool.run(task('slow'), { ms: 1, value: 'queued' });
      const closed = pool.close();
      await expect(pool.run(task('echo'), 1)).rejects.toBeInstanceOf(CapsuleClosedError);
      await expect(running).resolves.toBe('done');
      await expect(queued).resolves.toBe('queued');
      await closed;
    });

    it('force: fails every running and queued job with CapsuleClosedError, nothing hangs', async () => {
      pool = new CapsulePool({ size: 1, timeoutMs: 60_000 });
      const jobs = [
        pool.run(task('hangs'), 1),
        pool.run(task('hangs'), 2),
        pool.run(task('echo'), 3),
      ];
      const settling = Promise.allSettled(jobs);
      await pool.close({ force: true });
      const settled = await settling;
      for (const result of settled) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(CapsuleClosedError);
      }
      expect(pool.pending).toBe(0);
    });
  });
});
