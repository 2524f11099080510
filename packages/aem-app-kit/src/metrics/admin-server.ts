import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

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
 * @internal Serves `GET /metrics` (Prometheus text) and `GET /health` (JSON; 200 while
 * running, 503 otherwise) on `node:http`.
 */
export async function startAdminServer(
  options: AdminHttpOptions,
  registry: Registry,
  health: () => { readonly status: string },
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
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
  return server;
}

/** @internal The bound address of a listening admin server. */
export function addressOf(server: Server): AddressInfo {
  return server.address() as AddressInfo;
}
