import type { Registry } from 'prom-client';

/**
 * One point of the live dashboard: the application's figures at one moment.
 *
 * @example
 * ```ts
 * const sample: DashboardSample = { t: 1733140000, activationsPerSec: 1200, sessions: 40,
 *   pendingTimers: 80, connections: 12, queued: 0, eventLoopDelayMs: 1.2, errorsPerSec: 0,
 *   versions: '2 current' };
 * ```
 */
export interface DashboardSample {
  /** Wall-clock time of the sample, in seconds since the epoch (the charts' x axis). */
  readonly t: number;
  /** Activations delivered to handlers per second since the previous sample. */
  readonly activationsPerSec: number;
  /** Live sessions over every handler version. */
  readonly sessions: number;
  /** Timer events pending. */
  readonly pendingTimers: number;
  /** Open TCP connections. */
  readonly connections: number;
  /** Activations queued in the runtime. */
  readonly queued: number;
  /** The event loop's delay, p99 over Node's sampling window, in milliseconds. */
  readonly eventLoopDelayMs: number;
  /** Handler failures per second since the previous sample. */
  readonly errorsPerSec: number;
  /** The handler versions with their status, e.g. `"1 draining, 2 current"`. */
  readonly versions: string;
}

/** How many samples the dashboard keeps: five minutes at one a second. */
export const DASHBOARD_HISTORY = 300;

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

/**
 * @internal Reads the application's Prometheus registry (the same figures `/metrics` serves) into
 * dashboard samples, turning counters into rates, and keeps the last {@link DASHBOARD_HISTORY}.
 */
export class DashboardSampler {
  /** Oldest first; at most {@link DASHBOARD_HISTORY}. */
  readonly history: DashboardSample[] = [];
  private last: { t: number; activations: number; errors: number } | undefined;

  constructor(private readonly registry: Registry) {}

  /** Takes one sample, appends it to the history and returns it. */
  async sample(now = Date.now() / 1000): Promise<DashboardSample> {
    const metrics = new Map<string, MetricJson>();
    for (const metric of await this.registry.getMetricsAsJSON()) metrics.set(metric.name, metric);
    const total = (name: string): number =>
      (metrics.get(name)?.values ?? []).reduce((sum, v) => sum + Number(v.value), 0);
    const activations = total('aem_activations_total');
    const errors = total('aem_handler_errors_total');
    const seconds = this.last === undefined ? 0 : now - this.last.t;
    const rate = (value: number, before: number | undefined): number =>
      before === undefined || seconds <= 0 ? 0 : Math.max(0, (value - before) / seconds);
    const versions = (metrics.get('aem_handler_version_sessions')?.values ?? [])
      .map((v) => `${v.labels.version} ${v.labels.status}`)
      .join(', ');
    const sample: DashboardSample = {
      t: now,
      activationsPerSec: rate(activations, this.last?.activations),
      sessions: total('aem_handler_version_sessions'),
      pendingTimers: total('aem_pending_timers'),
      connections: total('aem_tcp_connections'),
      queued: total('aem_queued_activations'),
      eventLoopDelayMs: total('aem_app_nodejs_eventloop_lag_p99_seconds') * 1000,
      errorsPerSec: rate(errors, this.last?.errors),
      versions,
    };
    this.last = { t: now, activations, errors };
    this.history.push(sample);
    if (this.history.length > DASHBOARD_HISTORY) this.history.shift();
    return sample;
  }
}
