import cluster from 'node:cluster';
import { RUNTIME, TIMERS, linkWorker, runApp, type AemApp } from '@aem/app-kit';
import { contentLength } from '@aem/tcp';
import { configFromEnv, type SipUasConfig } from './config';
import { createSipState, SIP_STATE, type SipState } from './state/sip-state';
import { portFreeOnBoth } from './shared-port';
import { startStatusLine } from './status-line';
import { runSipPrimary } from './cluster/sip-primary';
import { workerStatus, type WorkerReady } from './cluster/worker-status';
import { restoreBindings, dropAor } from './state/binding-table';
import { describeStore, openStore } from './store/open-store';

/**
 * The process entry: serves SIP over UDP and TCP on one port, prints a status line every few
 * seconds, hot upgrades its handlers on SIGHUP (the handler file is reloaded from disk) and
 * drains and exits 0 on SIGTERM/SIGINT.
 */
async function main(config: SipUasConfig): Promise<void> {
  // Every core: the primary only supervises; each worker runs the rest of this function.
  if (config.workers > 1 && cluster.isPrimary) return runSipPrimary(config);
  const inWorker = cluster.isWorker;
  const store = await openStore(config, (message) =>
    process.stderr.write(`sip-uas: warning: ${message}\n`),
  );
  const stored = await store.restore();
  let restored = 0;
  let state: SipState | undefined;
  const port = config.port === 0 ? await portFreeOnBoth(config.host) : config.port;
  const app: AemApp = await runApp({
    name: 'sip-uas',
    handlers: require.resolve('./handlers'),
    config,
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
    tcp: {
      host: config.host,
      port,
      maxConnections: config.maxConnections,
      // RFC 3261 §18.3: over a stream transport every message carries Content-Length.
      framer: contentLength({ requireContentLength: true, maxFrameBytes: config.maxMessageBytes }),
      reusePort: config.workers > 1,
    },
    // RFC 3261 §18.1.1: a datagram carries one whole message; larger ones are dropped (counted).
    udp: { host: config.host, port, reusePort: config.workers > 1 },
    // In a worker the primary serves /metrics and /health for all.
    http:
      config.httpPort === undefined || inWorker
        ? undefined
        : { host: config.host, port: config.httpPort },
    providers: (container) => {
      state = createSipState(
        container.get(RUNTIME),
        (error) => app.logger.error({ err: error }, 'call job failed'),
        store,
      );
      container.bindValue(SIP_STATE, state);
      // Before serving: the journal's unexpired bindings, each with its remaining time.
      restored = restoreBindings(state, container.get(TIMERS), stored);
      const live = state;
      store.onRemoteChange((aor) => dropAor(live, aor));
    },
  });
  const target = `${config.host}:${port}`;
  const storeLine = `${describeStore(config)}, ${restored} restored`;
  if (inWorker) {
    const status = () => workerStatus(app, state as SipState);
    if (config.statusIntervalMs > 0) linkWorker(app, status, config.statusIntervalMs);
    else linkWorker(app);
    const ready: WorkerReady = {
      sipUas: 'ready',
      pid: process.pid,
      version: app.version ?? '',
    };
    process.send?.(ready);
    return;
  }
  process.stdout.write(
    `sip-uas listening on sip:${target} over udp and tcp (handlers ${app.version}, pid ${process.pid})\n` +
      `  registrations: ${storeLine}\n` +
      `  try: sipp -sn uac -m 1000 -r 200 ${target}          (udp)\n` +
      `       sipp -sn uac -t t1 -m 1000 -r 200 ${target}    (tcp)\n` +
      `  hot upgrade: kill -HUP ${process.pid}    stop: kill -TERM ${process.pid}\n` +
      (app.httpAddress === undefined
        ? `  dashboard: set HTTP_PORT (e.g. HTTP_PORT=9464) to serve it\n`
        : `  dashboard: http://${app.httpAddress.address}:${app.httpAddress.port}/  (/metrics, /health)\n`),
  );
  if (config.statusIntervalMs > 0) {
    startStatusLine(app, app.container.get(TIMERS), state as SipState, config.statusIntervalMs);
  }
}

main(configFromEnv()).catch((error: unknown) => {
  process.stderr.write(`sip-uas: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
