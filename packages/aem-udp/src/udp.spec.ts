import { createSocket } from 'node:dgram';
import {
  createAem,
  defineCall,
  defineService,
  InvalidArgumentError,
  ServiceUnloadedError,
  type Aem,
  type AemRuntimeError,
} from '@aem/core';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  createUdpService,
  Datagram,
  DEFAULT_UDP_LIMITS,
  Udp,
  UDP_SERVICE_VERSION,
  type UdpSocket,
} from './index';

/** Resolves once `check()` holds, re-checking every loop turn; fails the test after 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('Udp', () => {
  let runtime: Aem;
  beforeEach(() => (runtime = createAem({ backend: 'userspace' })));
  afterEach(() => runtime.close());

  const loopback = (udp = Udp.from(runtime), extra = {}): Promise<UdpSocket> =>
    udp.bind({ host: '127.0.0.1', port: 0, ...extra });

  describe('from', () => {
    it('loads the service once and shares its state', () => {
      const a = Udp.from(runtime);
      const b = Udp.from(runtime);
      expect(runtime.services().filter((s) => s.name === 'udp')).toHaveLength(1);
      expect(a.binding.version).toBe(UDP_SERVICE_VERSION);
      expect(a.binding.state).toBe(b.binding.state);
    });

    describe('its transport on the userspace backend', () => {
      const saved = process.env.AEM_UDP_TRANSPORT;
      const made: Aem[] = [];
      afterEach(async () => {
        if (saved === undefined) delete process.env.AEM_UDP_TRANSPORT;
        else process.env.AEM_UDP_TRANSPORT = saved;
        await Promise.all(made.splice(0).map((r) => r.close()));
      });
      const fresh = (wanted: string | undefined): Udp => {
        if (wanted === undefined) delete process.env.AEM_UDP_TRANSPORT;
        else process.env.AEM_UDP_TRANSPORT = wanted;
        const other = createAem({ backend: 'userspace' });
        made.push(other);
        return Udp.from(other);
      };

      it('is recvmmsg/sendmmsg through @aem/kmod/binding when it loads', () => {
        expect(fresh(undefined).transport).toBe('mmsg');
        expect(fresh('mmsg').transport).toBe('mmsg');
      });

      it('is node:dgram with AEM_UDP_TRANSPORT=node', () => {
        expect(fresh('node').transport).toBe('node');
      });

      it('refuses another AEM_UDP_TRANSPORT, naming the choices', () => {
        expect(() => fresh('kernel')).toThrow(/'node', 'mmsg' or unset/);
      });
    });

    it('refuses a runtime whose udp service is not this package’s', () => {
      const other = defineService({
        name: 'udp',
        version: '1.0.0',
        calls: { datagrams: defineCall<unknown, unknown>(() => undefined) },
      });
      runtime.load(other);
      expect(() => Udp.from(runtime)).toThrow(InvalidArgumentError);
    });

    it('takes service-wide limits from createUdpService, which a bind overrides', async () => {
      runtime.load(createUdpService({ limits: { maxQueuedDatagrams: 7 } }));
      const udp = Udp.from(runtime);
      expect((await loopback(udp)).limits).toEqual({
        ...DEFAULT_UDP_LIMITS,
        maxQueuedDatagrams: 7,
      });
      const own = await loopback(udp, { limits: { maxQueuedDatagrams: 9 } });
      expect(own.limits.maxQueuedDatagrams).toBe(9);
      expect(() => createUdpService({ limits: { maxDomains: -1 } })).toThrow(InvalidArgumentError);
    });
  });

  describe('service lifecycle', () => {
    it('unloading the service closes its sockets; its facade binds no more', async () => {
      const udp = Udp.from(runtime);
      const socket = await loopback(udp);
      await runtime.unload('udp', UDP_SERVICE_VERSION);
      expect(socket.closed).toBe(true);
      await expect(loopback(udp)).rejects.toThrow(ServiceUnloadedError);
      // The port is free again.
      const again = await Udp.from(runtime).bind({ host: '127.0.0.1', port: socket.address.port });
      expect(again.address.port).toBe(socket.address.port);
    });
  });
});

describe('UdpSocket', () => {
  let runtime: Aem;
  let socket: UdpSocket;
  let peer: ReturnType<typeof createSocket>;
  const toSocket = (text: string | Buffer): void =>
    void peer.send(text, socket.address.port, '127.0.0.1');

  beforeEach(async () => {
    runtime = createAem({ backend: 'userspace' });
    socket = await Udp.from(runtime).bind({ host: '127.0.0.1', port: 0 });
    peer = createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
  });
  afterEach(() => {
    peer.close();
    runtime.close();
  });

  it('gives each datagram a frozen peer made once, and replies without one', async () => {
    const got = firstValueFrom(socket.datagrams().pipe(take(1)));
    toSocket('x');
    const datagram = await got;
    expect(datagram).toBeInstanceOf(Datagram);
    expect(datagram.peer).toBe(datagram.peer);
    expect(Object.isFrozen(datagram.peer)).toBe(true);
    expect(datagram.peer).toEqual({
      address: '127.0.0.1',
      port: peer.address().port,
      family: 'IPv4',
    });
    const answer = new Promise<Buffer>((resolve) => peer.once('message', resolve));
    expect(datagram.reply('y')).toBe(true);
    expect(String(await answer)).toBe('y');
  });

  it('sends the bytes of a Uint8Array view, not its whole buffer', async () => {
    const answer = new Promise<Buffer>((resolve) => peer.once('message', resolve));
    const whole = new Uint8Array([1, 2, 3, 4, 5]);
    socket.send(whole.subarray(1, 3), { address: '127.0.0.1', port: peer.address().port });
    expect([...(await answer)]).toEqual([2, 3]);
  });

  it('sends every send of one loop turn in one batch, and flush() waits for it', async () => {
    const target = { address: '127.0.0.1', port: peer.address().port };
    const received: string[] = [];
    peer.on('message', (data) => received.push(String(data)));
    for (let i = 0; i < 10; i++) socket.send(`${i}`, target);
    expect(socket.stats.sendQueueDatagrams).toBe(10);
    await socket.flush();
    expect(socket.stats).toMatchObject({ sent: 10, sendQueueDatagrams: 0, sendErrors: 0 });
    await until(() => received.length === 10, 'ten datagrams');
    expect(received).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await expect(socket.flush()).resolves.toBeUndefined();
  });

  it('a handler error goes to runtime.errors; the socket goes on', async () => {
    const errors: AemRuntimeError[] = [];
    runtime.errors.subscribe((error) => errors.push(error));
    const seen: string[] = [];
    socket.onDatagram((datagram) => {
      seen.push(String(datagram.data));
      if (String(datagram.data) === 'boom') throw new Error('boom');
    });
    toSocket('boom');
    toSocket('after');
    await until(() => seen.length === 2, 'two datagrams');
    expect(errors).toHaveLength(1);
    expect(socket.stats.delivered).toBe(2);
  });

  it('a one-shot registration takes one datagram; the next waits for a handler', async () => {
    const first = socket.onDatagram(() => undefined, { oneShot: true });
    toSocket('1');
    await until(() => first.state === 'closed', 'the one-shot to close');
    toSocket('2');
    await until(() => socket.stats.received === 2, 'the second datagram');
    expect(socket.stats).toMatchObject({ delivered: 1, queuedDatagrams: 1 });
    const next = await firstValueFrom(socket.datagrams().pipe(take(1)));
    expect(String(next.data)).toBe('2');
  });

  it('shutting a registration down with datagrams queued counts them as undelivered', async () => {
    const gate = Promise.withResolvers<void>();
    const event = socket.onDatagram(() => gate.promise);
    for (const text of ['a', 'b', 'c']) toSocket(text);
    await until(() => socket.stats.received === 3, 'three datagrams');
    event.shutdown();
    gate.resolve();
    await until(() => socket.stats.queuedDatagrams === 0, 'the queue to empty');
    expect(socket.stats).toMatchObject({ received: 3, delivered: 1, droppedUndelivered: 2 });
  });

  it('runs posted work in the socket’s domain, in order with its datagrams', async () => {
    const trace: string[] = [];
    const gate = Promise.withResolvers<void>();
    socket.onDatagram(async (datagram) => {
      trace.push(`start ${datagram.data}`);
      await gate.promise;
      trace.push(`end ${datagram.data}`);
    });
    toSocket('d1');
    await until(() => trace.length === 1, 'the handler to start');
    socket.domain.post(() => void trace.push('job'));
    gate.resolve();
    await until(() => trace.length === 3, 'the job');
    expect(trace).toEqual(['start d1', 'end d1', 'job']);
  });

  it('close() is idempotent and completes the streams', async () => {
    const all = firstValueFrom(socket.datagrams().pipe(toArray()));
    const closing = socket.close();
    expect(socket.close()).toBe(closing);
    await closing;
    expect(await all).toEqual([]);
    expect(socket.onDatagram(() => undefined).state).toBe('closed');
  });
});
