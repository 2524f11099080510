import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import {
  RUNTIME,
  TIMERS,
  linkWorker,
  registerFloodGuardMetrics,
  runApp,
  type AemApp,
} from '@aem/app-kit';
import { contentLength, type ListenOptions } from '@aem/tcp';
import { Udp } from '@aem/udp';
import { requireKernelTransports } from './backend/kernel-transports';
import { configFromEnv, type SipUasConfig } from './config';
import { openSipSecurity } from './security/open-sip-security';
import { securityLines } from './security/security-lines';
import { createSipState, SIP_STATE, type SipState } from './state/sip-state';
import { portFreeOnBoth } from './shared-port';
import { startStatusLine } from './status-line';
import { runSipPrimary } from './cluster/sip-primary';
import { workerStatus, type WorkerReady } from './cluster/worker-status';
import { restoreBindings, dropAor } from './state/binding-table';
import { describeStore, openStore } from './store/open-store';
import { receiveBufferWarning } from './udp-receive-buffer';

/**
 * The process entry: serves SIP over UDP and TCP on one port, prints a status line every few
 * seconds, hot upgrades its handlers on SIGHUP (the handler file is reloaded from disk) and
 * drains and exits 0 on SIGTERM/SIGINT.
 */
async function main(configured: SipUasConfig): Promise<void> {
  if (cluster.isPrimary) {
    const warning = receiveBufferWarning(configured.udpRecvBufferBytes);
    if (warning !== undefined) process.stderr.write(`sip-uas: warning: ${warning}\n`);
  }
  // Every core: the primary only supervises; each worker runs the rest of this function.
  if (configured.workers > 1 && cluster.isPrimary) return runSipPrimary(configured);
  const inWorker = cluster.isWorker;
  const store = await openStore(configured, (message) =>
    process.stderr.write(`sip-uas: warning: ${message}\n`),
  );
  const stored = await store.restore();
  let restored = 0;
  let state: SipState | undefined;
  /** `mmsg`, `node` or `kernel`: where the UDP datagrams come from (the status line says). */
  let udpTransport = '';
  const port = configured.port === 0 ? await portFreeOnBoth(configured.host) : configured.port;
  const tls = configured.security.tls;
  // With workers the primary resolves SIP_PORT=0 and SIP_TLS_PORT=0 and hands the ports to
  // every worker in its environment, so the workers never see 0 here (each would pick its own).
  const tlsPort =
    tls !== undefined && configured.security.tlsPort === 0
      ? await portFreeOnBoth(configured.host)
      : configured.security.tlsPort;
  const config: SipUasConfig = { ...configured, security: { ...configured.security, tlsPort } };
  // RFC 3261 §18.3: over a stream transport every message carries Content-Length.
  const framer = contentLength({
    requireContentLength: true,
    maxFrameBytes: config.maxMessageBytes,
  });
  const listeners: ListenOptions[] = [
    {
      host: config.host,
      port,
      maxConnections: config.maxConnections,
      framer,
      reusePort: config.workers > 1,
    },
  ];
  if (tls !== undefined) {
    // SIP over TLS (RFC 3261 §26.2): the same connections and framing on the TLS port.
    listeners.push({
      host: config.host,
      port: tlsPort,
      maxConnections: config.maxConnections,
      framer,
      reusePort: config.workers > 1,
      tls: { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) },
    });
  }
  const app: AemApp = await runApp({
    name: 'sip-uas',
    handlers: require.resolve('./handlers'),
    config,
    // Named, never 'auto': on a machine with /dev/aem the default would pick kmod unasked.
    backend: config.backend,
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
    tcp: listeners,
    // RFC 3261 §18.1.1: a datagram carries one whole message; larger ones are dropped (counted).
    udp: {
      host: config.host,
      port,
      reusePort: config.workers > 1,
      recvBufferSize: config.udpRecvBufferBytes,
    },
    // In a worker the primary serves /metrics and /health for all.
    http:
      config.httpPort === undefined || inWorker
        ? undefined
        : { host: config.httpHost, port: config.httpPort },
    providers: (container) => {
      // Before any handler is built or datagram served; a failure here unbinds the ports again.
      if (config.backend === 'kmod') requireKernelTransports(container.get(RUNTIME));
      udpTransport = Udp.from(container.get(RUNTIME)).transport;
      const security = openSipSecurity(config.security, container.get(TIMERS), (source, reason) =>
        app.logger.warn({ source, reason }, 'source banned'),
      );
      state = createSipState(
        container.get(RUNTIME),
        (error) => app.logger.error({ err: error }, 'call job failed'),
        security,
        store,
      );
      container.bindValue(SIP_STATE, state);
      // Before serving: the journal's unexpired bindings, each with its remaining time.
      restored = restoreBindings(state, container.get(TIMERS), stored);
      const live = state;
      store.onRemoteChange((aor) => dropAor(live, aor));
    },
  });
  registerFloodGuardMetrics(app.metrics.registry, (state as SipState).security.guard);
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
      udpTransport,
    };
    process.send?.(ready);
    return;
  }
  process.stdout.write(
    `sip-uas listening on sip:${target} over udp (${udpTransport}) and tcp (handlers ${app.version}, pid ${process.pid}, backend ${config.backend})\n` +
      `  registrations: ${storeLine}\n` +
      `  try: sipp -sn uac -m 1000 -r 200 ${target}          (udp)\n` +
      `       sipp -sn uac -t t1 -m 1000 -r 200 ${target}    (tcp)\n` +
      securityLines(config, tlsPort) +
      `  hot upgrade: kill -HUP ${process.pid}    stop: kill -TERM ${process.pid}\n` +
      (app.httpAddress === undefined
        ? `  dashboard: set HTTP_PORT (e.g. HTTP_PORT=9464) to serve it\n`
        : `  dashboard: http://${app.httpAddress.address}:${app.httpAddress.port}/  (/metrics, /health)\n`),
  );
  if (config.statusIntervalMs > 0) {
    startStatusLine(app, app.container.get(TIMERS), state as SipState, config.statusIntervalMs);
  }
}

// A bad setting is reported like any other start failure: one line, exit 1 (no stack trace).
Promise.resolve()
  .then(() => main(configFromEnv()))
  .catch((error: unknown) => {
    process.stderr.write(`sip-uas: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
