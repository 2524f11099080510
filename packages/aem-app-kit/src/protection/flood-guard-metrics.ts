import { Counter, Gauge, type Registry } from 'prom-client';
import type { FloodGuard, FloodGuardStats } from './flood-guard';

/**
 * Publishes a {@link FloodGuard}'s counters on a Prometheus registry (the application's
 * `app.metrics.registry`, which `/metrics` serves):
 *
 * | metric | type | meaning |
 * |---|---|---|
 * | `aem_flood_admitted_total` | counter | requests admitted |
 * | `aem_flood_refused_total` | counter | requests refused: source banned |
 * | `aem_flood_bans_total` | counter | bans started |
 * | `aem_flood_untracked_total` | counter | requests admitted uncounted (`maxSources` reached) |
 * | `aem_flood_banned_sources` | gauge | sources banned now |
 * | `aem_flood_tracked_sources` | gauge | sources counted now |
 *
 * @example
 * ```ts
 * registerFloodGuardMetrics(app.metrics.registry, guard);
 * ```
 */
export function registerFloodGuardMetrics(registry: Registry, guard: FloodGuard): void {
  const registers = [registry];
  const totals: [keyof FloodGuardStats, string, string][] = [
    ['admitted', 'aem_flood_admitted_total', 'Requests the flood guard admitted.'],
    ['refused', 'aem_flood_refused_total', 'Requests refused because their source was banned.'],
    ['bans', 'aem_flood_bans_total', 'Bans started by the flood guard.'],
    ['untracked', 'aem_flood_untracked_total', 'Requests admitted uncounted (maxSources reached).'],
  ];
  for (const [field, name, help] of totals) {
    let seen = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const now = guard.stats[field];
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  }
  const gauges: [keyof FloodGuardStats, string, string][] = [
    ['banned', 'aem_flood_banned_sources', 'Sources banned now.'],
    ['tracked', 'aem_flood_tracked_sources', 'Sources the flood guard counts now.'],
  ];
  for (const [field, name, help] of gauges) {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(guard.stats[field]);
      },
    });
  }
}
