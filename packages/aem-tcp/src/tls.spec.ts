import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { createAem, type Aem } from '@aem/core';
import { firstValueFrom } from 'rxjs';
import { SocketFailedError } from './errors/socket-failed.error';
import { delimited } from './framers/delimiter.framer';
import { Tcp } from './tcp';
import type { TcpServer } from './tcp-server';
import type { TlsClientOptions, TlsServerOptions } from './tls-options';

// Certificates made at run time by openssl (tools/make-test-certs.mjs): a CA, a server and a
// client certificate it signed, and a self-signed "rogue" one nobody trusts.
const dir = mkdtempSync(join(tmpdir(), 'aem-tls-'));
execFileSync(process.execPath, [join(__dirname, '../../../tools/make-test-certs.mjs'), dir]);
const pem = (name: string) => readFileSync(join(dir, name));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS', () => {
  let runtime: Aem;
  let tcp: Tcp;
  const servers: TcpServer[] = [];

  beforeEach(() => {
    runtime = createAem({ backend: 'userspace' });
    tcp = Tcp.from(runtime);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close({ deadlineMs: 100 })));
    runtime.close();
  });

  async function echoServer(tls: TlsServerOptions): Promise<TcpServer> {
    const server = await tcp.listen({ host: '127.0.0.1', port: 0, framer: delimited(), tls });
    server.onMessage(({ data, connection }) => {
      connection.send(Buffer.concat([data, Buffer.from('\r\n')]));
    });
    servers.push(server);
    return server;
  }

  /** Connects over TLS (trusting the test CA), sends one line, expects it echoed. */
  async function expectEcho(port: number, line: string, tls: TlsClientOptions = {}): Promise<void> {
    const client = await tcp.connect({
      port,
      framer: delimited(),
      tls: { ca: pem('ca.crt'), servername: 'localhost', ...tls },
    });
    const reply = firstValueFrom(client.messages);
    client.send(`${line}\r\n`);
    expect((await reply).data.toString()).toBe(line);
    client.close();
  }

  it('carries framed messages both ways, verified against the CA', async () => {
    const server = await echoServer({ key: pem('server.key'), cert: pem('server.crt') });
    await expectEcho(server.address.port, 'hello over tls');
    expect(server.stats()).toMatchObject({ accepted: 1, tlsHandshakeFailures: 0 });
  });

  it('refuses a server whose certificate the client does not trust, and the server counts it', async () => {
    const server = await echoServer({ key: pem('rogue.key'), cert: pem('rogue.crt') });
    await expect(
      tcp.connect({
        port: server.address.port,
        tls: { ca: pem('ca.crt'), servername: 'localhost' },
      }),
    ).rejects.toThrow(SocketFailedError);
    await waitFor(() => server.stats().tlsHandshakeFailures === 1);
    expect(server.stats().accepted).toBe(0);
  });

  it('with requestCert, refuses a client without a certificate and accepts one the CA signed', async () => {
    const server = await echoServer({
      key: pem('server.key'),
      cert: pem('server.crt'),
      ca: pem('ca.crt'),
      requestCert: true,
    });
    const port = server.address.port;
    // TLS 1.3 reports the refusal after the client's handshake: the connection then fails.
    const refused = await new Promise<string>((resolve) => {
      const socket = tlsConnect({
        port,
        host: '127.0.0.1',
        ca: pem('ca.crt'),
        servername: 'localhost',
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      socket.on('close', () => resolve('closed'));
    });
    expect(refused).toMatch(/CERTIFICATE_REQUIRED|ECONNRESET|closed/);
    await waitFor(() => server.stats().tlsHandshakeFailures === 1);
    await expectEcho(port, 'mutual', { cert: pem('client.crt'), key: pem('client.key') });
  });

  it('counts a client that does not speak TLS and keeps serving', async () => {
    const server = await echoServer({ key: pem('server.key'), cert: pem('server.crt') });
    const plain = netConnect({ port: server.address.port, host: '127.0.0.1' });
    plain.on('error', () => undefined);
    plain.write('INVITE sip:bob@example.org SIP/2.0\r\n\r\n');
    await waitFor(() => server.stats().tlsHandshakeFailures === 1);
    plain.destroy();
    await expectEcho(server.address.port, 'still here');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
