import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { dashboardPage } from './dashboard-page';
import { DashboardSampler } from './dashboard-sampler';

/** How often the dashboard samples the registry and pushes a point to its pages. */
const DASHBOARD_INTERVAL_MS = 1000;

/** uPlot's browser bundle and stylesheet, served as they ship in the `uplot` package. */
const ASSETS: Record<string, { readonly file: string; readonly type: string }> = {
  '/assets/uPlot.iife.min.js': { file: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript' },
  '/assets/uPlot.min.css': { file: 'uplot/dist/uPlot.min.css', type: 'text/css' },
};

/**
 * Options of the optional admin HTTP endpoint.
 *
 * @example
 * ```ts
 * createApp({ handlers, http: { port: 9464, host: '127.0.0.1' } });
 * ```
 */
export interface AdminHttpOptions {
  /** Port; `0` picks a free one (see `app.httpAddress`). */
  readonly port: number;
  /** Address to bind; default `127.0.0.1` (metrics are not for the world). */
  readonly host?: string;
}

/**
 * @internal Serves, on `node:http`:
 * - `GET /`: the live dashboard (activations per second, sessions, connections, pending timers,
 *   queued activations, event-loop delay and handler versions over the last five minutes);
 * - `GET /events`: the same figures as server-sent events (`history`, then `sample` each second);
 * - `GET /metrics` (Prometheus text) and `GET /health` (JSON; 200 while running, 503 otherwise).
 *
 * The dashboard samples the registry once a second from the start, so a page opened later shows
 * the minutes before it; the sampling stops when the server closes.
 */
export async function startAdminServer(
  options: AdminHttpOptions,
  registry: Registry,
  health: () => { readonly status: string },
  title = 'AEM application',
): Promise<Server> {
  const sampler = new DashboardSampler(registry);
  const pages = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const asset = ASSETS[path];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/') {
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(dashboardPage(title));
    } else if (asset !== undefined) {
      response
        .writeHead(200, { 'content-type': asset.type, 'cache-control': 'max-age=3600' })
        .end(readFileSync(require.resolve(asset.file)));
    } else if (path === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      response.write(`event: history\ndata: ${JSON.stringify(sampler.history)}\n\n`);
      pages.add(response);
      response.on('close', () => pages.delete(response));
    } else if (path === '/health') {
      const body = health();
      response
        .writeHead(body.status === 'running' ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(body));
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const push = (): void => {
    sampler.sample().then(
      (sample) => {
        const event = `event: sample\ndata: ${JSON.stringify(sample)}\n\n`;
        for (const page of pages) page.write(event);
      },
      // A collect callback that threw: /metrics fails the same way; the pages say why.
      (error: unknown) => {
        const event = `event: failure\ndata: ${JSON.stringify(String(error))}\n\n`;
        for (const page of pages) page.write(event);
      },
    );
  };
  // Wall time on purpose: the dashboard charts real seconds, whatever clock drives the app's
  // timers (a virtual one in tests), and its timer never keeps the process alive.
  // eslint-disable-next-line no-restricted-globals
  const sampling = setInterval(push, DASHBOARD_INTERVAL_MS).unref();
  server.once('close', () => clearInterval(sampling));
  push();
  return server;
}

/** @internal The bound address of a listening admin server. */
export function addressOf(server: Server): AddressInfo {
  return server.address() as AddressInfo;
}
