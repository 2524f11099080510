import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '@aem/core';
import { AggregatorRegistry } from 'prom-client';
import { isAemMessage, type PrimaryToWorker, type WorkerToPrimary } from './cluster-messages';

/** Options of {@link runClusterPrimary}. */
export interface ClusterOptions {
  /** Worker processes to keep running (each runs the same entry file as a cluster worker). */
  readonly workers: number;
  /** Extra environment of every worker (each also gets `AEM_WORKER_INDEX`, 0-based). */
  readonly env?: Readonly<Record<string, string>>;
  /** Aggregated `/metrics` (all workers' registries summed) and `/health` (every worker's). */
  readonly http?: {
    /** Address to bind. Default `127.0.0.1`. */
    readonly host?: string;
    /** Port (`0`: any free one, see {@link ClusterPrimary.httpAddress}). */
    readonly port: number;
  };
  /** How long one worker's upgrade may take before the rolling upgrade moves on, ms. Default 30,000. */
  readonly upgradeTimeoutMs?: number;
  /** How long workers may take to stop gracefully before they are killed, ms. Default 15,000. */
  readonly stopTimeoutMs?: number;
  /** The latest status each worker sent (see {@link linkWorker}), at every new one. */
  readonly onStatus?: (statuses: readonly unknown[]) => void;
  /** Where the primary's own lines go. Default: stdout, prefixed `[primary]`. */
  readonly log?: (line: string) => void;
}

/** What {@link runClusterPrimary} returns. */
export interface ClusterPrimary {
  /** Live workers now. */
  readonly workers: () => number;
  /** Workers restarted after an unexpected exit, since start. */
  readonly restarts: () => number;
  /** Where the aggregated `/metrics` and `/health` are served, once listening. */
  readonly httpAddress: () => AddressInfo | undefined;
  /** Upgrades the workers one at a time (what `SIGHUP` does); resolves with each outcome. */
  upgrade(): Promise<readonly WorkerUpgrade[]>;
  /** Stops every worker gracefully (what `SIGTERM` does); resolves with the exit code to use. */
  stop(): Promise<number>;
}

/** One worker's outcome in {@link ClusterPrimary.upgrade}. */
export interface WorkerUpgrade {
  /** The worker's process id. */
  readonly pid: number;
  /** Whether it reloaded its handlers. */
  readonly ok: boolean;
  /** The handler version it serves now (`''` when it did not answer). */
  readonly version: string;
  /** Why it failed. */
  readonly error?: string;
}

interface Slot {
  worker: Worker;
  status?: unknown;
  startedAt: number;
}

/**
 * Every core on one machine: the cluster primary that keeps `workers` copies of the entry file
 * running as cluster workers, restarts one that dies (with a back-off while they keep dying at
 * start), upgrades them one at a time on `SIGHUP` (each reloads its handlers; the others keep
 * serving meanwhile), stops them all gracefully on `SIGTERM`/`SIGINT` and exits with 0 when
 * they all did, and serves the aggregated `/metrics` and `/health`. The workers serve the same
 * ports: with `reusePort` each worker binds its own socket and the kernel spreads new
 * connections and datagrams over them.
 *
 * @example
 * ```ts
 * if (cluster.isPrimary && workers > 1) runClusterPrimary({ workers, http: { port: 9464 } });
 * else startTheApp(); // and linkWorker(app) in it
 * ```
 */
