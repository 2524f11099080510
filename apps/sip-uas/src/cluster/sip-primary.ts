import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { runClusterPrimary } from '@aem/app-kit';
import type { SipUasConfig } from '../config';
import { securityLines } from '../security/security-lines';
import { portFreeOnBoth } from '../shared-port';
import { serveClusterJournal } from '../store/cluster-journal';
import { JournalStore } from '../store/journal-store';
import { describeStore, isJournal, journalPath } from '../store/open-store';
import { aggregatedStatusLine, isWorkerReady, type WorkerStatus } from './worker-status';

/**
 * Every core (`SIP_WORKERS` > 1): this process becomes the cluster primary and keeps
 * `config.workers` copies of the server running, each binding the SIP port itself with
 * `reusePort` (the kernel spreads connections and datagrams over them). The primary picks the
 * ports when `SIP_PORT=0` or `SIP_TLS_PORT=0` and hands them to the workers, keeps the embedded store's journal for all
 * of them (see `serveClusterJournal`), generates one `SIP_AUTH_SECRET` for all of
 * them when none is set (digest nonces one worker issues validate on the others), serves the
 * aggregated `/metrics` and `/health` on `HTTP_PORT`, prints the listening line once every
 * worker serves, and then one status line summing the workers' figures.
 */
export async function runSipPrimary(config: SipUasConfig): Promise<void> {
  const port = config.port === 0 ? await portFreeOnBoth(config.host) : config.port;
  // SIP_TLS_PORT=0: one port for all workers (each binds it with reusePort), picked here.
  const tlsPort =
    config.security.tls !== undefined && config.security.tlsPort === 0
      ? await portFreeOnBoth(config.host)
      : config.security.tlsPort;
  // The embedded store: the primary holds the one journal, the workers ask it (ClusterStore).
  const restored = isJournal(config)
    ? await serveClusterJournal(
        new JournalStore(journalPath(config), {
          fsync: config.storeFsync,
          warn: (message) => process.stderr.write(`sip-uas: warning: ${message}\n`),
        }),
      )
    : 0;
  const env: Record<string, string> = { SIP_PORT: String(port), SIP_TLS_PORT: String(tlsPort) };
  if ((process.env.SIP_AUTH_SECRET ?? '') === '') {
    env.SIP_AUTH_SECRET = randomBytes(32).toString('hex'); // the format config.ts accepts
  }
  let latest: readonly WorkerStatus[] = [];
  const primary = runClusterPrimary({
    workers: config.workers,
    env,
    http:
      config.httpPort === undefined ? undefined : { host: config.httpHost, port: config.httpPort },
    onStatus: (statuses) => (latest = statuses as readonly WorkerStatus[]),
    log: (line) => process.stdout.write(`[sip-uas primary] ${line}\n`),
  });

  const ready = new Set<number>();
  let announced = false;
  cluster.on('message', (worker, message: unknown) => {
    if (!isWorkerReady(message)) return;
    if (announced) {
      process.stdout.write(`[sip-uas primary] worker (pid ${message.pid}) serving again\n`);
      return;
    }
    ready.add(worker.process.pid ?? 0);
    if (ready.size < config.workers) return;
    announced = true;
    const target = `${config.host}:${port}`;
    const http = primary.httpAddress();
    process.stdout.write(
      `sip-uas listening on sip:${target} over udp (${message.udpTransport}) and tcp (${config.workers} workers, handlers ${message.version}, primary pid ${process.pid})\n` +
        `  registrations: ${describeStore(config)}, ${restored} restored\n` +
        securityLines(config, tlsPort) +
        `  try: sipp -sn uac -t tn -max_socket 1000 -m 1000 -r 200 ${target}    (tcp, spread over the workers)\n` +
        `  hot upgrade (one worker at a time): kill -HUP ${process.pid}    stop: kill -TERM ${process.pid}\n` +
        (http === undefined
          ? `  metrics: set HTTP_PORT (e.g. HTTP_PORT=9464) to serve /metrics and /health\n`
          : `  metrics: http://${http.address}:${http.port}/metrics and /health (every worker's)\n`),
    );
  });

  if (config.statusIntervalMs > 0) {
    const previous = new Map<number, { answered: number; answeredUdp: number }>();
    // eslint-disable-next-line no-restricted-globals -- the primary has no runtime: process supervision
    setInterval(() => {
      if (latest.length > 0) {
        process.stdout.write(aggregatedStatusLine(latest, previous, config.statusIntervalMs));
      }
    }, config.statusIntervalMs).unref();
  }
}
