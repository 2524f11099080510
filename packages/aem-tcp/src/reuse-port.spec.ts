import { createAem, type Aem } from '@aem/core';
import { SocketFailedError } from './errors/socket-failed.error';
import { Tcp } from './tcp';
import type { TcpServer } from './tcp-server';

describe('listen({ reusePort })', () => {
  const runtimes: Aem[] = [];
  const servers: TcpServer[] = [];
  const tcp = (): Tcp => {
    const runtime = createAem({ backend: 'userspace' });
    runtimes.push(runtime);
    return Tcp.from(runtime);
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close({ deadlineMs: 100 })));
    for (const runtime of runtimes.splice(0)) runtime.close();
  });

  it('lets two servers bind the same port, and without it the second is refused', async () => {
    const first = await tcp().listen({ host: '127.0.0.1', port: 0, reusePort: true });
    servers.push(first);
    const port = first.address.port;
    const second = await tcp().listen({ host: '127.0.0.1', port, reusePort: true });
    servers.push(second);
    expect(second.address.port).toBe(port);
    await expect(tcp().listen({ host: '127.0.0.1', port })).rejects.toThrow(SocketFailedError);
  });
});
