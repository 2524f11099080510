import { connect, createServer, type Server, type Socket } from 'node:net';
import { delimited, type TcpMessage } from '@aem/tcp';
import { VirtualClock } from '@aem/timers/testing';
import { createApp, type AemApp } from '../application/aem-app';
import { Handler } from '../decorators/handler.decorator';
import { OnClose } from '../decorators/on-close.decorator';
import { OnConnection } from '../decorators/on-connection.decorator';
import { OnMessage } from '../decorators/on-message.decorator';
import { InvalidConfigError } from '../errors/invalid-config.error';
import { defineHandlerModule } from '../upgrade/handler-module';
import type { Session } from './session';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A peer the application connects to: records its connections and the lines they send. */
function peer() {
  const sockets: Socket[] = [];
  const lines: string[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    socket.on('error', () => undefined);
  });
  const listening = new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return { server, sockets, lines, listening };
}

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
};

describe('outbound clients and several listeners', () => {
  const log: string[] = [];
  @Handler()
  class Peering {
    @OnConnection()
    open(session: Session) {
      log.push(`open ${session.client ?? 'inbound'}`);
      session.connection?.send(`hello ${session.client ?? 'inbound'}\n`);
    }
    @OnMessage()
    echo({ data, connection }: TcpMessage) {
      connection.send(`echo ${data}\n`);
    }
    @OnClose()
    close(session: Session) {
      log.push(`close ${session.client ?? 'inbound'}`);
    }
  }
  const handlers = defineHandlerModule({ version: '1.0.0', handlers: [Peering] });
  const framer = delimited({ delimiter: '\n' });
  let app: AemApp | undefined;
  let server: Server | undefined;

  beforeEach(() => void (log.length = 0));
  afterEach(async () => {
    await app?.stop();
    server?.close();
  });

  it('keeps an outbound connection up as a session, reconnecting with back-off', async () => {
    const p = peer();
    server = p.server;
    const port = await p.listening;
    const clock = new VirtualClock();
    app = createApp({
      handlers,
      clock,
      logger: { level: 'silent' },
      clients: [{ name: 'hss', port, framer, backoff: { initialMs: 100, maxMs: 400 } }],
    });
    await app.start();
    await until(() => p.lines.includes('hello hss'));
    expect(log).toEqual(['open hss']);
    p.sockets[0].write('ping\n');
    await until(() => p.lines.includes('echo ping'));

    p.sockets[0].destroy(); // the peer drops the connection
    await until(() => log.includes('close hss'));
    clock.advance(99);
    await settle();
    expect(p.sockets).toHaveLength(1); // still backing off
    clock.advance(1);
    await until(() => p.sockets.length === 2);
    await until(() => log.filter((line) => line === 'open hss').length === 2);
    expect(app.liveSessions.map((session) => session.client)).toEqual(['hss']);
  });

  it('backs off longer after each failed attempt, up to maxMs', async () => {
    const p = peer();
    const port = await p.listening;
    await new Promise((resolve) => p.server.close(resolve)); // nobody listens there now
    const clock = new VirtualClock();
    app = createApp({
      handlers,
      clock,
      logger: { level: 'silent' },
      clients: [{ name: 'gone', port, framer, backoff: { initialMs: 100, maxMs: 400 } }],
    });
    await app.start();
    const attempts = () => app!.health().clients?.[0].attempts;
    await until(() => attempts() === 1);
    // Waits of 100, 200, 400, then 400 ms (maxMs): each armed once the attempt before failed.
    for (const [n, wait] of [100, 200, 400, 400].entries()) {
      await until(() => clock.armedAlarms > 0); // the refusal came: the wait is armed
      clock.advance(wait - 1);
      await settle();
      expect(attempts()).toBe(n + 1);
      clock.advance(1);
      await until(() => attempts() === n + 2);
      expect(attempts()).toBe(n + 2);
    }
    expect(app.health().clients).toEqual([{ name: 'gone', connected: false, attempts: 5 }]);
    expect(app.health().sessions).toBe(0);
  });

  it('refuses two clients with one name', () => {
    expect(() =>
      createApp({
        handlers,
        clients: [
          { name: 'a', port: 1 },
          { name: 'a', port: 2 },
        ],
      }),
    ).toThrow(InvalidConfigError);
  });

  it('serves several listeners with the same handlers', async () => {
    app = createApp({
      handlers,
      logger: { level: 'silent' },
      tcp: [
        { host: '127.0.0.1', port: 0, framer },
        { host: '127.0.0.1', port: 0, framer },
      ],
    });
    await app.start();
    expect(app.tcpServers).toHaveLength(2);
    expect(app.tcpServer).toBe(app.tcpServers[0]);
    for (const server of app.tcpServers) {
      const socket = connect({ host: '127.0.0.1', port: server.address.port });
      const greeting = await new Promise<string>((resolve) =>
        socket.once('data', (chunk) => resolve(chunk.toString())),
      );
      expect(greeting).toBe('hello inbound\n');
      socket.destroy();
    }
    expect(app.health().tcpPort).toBe(app.tcpServers[0].address.port);
  });
});
