import { connect as netConnect, createServer, type Socket } from 'node:net';
import { createAem, RuntimeClosedError, type Aem } from '@aem/core';
import { createTimersService } from '@aem/timers';
import { VirtualClock } from '@aem/timers/testing';
import { firstValueFrom, take, takeWhile, toArray } from 'rxjs';
import { ConnectionClosedError } from './errors/connection-closed.error';
import { NoFramerError } from './errors/no-framer.error';
import { SocketFailedError } from './errors/socket-failed.error';
import { TimersUnavailableError } from './errors/timers-unavailable.error';
import { contentLength } from './framers/content-length.framer';
import { delimited } from './framers/delimiter.framer';
import { lengthPrefixed } from './framers/length-prefixed.framer';
import { Tcp } from './tcp';
import { createTcpService } from './tcp-service';
import type { TcpConnection } from './tcp-connection';
import type { TcpMessage } from './tcp-connection';
import type { TcpServer } from './tcp-server';

const HOST = '127.0.0.1';

function frame(payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(body.length);
  return Buffer.concat([header, body]);
}

/** A plain node:net client, to feed the server bytes exactly as the test wants. */
async function rawClient(port: number): Promise<Socket> {
  const socket = netConnect({ host: HOST, port });
  await new Promise<void>((resolve, reject) =>
    socket.once('connect', resolve).once('error', reject),
  );
  return socket;
}