export function runClusterPrimary(options: ClusterOptions): ClusterPrimary {
  if (!Number.isSafeInteger(options.workers) || options.workers < 1)
    throw new InvalidArgumentError('options.workers', 'a positive integer', options.workers);
  const log = options.log ?? ((line: string) => process.stdout.write(`[primary] ${line}\n`));
  const slots = new Map<number, Slot>(); // by worker index
  const pending = new Map<number, (reply: WorkerToPrimary) => void>();
  let nextRequest = 1;
  let restarts = 0;
  let stopping = false;
  let http: Server | undefined;

  const fork = (index: number): void => {
    const worker = cluster.fork({ ...options.env, AEM_WORKER_INDEX: String(index) });
    const slot: Slot = { worker, startedAt: Date.now() };
    slots.set(index, slot);
    worker.on('message', (message: unknown) => {
      if (!isAemMessage(message)) return;
      const reply = message as WorkerToPrimary;
      if (reply.aem === 'status') {
        slot.status = reply.status;
        options.onStatus?.([...slots.values()].map((s) => s.status).filter((s) => s !== undefined));
      } else pending.get(reply.id)?.(reply);
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(index)?.worker !== worker) return;
      slots.delete(index);
      if (stopping) return;
      // Dying within 5 s of its start: back off (up to 5 s) so a crash loop does not spin.
      const quick = Date.now() - slot.startedAt < 5_000;
      const delay = quick ? Math.min(5_000, 250 * 2 ** Math.min(restarts, 5)) : 0;
      restarts++;
      log(`worker ${index} (pid ${worker.process.pid}) exited (${signal ?? code}); restarting`);
      // eslint-disable-next-line no-restricted-globals -- process supervision, outside any runtime
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delay);
    });
  };

  const ask = (
    slot: Slot,
    request: PrimaryToWorker,
    timeoutMs: number,
  ): Promise<WorkerToPrimary | null> =>
    new Promise((resolve) => {
      // eslint-disable-next-line no-restricted-globals -- process supervision, outside any runtime
      const timer = setTimeout(() => {
        pending.delete(request.id);
        resolve(null);
      }, timeoutMs);
      pending.set(request.id, (reply) => {
        clearTimeout(timer);
        pending.delete(request.id);
        resolve(reply);
      });
      if (slot.worker.isConnected()) slot.worker.send(request);
    });

  const primary: ClusterPrimary = {
    workers: () => slots.size,
    restarts: () => restarts,
    httpAddress: () => (http?.address() as AddressInfo | null) ?? undefined,
    async upgrade() {
      const outcomes = [];
      for (const [index, slot] of [...slots]) {
        const reply = await ask(
          slot,
          { aem: 'upgrade', id: nextRequest++ },
          options.upgradeTimeoutMs ?? 30_000,
        );
        const pid = slot.worker.process.pid ?? 0;
        const outcome =
          reply?.aem === 'upgraded'
            ? {
                pid,
                ok: reply.ok,
                version: reply.version,
                ...(reply.error ? { error: reply.error } : {}),
              }
            : { pid, ok: false, version: '', error: 'no answer in time' };
        log(
          `worker ${index} (pid ${pid}): ${outcome.ok ? `upgraded to ${outcome.version}` : `upgrade failed: ${outcome.error}`}`,
        );
        outcomes.push(outcome);
      }
      return outcomes;
    },
    async stop() {
      stopping = true;
      const exits = [...slots.values()].map(
        (slot) =>
          new Promise<number>((resolve) => {
            if (slot.worker.isDead()) return resolve(slot.worker.process.exitCode ?? 1);
            // eslint-disable-next-line no-restricted-globals -- process supervision, outside any runtime
            const kill = setTimeout(
              () => slot.worker.process.kill('SIGKILL'),
              options.stopTimeoutMs ?? 15_000,
            );
            slot.worker.once('exit', (code) => {
              clearTimeout(kill);
              resolve(code ?? 1);
            });
            slot.worker.process.kill('SIGTERM');
          }),
      );
      const codes = await Promise.all(exits);
      await new Promise((resolve) =>
        http === undefined ? resolve(undefined) : http.close(resolve),
      );
      return codes.every((code) => code === 0) ? 0 : 1;
    },
  };

  for (let index = 0; index < options.workers; index++) fork(index);

  if (options.http !== undefined) {
    const aggregator = new AggregatorRegistry();
    http = createServer((request, response) => {
      if (request.url === '/metrics') {
        aggregator.clusterMetrics().then(
          (text) => {
            response.writeHead(200, { 'content-type': aggregator.contentType });
            response.end(text);
          },
          (error: Error) => {
            response.writeHead(503, { 'content-type': 'text/plain' });
            response.end(`metrics unavailable: ${error.message}\n`);
          },
        );
      } else if (request.url === '/health') {
        Promise.all(
          [...slots.values()].map((slot) => ask(slot, { aem: 'health', id: nextRequest++ }, 2_000)),
        ).then((replies) => {
          const workers = replies.map((reply) => (reply?.aem === 'health' ? reply.health : null));
          const healthy =
            workers.length === options.workers &&
            workers.every((h) => (h as { status?: string } | null)?.status === 'running');
          response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ status: healthy ? 'ok' : 'degraded', workers }));
        });
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found: try /metrics or /health\n');
      }
    });
    http.listen(options.http.port, options.http.host ?? '127.0.0.1');
  }

  let signalled = false;
  const onStop = (): void => {
    if (signalled) process.exit(1);
    signalled = true;
    log('stopping every worker');
    void primary.stop().then((code) => process.exit(code));
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', () => {
    log('SIGHUP: upgrading the workers one at a time');
    void primary.upgrade();
  });
  return primary;
}
