import { AggregatorRegistry } from 'prom-client';
import type { AemApp } from '../application/aem-app';
import { TIMERS } from '../container/tokens';
import { isAemMessage, type PrimaryToWorker, type WorkerToPrimary } from './cluster-messages';

/**
 * Connects an application running in a cluster worker to its primary ({@link runClusterPrimary}):
 * the primary's upgrade requests run `app.reload()` and report the outcome, its health requests
 * get `app.health()`, its `/metrics` requests get this worker's registry (prom-client's cluster
 * aggregation), and `status()` — when given — is sent every `statusIntervalMs` for the primary's
 * aggregated status line. Outside a cluster worker it does nothing.
 *
 * @example
 * ```ts
 * if (cluster.isWorker) linkWorker(app, () => ({ answered: state.counters.answered }), 5_000);
 * ```
 * @returns a function that unlinks.
 */
export function linkWorker(
  app: AemApp,
  status?: () => unknown,
  statusIntervalMs = 5_000,
): () => void {
  if (process.send === undefined) return () => undefined;
  const send = (message: WorkerToPrimary): void => {
    if (process.connected) process.send!(message);
  };
  new AggregatorRegistry(); // installs prom-client's worker-side listener
  AggregatorRegistry.setRegistries([app.metrics.registry]);
  const onMessage = (message: unknown): void => {
    if (!isAemMessage(message)) return;
    const request = message as PrimaryToWorker;
    if (request.aem === 'health') send({ aem: 'health', id: request.id, health: app.health() });
    else if (request.aem === 'upgrade') {
      app.reload().then(
        (report) => send({ aem: 'upgraded', id: request.id, ok: true, version: report.to }),
        (error: unknown) =>
          send({
            aem: 'upgraded',
            id: request.id,
            ok: false,
            version: app.version ?? '',
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    }
  };
  process.on('message', onMessage);
  // On the application's own timers: a virtual clock in tests drives it too.
  const timer =
    status === undefined
      ? undefined
      : app.container
          .get(TIMERS)
          .every(statusIntervalMs, () => send({ aem: 'status', status: status() }), {
            keepAlive: false,
          });
  return () => {
    process.off('message', onMessage);
    timer?.shutdown();
  };
}