async function until(check: () => boolean, what: string, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
    if (i > 200) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('Tcp', () => {
  let runtime: Aem;
  let tcp: Tcp;
  let servers: TcpServer[];
  const sockets: Socket[] = [];

  const listen = async (options: Parameters<Tcp['listen']>[0]) => {
    const server = await tcp.listen(options);
    servers.push(server);
    return server;
  };

  beforeEach(() => {
    runtime = createAem({ backend: 'userspace' });
    tcp = Tcp.from(runtime);
    servers = [];
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.map((server) => server.close({ deadlineMs: 100 })));
    runtime.close();
  });

  it('names its transport: node:net on the userspace backend', () => {
    expect(tcp.transport).toBe('node');
  });

  describe('echo', () => {
    it('round-trips length-prefixed messages; each activation carries message, connection and address', async () => {
      const server = await listen({ host: HOST, port: 0, framer: lengthPrefixed({ width: 2 }) });
      expect(server.address.port).toBeGreaterThan(0);
      const seen: TcpMessage[] = [];
      server.onMessage((message) => {
        seen.push(message);
        message.connection.send(frame(`echo:${message.data}`));
      });
      const client = await tcp.connect({
        host: HOST,
        port: server.address.port,
        framer: lengthPrefixed({ width: 2 }),
      });
      const replies = firstValueFrom(client.messages.pipe(take(3), toArray()));
      for (const text of ['a', 'bb', 'ccc']) client.send(frame(text));
      expect((await replies).map((m) => String(m.data))).toEqual(['echo:a', 'echo:bb', 'echo:ccc']);
      expect(seen[0].remoteAddress).toBe(HOST);
      expect(seen[0].remotePort).toBe(client.localPort);
      expect(seen[0].connection.domain.name).toContain('tcp:');
      client.close();
      const info = await client.closed;
      expect(info).toMatchObject({ reason: 'local', bytesWritten: 12 });
    });

    it('frames across arbitrary chunk boundaries', async () => {
      const server = await listen({ host: HOST, port: 0, framer: contentLength() });
      const bodies: string[] = [];
      server.onMessage(({ data }) => void bodies.push(data.toString().split('\r\n\r\n')[1]));
      const socket = await rawClient(server.address.port);
      sockets.push(socket);
      const wire = Buffer.from(
        [0, 1, 2, 3, 4]
          .map(
            (i) =>
              `MESSAGE sip:a SIP/2.0\r\nContent-Length: ${String(i).length + 4}\r\n\r\nbody${i}`,
          )
          .join(''),
      );
      for (let at = 0; at < wire.length; at += 7) {
        socket.write(wire.subarray(at, at + 7));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await until(() => bodies.length === 5, 'five messages');
      expect(bodies).toEqual(['body0', 'body1', 'body2', 'body3', 'body4']);
    });

    it('batches the sends of one tick into one socket write', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      const lines: string[] = [];
      server.onMessage(({ data }) => void lines.push(String(data)));
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      const socket = (client as unknown as { socket: Socket }).socket;
      const write = jest.spyOn(socket, 'write');
      for (let i = 0; i < 50; i++) client.send(`line ${i}\r\n`);
      expect(write).not.toHaveBeenCalled(); // nothing leaves before the tick ends
      await until(() => lines.length === 50, '50 lines');
      expect(write).toHaveBeenCalledTimes(1);
      // Past 64 KiB in one tick, the sends go out corked (one writev) without being copied.
      const writev = jest.spyOn(socket as Socket & { _writev: () => void }, '_writev');
      for (let i = 0; i < 4; i++) client.send(Buffer.alloc(20_000, 0x61));
      await until(() => write.mock.calls.length === 5, 'four more writes');
      expect(writev).toHaveBeenCalled();
    });
  });

  describe('domains', () => {
    it('serializes async handlers per connection while connections interleave', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      const trace: string[] = [];
      const gates = new Map<string, ReturnType<typeof gate>>();
      server.onMessage(async ({ data }) => {
        const text = String(data);
        trace.push(`start ${text}`);
        const g = gates.get(text);
        if (g) await g.promise;
        trace.push(`end ${text}`);
      });
      gates.set('a1', gate());
      const a = await tcp.connect({ host: HOST, port: server.address.port });
      const b = await tcp.connect({ host: HOST, port: server.address.port });
      a.send('a1\r\na2\r\n');
      await until(() => trace.includes('start a1'), 'a1');
      b.send('b1\r\n');
      await until(() => trace.includes('end b1'), 'b1');
      expect(trace).not.toContain('start a2');
      gates.get('a1')?.open();
      await until(() => trace.includes('end a2'), 'a2');
      expect(trace.indexOf('end a1')).toBeLessThan(trace.indexOf('start a2'));
    });

    it('runs onConnection before the connection’s first message handler', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      const trace: string[] = [];
      server.onConnection(async (connection) => {
        trace.push(`connected ${connection.id}`);
        await new Promise((resolve) => setImmediate(resolve));
        trace.push('setup done');
      });
      server.onMessage(({ data }) => void trace.push(`message ${data}`));
      const socket = await rawClient(server.address.port);
      sockets.push(socket);
      socket.write('hello\r\n');
      await until(() => trace.length === 3, 'three steps');
      expect(trace.slice(1)).toEqual(['setup done', 'message hello']);
    });
  });

  describe('bad input', () => {
    it('closes only the offending connection, with a typed reason; others carry on', async () => {
      const server = await listen({
        host: HOST,
        port: 0,
        framer: lengthPrefixed({ width: 2, maxFrameBytes: 64 }),
      });
      const got: string[] = [];
      const accepted: TcpConnection[] = [];
      server.onConnection((connection) => void accepted.push(connection));
      server.onMessage(({ data, connection }) => {
        got.push(String(data));
        connection.send(frame('ok'));
      });
      const good = await tcp.connect({
        host: HOST,
        port: server.address.port,
        framer: lengthPrefixed({ width: 2 }),
      });
      const badSocket = await rawClient(server.address.port);
      sockets.push(badSocket);
      const badPort = badSocket.localPort;
      const goodReplies = firstValueFrom(good.messages.pipe(take(2), toArray()));
      good.send(frame('before'));
      badSocket.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
      await until(
        () => accepted.some((c) => c.remotePort === badPort && c.state === 'closed'),
        'bad connection closed',
      );
      const info = await accepted.find((c) => c.remotePort === badPort)!.closed;
      expect(info.reason).toBe('framing-error');
      expect(info.error).toMatchObject({ code: 'AEM_TCP_FRAME_TOO_LARGE', limit: 64, size: 65537 });
      good.send(frame('after'));
      await expect(goodReplies).resolves.toHaveLength(2);
      expect(got).toEqual(['before', 'after']);
      expect(server.stats().framingErrors).toBe(1);
    });

    it('survives random garbage on many connections', async () => {
      const server = await listen({
        host: HOST,
        port: 0,
        framer: contentLength({ maxFrameBytes: 2048, maxHeaderBytes: 512 }),
      });
      server.onMessage(() => undefined);
      const clients = await Promise.all(
        Array.from({ length: 20 }, () => rawClient(server.address.port)),
      );
      sockets.push(...clients);
      let seed = 42;
      for (const client of clients) {
        const garbage = Buffer.alloc(3000);
        for (let i = 0; i < garbage.length; i++)
          garbage[i] = seed = (seed * 1103515245 + 12345) & 0xff;
        client.write(garbage);
      }
      await until(() => server.stats().connections === 0, 'all garbage connections closed');
      expect(server.stats().framingErrors).toBe(20);
      const ok = await tcp.connect({
        host: HOST,
        port: server.address.port,
        framer: contentLength(),
      });
      const reply = firstValueFrom(ok.messages);
      server.onMessage(
        ({ connection }) => void connection.send('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
      );
      ok.send('OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n');
      await expect(reply).resolves.toBeDefined();
    });
  });

  describe('flow control', () => {
    it('delivers 12,000 pipelined frames from one write, pausing and resuming on the way', async () => {
      const server = await listen({
        host: HOST,
        port: 0,
        framer: lengthPrefixed({ width: 2 }),
        limits: { maxQueuedMessages: 256 },
      });
      let count = 0;
      let maxQueued = 0;
      server.onMessage(({ connection }) => {
        count++;
        maxQueued = Math.max(maxQueued, connection.queuedMessageCount);
      });
      const socket = await rawClient(server.address.port);
      sockets.push(socket);
      socket.write(Buffer.concat(Array.from({ length: 12_000 }, (_, i) => frame(String(i)))));
      await until(() => count === 12_000, '12,000 messages', 20_000);
      expect(maxQueued).toBeLessThanOrEqual(256);
    });

    it('a slow consumer pauses reading: buffered bytes stay bounded, nothing is lost', async () => {
      jest.setTimeout(30_000);
      const limit = 64 * 1024;
      const server = await listen({
        host: HOST,
        port: 0,
        framer: lengthPrefixed({ width: 4 }),
        limits: { maxBufferedBytes: limit },
      });
      const release = gate();
      let received = 0;
      let peak = 0;
      let serverSide!: TcpConnection;
      server.onMessage(async ({ data, connection }) => {
        serverSide = connection;
        peak = Math.max(peak, connection.bufferedBytes);
        await release.promise;
        received += data.length;
      });
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      const payload = Buffer.alloc(1000, 7);
      const message = Buffer.concat([Buffer.from([0, 0, 3, 232]), payload]);
      const total = 8_000; // 8 MB, far more than the socket buffers on both sides hold
      let sent = 0;
      const sending = (async () => {
        for (; sent < total; sent++) if (!client.send(message)) await client.drained();
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sent).toBeLessThan(total); // the writer is held back by TCP flow control
      expect(serverSide.bufferedBytes).toBeLessThanOrEqual(limit + 65_536);
      expect(received).toBe(0);
      release.open();
      await sending;
      await until(() => received === total * 1000, 'all bytes', 50_000);
      expect(peak).toBeLessThanOrEqual(limit + 65_536);
    });

    it('bounds the bytes buffered across all connections (maxTotalBufferedBytes)', async () => {
      const small = createAem({ backend: 'userspace' });
      small.load(createTcpService({ maxTotalBufferedBytes: 32 * 1024 }));
      const smallTcp = Tcp.from(small);
      const server = await smallTcp.listen({
        host: HOST,
        port: 0,
        framer: lengthPrefixed({ width: 4 }),
      });
      const release = gate();
      let received = 0;
      let peakTotal = 0;
      const state = (smallTcp as unknown as { state: { bufferedBytes: number } }).state;
      server.onMessage(async ({ data }) => {
        peakTotal = Math.max(peakTotal, state.bufferedBytes);
        await release.promise;
        received += data.length;
      });
      const message = Buffer.concat([Buffer.from([0, 0, 3, 232]), Buffer.alloc(1000, 1)]);
      const clients = await Promise.all(
        [0, 1, 2].map(() => smallTcp.connect({ host: HOST, port: server.address.port })),
      );
      const sending = clients.map(async (client) => {
        for (let i = 0; i < 500; i++) if (!client.send(message)) await client.drained();
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(state.bufferedBytes).toBeLessThanOrEqual(32 * 1024 + 3 * 65_536);
      release.open();
      await Promise.all(sending);
      await until(() => received === 3 * 500 * 1000, 'all messages', 50_000);
      expect(peakTotal).toBeLessThanOrEqual(32 * 1024 + 3 * 65_536);
      await server.close();
      small.close();
    });

    it('stopping a message handler holds its messages and pauses reading; start resumes, nothing lost', async () => {
      const server = await listen({
        host: HOST,
        port: 0,
        framer: delimited(),
        limits: { maxQueuedMessages: 8 },
      });
      const got: string[] = [];
      const handler = server.onMessage(({ data }) => void got.push(String(data)));
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      client.send('a\r\n');
      await until(() => got.length === 1, 'first message');
      handler.stop();
      for (let i = 0; i < 50; i++) client.send(`m${i}\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(got).toEqual(['a']);
      expect(server.openConnections[0].queuedMessageCount).toBeLessThanOrEqual(8);
      handler.start();
      await until(() => got.length === 51, 'all messages');
      expect(got.slice(1)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    });

    it('send reports the write high-water mark and drained() resolves', async () => {
      const server = await listen({ host: HOST, port: 0 });
      const client = await tcp.connect({
        host: HOST,
        port: server.address.port,
        limits: { writeHighWaterMark: 16_384 },
      });
      expect(client.send(Buffer.alloc(1000))).toBe(true);
      expect(client.send(Buffer.alloc(100_000))).toBe(false);
      // The server reads only once a consumer registers. (It used server.onMessage, which a
      // server without a framer now refuses: issue #16.)
      await until(() => server.openConnections.length === 1, 'accepted');
      for (const connection of server.openConnections) connection.onData(() => undefined);
      await expect(client.drained()).resolves.toBeUndefined();
    });
  });

  describe('limits and lifecycle', () => {
    it('refuses connections over maxConnections and counts them', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited(), maxConnections: 2 });
      server.onMessage(() => undefined);
      const a = await tcp.connect({ host: HOST, port: server.address.port });
      const b = await tcp.connect({ host: HOST, port: server.address.port });
      const c = await tcp.connect({ host: HOST, port: server.address.port });
      c.onData(() => undefined);
      await expect(c.closed).resolves.toMatchObject({ reason: 'peer' });
      expect(server.stats()).toMatchObject({ connections: 2, accepted: 2, refused: 1 });
      a.close();
      b.close();
    });

    it('handles many concurrent connections', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      server.onMessage(({ data, connection }) => void connection.send(`${data}!\r\n`));
      const clients = await Promise.all(
        Array.from({ length: 200 }, () =>
          tcp.connect({ host: HOST, port: server.address.port, framer: delimited() }),
        ),
      );
      const replies = Promise.all(
        clients.map((client) => firstValueFrom(client.messages.pipe(take(5), toArray()))),
      );
      clients.forEach((client, i) => {
        for (let j = 0; j < 5; j++) client.send(`${i}.${j}\r\n`);
      });
      const all = await replies;
      all.forEach((messages, i) =>
        expect(messages.map((m) => String(m.data))).toEqual(
          [0, 1, 2, 3, 4].map((j) => `${i}.${j}!`),
        ),
      );
      expect(server.stats().connections).toBe(200);
    });

    it('completes the connection’s streams on peer close and reports reason "peer"', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      const streams: Promise<string[]>[] = [];
      server.onConnection((connection) => {
        streams.push(
          firstValueFrom(connection.messages.pipe(toArray())).then((ms) =>
            ms.map((m) => String(m.data)),
          ),
        );
      });
      const socket = await rawClient(server.address.port);
      socket.end('one\r\ntwo\r\n');
      await until(() => streams.length === 1, 'connection');
      await expect(streams[0]).resolves.toEqual(['one', 'two']);
      await until(() => server.stats().connections === 0, 'closed');
    });

    it('rejects connect and listen failures with SocketFailedError', async () => {
      const server = await listen({ host: HOST, port: 0 });
      await expect(tcp.listen({ host: HOST, port: server.address.port })).rejects.toMatchObject({
        code: 'AEM_TCP_SOCKET_FAILED',
        syscallCode: 'EADDRINUSE',
      });
      const port = server.address.port;
      await server.close();
      await expect(tcp.connect({ host: HOST, port })).rejects.toBeInstanceOf(SocketFailedError);
      await expect(tcp.connect({ host: HOST, port: 70_000 })).rejects.toThrow(/0 to 65535/);
    });

    it('send after close returns false (a result, not an exception) and drops the bytes', async () => {
      // Issue #16: it threw ConnectionClosedError, which an async handler racing a close
      // turned into an AEM_HANDLER_FAILED warning.
      const server = await listen({ host: HOST, port: 0 });
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      client.close();
      expect(client.send('x')).toBe(false);
      expect(client.state).not.toBe('open');
      client.destroy();
      await client.closed;
      expect(client.send(Buffer.from('y'))).toBe(false);
      await expect(client.drained()).rejects.toBeInstanceOf(ConnectionClosedError);
    });

    describe('traffic never vanishes silently (issue #16)', () => {
      it('refuses server.onMessage and server.messages without a framer with NoFramerError', async () => {
        const server = await listen({ host: HOST, port: 0 });
        expect(() => server.onMessage(() => undefined)).toThrow(NoFramerError);
        await expect(firstValueFrom(server.messages)).rejects.toMatchObject({
          code: 'AEM_TCP_NO_FRAMER',
        });
        expect(runtime.stats().liveEvents).toBe(0);
      });

      it('says "without a framer", not "closed", for onMessage on an open raw connection', async () => {
        const server = await listen({ host: HOST, port: 0 });
        const client = await tcp.connect({ host: HOST, port: server.address.port });
        expect(client.state).toBe('open');
        expect(() => client.onMessage(() => undefined)).toThrow(
          new NoFramerError(`connection ${client.id}`),
        );
        expect(() => client.onMessage(() => undefined)).toThrow(/without a framer/);
        client.destroy();
      });

      it('completes messages and data subscribed on a connection that already closed', async () => {
        const server = await listen({ host: HOST, port: 0, framer: delimited() });
        const client = await tcp.connect({
          host: HOST,
          port: server.address.port,
          framer: delimited(),
        });
        client.destroy();
        await client.closed;
        await expect(firstValueFrom(client.messages.pipe(toArray()))).resolves.toEqual([]);
        await expect(firstValueFrom(client.data.pipe(toArray()))).resolves.toEqual([]);
        const event = client.onMessage(() => undefined);
        expect(event.state).toBe('closed');
        expect(event.closeReason).toBe('ended');
      });

      it('refuses listen and connect after runtime.close() before binding a port', async () => {
        const server = await listen({ host: HOST, port: 0 });
        const port = server.address.port;
        await server.close();
        runtime.close();
        await expect(tcp.listen({ host: HOST, port })).rejects.toBeInstanceOf(RuntimeClosedError);
        await expect(tcp.connect({ host: HOST, port })).rejects.toBeInstanceOf(RuntimeClosedError);
        // The port was never bound: a plain node:net server can take it at once.
        const probe = createServer();
        await new Promise<void>((resolve, reject) => {
          probe.once('error', reject);
          probe.listen(port, HOST, () => resolve());
        });
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      });
    });

    it('graceful close lets in-flight handlers reply, then closes with reason "shutdown"', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      const g = gate();
      server.onMessage(async ({ data, connection }) => {
        await g.promise;
        connection.send(`done ${data}\r\n`);
      });
      const client = await tcp.connect({
        host: HOST,
        port: server.address.port,
        framer: delimited(),
      });
      const reply = firstValueFrom(client.messages);
      client.send('job\r\n');
      await until(() => server.openConnections[0]?.domain.busy === true, 'handler running');
      const port = server.address.port;
      const closing = server.close({ deadlineMs: 5_000 });
      expect(server.status).toBe('closing');
      await expect(tcp.connect({ host: HOST, port })).rejects.toBeInstanceOf(SocketFailedError);
      g.open();
      await expect(reply).resolves.toMatchObject({ data: Buffer.from('done job') });
      await closing;
      expect(server.status).toBe('closed');
    });

    it('closes an idle connection at once, without waiting for the deadline', async () => {
      // Regression: the server sent its FIN but kept the socket paused, so it never read the
      // peer's FIN and the connection lingered until the deadline.
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      server.onMessage(() => undefined);
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      client.onData(() => undefined);
      await until(() => server.stats().connections === 1, 'connected');
      // A deadline far beyond the test's own timeout: reaching it would fail the test.
      await server.close({ deadlineMs: 600_000 });
      expect(server.status).toBe('closed');
      await expect(client.closed).resolves.toMatchObject({ reason: 'peer' });
    });

    it('destroys connections still busy at the deadline', async () => {
      const server = await listen({ host: HOST, port: 0, framer: delimited() });
      server.onMessage(() => new Promise<void>(() => undefined)); // never settles
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      client.onData(() => undefined);
      client.send('stuck\r\n');
      await until(() => server.openConnections[0]?.domain.busy === true, 'handler stuck');
      const serverSide = server.openConnections[0];
      await server.close({ deadlineMs: 50 });
      await expect(serverSide.closed).resolves.toMatchObject({ reason: 'shutdown' });
    });

    describe('close paths', () => {
      it('end() half-closes: the peer’s bytes still arrive, and its FIN closes with reason "peer"', async () => {
        const server = await listen({ host: HOST, port: 0 });
        const socket = netConnect({ host: HOST, port: server.address.port, allowHalfOpen: true });
        sockets.push(socket);
        await until(() => server.openConnections.length === 1, 'accepted');
        const serverSide = server.openConnections[0];
        const chunks: string[] = [];
        serverSide.onData((chunk) => void chunks.push(String(chunk)));
        serverSide.send('bye');
        serverSide.end();
        expect(serverSide.state).toBe('open'); // a half-close records no reason
        let heard = '';
        socket.on('data', (chunk) => (heard += String(chunk)));
        await new Promise<void>((resolve) => socket.once('end', resolve));
        expect(heard).toBe('bye');
        socket.end('late'); // after our FIN, the peer's bytes still reach the handler
        await expect(serverSide.closed).resolves.toMatchObject({ reason: 'peer' });
        expect(chunks.join('')).toBe('late');
      });

      it('frames waiting when the last message handler leaves go to the next one', async () => {
        // Regression: credit for the discarded messages pumped the framer with no sink left,
        // and the frames it still held were dropped without a trace.
        const server = await listen({ host: HOST, port: 0 });
        const client = await tcp.connect({
          host: HOST,
          port: server.address.port,
          framer: delimited(),
          limits: { maxQueuedMessages: 2 },
        });
        await until(() => server.openConnections.length === 1, 'accepted');
        const lines = Array.from({ length: 10 }, (_, i) => `${i + 1}`);
        const first: string[] = [];
        const event = client.onMessage(({ data }) => {
          first.push(String(data));
          event.shutdown();
        });
        server.openConnections[0].send(lines.map((line) => `${line}\r\n`).join(''));
        await until(() => event.state === 'closed' && client.queuedMessageCount === 0, 'left');
        const rest = firstValueFrom(
          client.messages.pipe(
            takeWhile((message) => String(message.data) !== '10', true),
            toArray(),
          ),
        );
        const got = (await rest).map((message) => String(message.data));
        expect(first).toEqual(['1']);
        expect(got.at(-1)).toBe('10');
        // Only the messages the first handler's shutdown discarded (by request) are missing.
        expect(got).toEqual(lines.slice(lines.length - got.length));
        expect(got.length).toBeGreaterThanOrEqual(7);
      });
    });

    it('closing the runtime destroys every server and connection', async () => {
      const server = await listen({ host: HOST, port: 0 });
      const client = await tcp.connect({ host: HOST, port: server.address.port });
      runtime.close();
      await expect(client.closed).resolves.toMatchObject({ reason: 'shutdown' });
      servers = [];
    });
  });

  describe('idle timeout', () => {
    it('needs the timers service', async () => {
      await expect(tcp.listen({ host: HOST, port: 0, idleTimeoutMs: 1000 })).rejects.toBeInstanceOf(
        TimersUnavailableError,
      );
    });

    it('closes connections idle for the timeout, on the virtual clock, and keeps busy ones', async () => {
      const clock = new VirtualClock();
      runtime.load(createTimersService({ clock }));
      const server = await listen({
        host: HOST,
        port: 0,
        framer: delimited(),
        idleTimeoutMs: 1000,
      });
      server.onMessage(() => undefined);
      const idle = await tcp.connect({ host: HOST, port: server.address.port });
      const busy = await tcp.connect({ host: HOST, port: server.address.port });
      idle.onData(() => undefined);
      busy.onData(() => undefined);
      await until(() => server.stats().connections === 2, 'two connections');
      for (let t = 0; t < 12; t++) {
        busy.send('ping\r\n');
        await until(() => server.stats().accepted === 2, 'settle');
        await new Promise((resolve) => setTimeout(resolve, 5));
        clock.advance(250);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await expect(idle.closed).resolves.toMatchObject({ reason: 'peer' });
      expect(server.stats()).toMatchObject({ idleTimeouts: 1, connections: 1 });
      expect(busy.state).toBe('open');
    });
  });
});
