import type { AemStats } from '@aem/core';
import type { CapsulePoolStats } from '../capsule/capsule-pool';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the metrics read from the application at each scrape.
 *
 * @example
 * ```ts
 * const source: MetricsSource = { stats: () => runtime.stats(), pendingTimers: () => 0,
 *   connections: () => 0, versions: () => [], busyDomains: () => [] };
 * ```
 */
export interface MetricsSource {
  /** The runtime's counters. */
  stats(): AemStats;
  /** Timer events pending on the timers service. */
  pendingTimers(): number;
  /** Open TCP connections. */
  connections(): number;
  /** Handler versions and their live sessions. */
  versions(): readonly {
    /** The handler module version. */
    readonly version: string;
    /** `starting`, `current`, `draining` or `retired`. */
    readonly status: string;
    /** Live sessions on that version. */
    readonly sessions: number;
  }[];
  /** Domains with queued activations (at most a bounded number, busiest first). */
  busyDomains(): readonly {
    /** The domain's name. */
    readonly domain: string;
    /** Its queued activations. */
    readonly queued: number;
  }[];
  /** The capsule pools' snapshots (the application's one, once started); optional. */
  capsulePools?(): readonly CapsulePoolStats[];
}

/**
 * The application's Prometheus metrics, on their own `prom-client` registry (never the global
 * one, so several applications or tests in one process do not collide):
 *
 * | metric | type | meaning |
 * |---|---|---|
 * | `aem_activations_total` | counter | activations delivered to handlers (`rate()` = activations per second) |
 * | `aem_queued_activations` | gauge | activations queued in the runtime |
 * | `aem_domain_queue_depth{domain}` | gauge | queued activations of the busiest domains (at most 20) |
 * | `aem_pending_timers` | gauge | timer events pending |
 * | `aem_tcp_connections` | gauge | open connections |
 * | `aem_handler_errors_total{version}` | counter | handler failures |
 * | `aem_handler_version_sessions{version,status}` | gauge | live sessions per handler version |
 * | `aem_domains_closed_total` | counter | domains closed by the supervisor |
 * | `aem_capsule_workers{pool}` | gauge | worker threads of a capsule pool |
 * | `aem_capsule_busy_workers{pool}` | gauge | its workers running a job |
 * | `aem_capsule_queued_jobs{pool}` | gauge | its jobs waiting for a worker |
 * | `aem_capsule_jobs_total{pool,outcome}` | counter | its settled jobs: `outcome` is `completed` or `failed` |
 * | `aem_capsule_jobs_timed_out_total{pool}` | counter | its jobs failed by their time limit (part of `failed`) |
 * | `aem_capsule_jobs_refused_total{pool}` | counter | its jobs refused by a full queue (part of `failed`) |
 * | `aem_capsule_worker_crashes_total{pool}` | counter | its workers that died and were replaced |
 *
 * plus Node's default process metrics (prefix `aem_app_`).
 *
 * @example
 * ```ts
 * const text = await app.metrics.registry.metrics(); // Prometheus text format
 * ```
 */
export class AppMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  /** Handler failures, by version. */
  readonly handlerErrors: Counter<'version'>;
  /** Domains the supervisor closed. */
  readonly domainsClosed: Counter;

  /** @param source - where scrapes read the live figures. */
  constructor(source: MetricsSource) {
    const registers = [this.registry];
    let delivered = 0;
    new Counter({
      name: 'aem_activations_total',
      help: 'Activations delivered to handlers.',
      registers,
      collect() {
        const now = source.stats().delivered;
        if (now > delivered) this.inc(now - delivered);
        delivered = now;
      },
    });
    new Gauge({
      name: 'aem_queued_activations',
      help: 'Activations queued in the runtime.',
      registers,
      collect() {
        this.set(source.stats().queuedActivations);
      },
    });
    new Gauge({
      name: 'aem_domain_queue_depth',
      help: 'Queued activations of the busiest domains.',
      labelNames: ['domain'],
      registers,
      collect() {
        this.reset();
        for (const { domain, queued } of source.busyDomains()) this.set({ domain }, queued);
      },
    });
    new Gauge({
      name: 'aem_pending_timers',
      help: 'Timer events pending.',
      registers,
      collect() {
        this.set(source.pendingTimers());
      },
    });
    new Gauge({
      name: 'aem_tcp_connections',
      help: 'Open TCP connections.',
      registers,
      collect() {
        this.set(source.connections());
      },
    });
    new Gauge({
      name: 'aem_handler_version_sessions',
      help: 'Live sessions per handler version.',
      labelNames: ['version', 'status'],
      registers,
      collect() {
        this.reset();
        for (const { version, status, sessions } of source.versions())
          this.set({ version, status }, sessions);
      },
    });
    this.handlerErrors = new Counter({
      name: 'aem_handler_errors_total',
      help: 'Handler failures.',
      labelNames: ['version'],
      registers,
    });
    this.domainsClosed = new Counter({
      name: 'aem_domains_closed_total',
      help: 'Domains closed by the supervisor (restart budget exceeded).',
      registers,
    });
    capsuleMetrics(registers, () => source.capsulePools?.() ?? []);
    collectDefaultMetrics({ register: this.registry, prefix: 'aem_app_' });
  }
}

/** The `aem_capsule_*` gauges and counters, read from the pools' snapshots at each scrape. */
function capsuleMetrics(registers: Registry[], pools: () => readonly CapsulePoolStats[]): void {
  const gauge = (name: string, help: string, value: (pool: CapsulePoolStats) => number): void =>
    void new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const pool of pools()) this.set({ pool: pool.name }, value(pool));
      },
    });
  gauge('aem_capsule_workers', 'Worker threads of a capsule pool.', (pool) => pool.size);
  gauge('aem_capsule_busy_workers', 'Capsule workers running a job.', (pool) => pool.busy);
  gauge('aem_capsule_queued_jobs', 'Capsule jobs waiting for a worker.', (pool) => pool.queued);
  // The pools' own counters only grow: each scrape adds what they gained since the last one.
  const counter = (
    name: string,
    help: string,
    values: (pool: CapsulePoolStats) => Record<string, number>,
    extraLabel?: string,
  ): void => {
    const seen = new Map<string, number>();
    void new Counter({
      name,
      help,
      labelNames: extraLabel === undefined ? ['pool'] : ['pool', extraLabel],
      registers,
      collect() {
        for (const pool of pools())
          for (const [label, now] of Object.entries(values(pool))) {
            const key = `${pool.name}\0${label}`;
            const gained = now - (seen.get(key) ?? 0);
            const labels: Record<string, string> =
              extraLabel === undefined
                ? { pool: pool.name }
                : { pool: pool.name, [extraLabel]: label };
            if (gained > 0) this.inc(labels, gained);
            else if (!seen.has(key)) this.inc(labels, 0); // shown at 0 from the first scrape
            seen.set(key, now);
          }
      },
    });
  };
  counter(
    'aem_capsule_jobs_total',
    'Capsule jobs settled, by outcome.',
    (pool) => ({ completed: pool.completed, failed: pool.failed }),
    'outcome',
  );
  counter(
    'aem_capsule_jobs_timed_out_total',
    'Capsule jobs failed by their time limit.',
    (pool) => ({
      '': pool.timedOut,
    }),
  );
  counter('aem_capsule_jobs_refused_total', 'Capsule jobs refused by a full queue.', (pool) => ({
    '': pool.refused,
  }));
  counter(
    'aem_capsule_worker_crashes_total',
    'Capsule workers that died and were replaced.',
    (pool) => ({
      '': pool.crashedWorkers,
    }),
  );
}
