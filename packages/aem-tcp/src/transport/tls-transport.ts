import { EventEmitter } from 'node:events';
import { connect as tlsConnect, createServer, type TLSSocket } from 'node:tls';
import type { TlsClientOptions, TlsServerOptions } from '../tls-options';
import type { TcpTransport, TransportServer, TransportSocket } from './transport';

/**
 * A TLS server as a {@link TransportServer}: it reports a connection once its handshake is done
 * (paused, as plain TCP connections come), and counts handshakes that failed (a bad or missing
 * client certificate, a client that is not speaking TLS, a handshake over its time).
 *
 * @internal
 */
class TlsTransportServer extends EventEmitter implements TransportServer {
  /** Handshakes that failed; the socket was destroyed. */
  handshakeFailures = 0;

  constructor(private readonly server: ReturnType<typeof createServer>) {
    super();
    server.on('secureConnection', (socket: TLSSocket) => {
      socket.pause();
      this.emit('connection', socket);
    });
    server.on('tlsClientError', () => {
      this.handshakeFailures++;
    });
    server.on('error', (error) => this.emit('error', error));
  }

  address(): ReturnType<TransportServer['address']> {
    return this.server.address();
  }

  get listening(): boolean {
    return this.server.listening;
  }

  close(callback?: (error?: Error) => void): this {
    this.server.close(callback);
    return this;
  }
}

/**
 * `node:tls` with the given options: the transport of servers and clients configured with
 * `tls`, on either backend (the kernel TCP service carries plain TCP only).
 *
 * @internal
 */
export function tlsTransport(options: {
  readonly server?: TlsServerOptions;
  readonly client?: TlsClientOptions;
}): TcpTransport {
  return {
    kind: 'node',
    async listen({ port, host, backlog, reusePort }): Promise<TransportServer> {
      const tls = options.server!;
      const server = createServer({
        key: tls.key,
        cert: tls.cert,
        ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
        requestCert: tls.requestCert ?? false,
        rejectUnauthorized: true,
        handshakeTimeout: tls.handshakeTimeoutMs ?? 10_000,
        noDelay: true,
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // exclusive: a cluster worker binds its own socket (with reusePort) instead of the primary's.
        server.listen({ port, host, backlog, reusePort, exclusive: reusePort === true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return new TlsTransportServer(server);
    },
    async connect({ port, host }): Promise<TransportSocket> {
      const tls = options.client ?? {};
      const socket = tlsConnect({
        port,
        host,
        servername: tls.servername ?? host,
        ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key }),
        rejectUnauthorized: true,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.once('secureConnect', () => {
            socket.off('error', reject);
            socket.setNoDelay(true);
            resolve();
          });
        });
      } catch (error) {
        socket.destroy();
        throw error;
      }
      return socket;
    },
  };
}

/** Failed handshakes of a server made by {@link tlsTransport} (0 for other servers). @internal */
export function tlsHandshakeFailures(server: TransportServer): number {
  return server instanceof TlsTransportServer ? server.handshakeFailures : 0;
}
