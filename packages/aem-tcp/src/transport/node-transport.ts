import { connect as netConnect, createServer } from 'node:net';
import type { TcpTransport, TransportServer, TransportSocket } from './transport';

/** `node:net`: the userspace backend's sockets. @internal */
export const nodeTransport: TcpTransport = {
  kind: 'node',
  async listen({ port, host, backlog, reusePort }): Promise<TransportServer> {
    const server = createServer({ pauseOnConnect: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // exclusive: a cluster worker binds its own socket (with reusePort) instead of the primary's.
      server.listen({ port, host, backlog, reusePort, exclusive: reusePort === true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  },
  async connect({ port, host }): Promise<TransportSocket> {
    const socket = netConnect({ port, host, noDelay: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.once('connect', () => {
          socket.off('error', reject);
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
