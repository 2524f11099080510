// The conformance suite of the UDP service: the same tests on every backend, registered on the
// caller's test framework. On the host, `udp-conformance.spec.ts` runs it with jest on the
// userspace backend; in the test VM, `test/udp-conformance.test.mjs` runs it with `node --test`
// on the kmod backend (aem_udp.ko). Loopback only; every loop and every wait is bounded.
//
// The waits here are test deadlines, not the service's time: they use Node's own timers.
/* eslint-disable no-restricted-globals */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { InvalidArgumentError, RuntimeClosedError, type Aem } from '@aem/core';
import { firstValueFrom, take, toArray } from 'rxjs';
import { DatagramTooLargeError } from './errors/datagram-too-large.error';
import { SocketFailedError } from './errors/socket-failed.error';
import { Udp } from './udp';
import type { Datagram, UdpSocket } from './udp-socket';

/** The slice of a test framework the suite registers on (jest's globals, `node:test`). */
export interface ConformanceFramework {
  /** Groups tests. */
  describe(name: string, body: () => void): unknown;
  /** One test: an async function that throws on failure. */
  it(name: string, body: () => Promise<void>): unknown;
}

/** Options of {@link udpConformance}. */
export interface UdpConformanceOptions {
  /** Makes a fresh runtime for one test; the suite closes it at the end of the test. */
  readonly createRuntime: () => Aem;
  /** Where to register the tests. */
  readonly framework: ConformanceFramework;
  /** Names the backend in the suite's title. Default: the runtime's backend kind. */
  readonly label?: string;
  /** Whether `::1` is usable here; without it the IPv6 tests pass trivially. Default `true`. */
  readonly ipv6?: boolean;
  /**
   * Whether a burst of 2,000 datagrams of 1,000 bytes at a socket with a 4 KiB receive buffer
   * must overflow it (`kernelDrops > 0`). True for `node:dgram`, which reads the socket only
   * when its loop turn comes; a kernel transport that drains the socket into a larger ring as
   * datagrams arrive may take them all. Either way every datagram must be received or counted.
   * Default `true`.
   */
  readonly burstOverflows?: boolean;
}

/** The largest UDP payload over IPv4. */
const MAX_IPV4_PAYLOAD = 65_507;

/**
 * Registers the UDP conformance suite: echo, datagrams up to 65,507 bytes, bursts past the
 * receive buffer (every datagram counted as received or dropped), IPv6, close during a burst,
 * 200 sockets, per-key domain ordering, limits and errors. A backend conforms when every test
 * passes; what differs between backends is only where the time goes.
 *
 * @example
 * ```ts
 * import { describe, it } from 'node:test';
 * import { createAem } from '@aem/core';
 * import { udpConformance } from '@aem/udp/conformance';
 *
 * udpConformance({ createRuntime: () => createAem({ backend: 'userspace' }), framework: { describe, it } });
 * ```
 */
export function udpConformance(options: UdpConformanceOptions): void {
  const { describe, it } = options.framework;
  const ipv6 = options.ipv6 ?? true;
  const burstOverflows = options.burstOverflows ?? true;
  const label = options.label ?? 'the runtime’s backend';

  /** Runs `body` with a fresh runtime and UDP API, closing the runtime and clients after. */
  const test = (name: string, body: (t: TestContext) => Promise<void>): void => {
    it(name, async () => {
      const runtime = options.createRuntime();
      const clients: Socket[] = [];
      try {
        await body({ runtime, udp: Udp.from(runtime), clients });
      } finally {
        for (const client of clients) client.close();
        runtime.close();
      }
    });
  };

  describe(`UDP conformance (${label})`, () => {
    test('echo: datagrams round-trip with their peer, socket and receive time', async (t) => {
      const socket = await t.udp.bind({ host: '127.0.0.1', port: 0 });
      const seen: Datagram[] = [];
      socket.onDatagram((datagram) => {
        seen.push(datagram);
        datagram.reply(`echo:${datagram.data}`);
      });
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      const before = Date.now();
      for (const text of ['a', 'bb', 'ccc']) client.send(text, socket.address.port, '127.0.0.1');
      const replies = await client.next(3);
      assert.deepEqual(replies.map(String).sort(), ['echo:a', 'echo:bb', 'echo:ccc']);
      assert.equal(seen.length, 3);
      const [first] = seen;
      assert.deepEqual(first.peer, {
        address: '127.0.0.1',
        port: client.socket.address().port,
        family: 'IPv4',
      });
      assert.equal(first.socket, socket);
      assert.ok(first.receivedAt >= before - 1 && first.receivedAt <= Date.now() + 1);
      assert.deepEqual(socket.address, {
        address: '127.0.0.1',
        port: socket.address.port,
        family: 'IPv4',
      });
      await socket.flush();
      const stats = socket.stats;
      assert.equal(stats.received, 3);
      assert.equal(stats.receivedBytes, 6);
      assert.equal(stats.delivered, 3);
      assert.equal(stats.sent, 3);
      assert.equal(stats.sentBytes, 3 * 5 + 6);
      assert.equal(stats.sendErrors, 0);
      await socket.close();
      assert.equal(socket.closed, true);
    });

    test('two AEM sockets talk; the datagrams() stream completes when its socket closes', async (t) => {
      const a = await t.udp.bind({ host: '127.0.0.1', port: 0 });
      const b = await t.udp.bind({ host: '127.0.0.1', port: 0 });
      const received = firstValueFrom(b.datagrams().pipe(toArray()));
      for (let i = 0; i < 5; i++) assert.equal(a.send(`m${i}`, b.address), true);
      await a.flush();
      await until(() => b.stats.delivered === 5, 'five datagrams delivered');
      await b.close();
      const texts = (await received).map((d) => String(d.data));
      assert.deepEqual(texts, ['m0', 'm1', 'm2', 'm3', 'm4']);
      await a.close();
    });

    test('datagrams that arrive before the first handler are held for it', async (t) => {
      const socket = await t.udp.bind({ host: '127.0.0.1', port: 0 });
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      for (const text of ['early-1', 'early-2'])
        client.send(text, socket.address.port, '127.0.0.1');
      await until(() => socket.stats.received === 2, 'two datagrams received');
      assert.equal(socket.stats.queuedDatagrams, 2);
      const texts = await firstValueFrom(socket.datagrams().pipe(take(2), toArray()));
      assert.deepEqual(
        texts.map((d) => String(d.data)),
        ['early-1', 'early-2'],
      );
      await socket.close();
    });

    test(`large datagrams: ${MAX_IPV4_PAYLOAD} bytes round-trip intact; one more byte is refused`, async (t) => {
      const socket = await t.udp.bind({ host: '127.0.0.1', port: 0 });
      socket.onDatagram((datagram) => void datagram.reply(datagram.data));
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      const sizes = [0, 1, 1472, 9000, 32_768, MAX_IPV4_PAYLOAD];
      for (const [i, size] of sizes.entries()) {
        const payload = pattern(size, i + 1);
        client.send(payload, socket.address.port, '127.0.0.1');
        const [reply] = await client.next(1);
        assert.equal(reply.length, size);
        assert.equal(sha(reply), sha(payload), `the ${size}-byte datagram came back intact`);
      }
      assert.throws(
        () => socket.send(Buffer.alloc(MAX_IPV4_PAYLOAD + 1), client.peer),
        (error: unknown) =>
          error instanceof DatagramTooLargeError &&
          error.size === MAX_IPV4_PAYLOAD + 1 &&
          error.limit === MAX_IPV4_PAYLOAD,
      );
      await socket.close();
    });

    test('a burst past the receive buffer: every datagram is received or counted as dropped', async (t) => {
      const n = 2_000;
      const receiver = await t.udp.bind({ host: '127.0.0.1', port: 0, recvBufferSize: 4_096 });
      let handled = 0;
      receiver.onDatagram(() => void handled++);
      const sender = await t.udp.bind({
        host: '127.0.0.1',
        port: 0,
        limits: { maxSendQueueDatagrams: n },
      });
      const payload = Buffer.alloc(1_000, 0x61);
      for (let i = 0; i < n; i++) assert.equal(sender.send(payload, receiver.address), true);
      await sender.flush();
      assert.equal(sender.stats.sent + sender.stats.sendErrors, n);
      const accounted = (): number => {
        const s = receiver.stats;
        return s.received + s.kernelDrops;
      };
      // Received datagrams are delivered or counted; the kernel's drops fill up the rest.
      await until(() => accounted() >= sender.stats.sent, 'every datagram accounted for');
      await until(() => receiver.stats.queuedDatagrams === 0, 'the handlers caught up');
      const stats = receiver.stats;
      assert.equal(stats.received + stats.kernelDrops, sender.stats.sent, JSON.stringify(stats));
      if (burstOverflows)
        assert.ok(stats.kernelDrops > 0, `a 4 KiB buffer overflowed (${JSON.stringify(stats)})`);
      assert.equal(
        stats.delivered + stats.droppedQueueFull + stats.droppedUndelivered,
        stats.received,
      );
      assert.equal(handled, stats.delivered);
      await receiver.close();
      await sender.close();
    });

    test('a slow handler: past maxQueuedDatagrams datagrams are dropped and counted, never lost unseen', async (t) => {
      const socket = await t.udp.bind({
        host: '127.0.0.1',
        port: 0,
        limits: { maxQueuedDatagrams: 10 },
      });
      const gate = Promise.withResolvers<void>();
      let handled = 0;
      socket.onDatagram(async () => {
        await gate.promise;
        handled++;
      });
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      for (let i = 0; i < 50; i++) client.send(`d${i}`, socket.address.port, '127.0.0.1');
      await until(() => socket.stats.received + socket.stats.kernelDrops === 50, '50 datagrams');
      let stats = socket.stats;
      // 10 queued behind the one in the handler when datagrams arrive one at a time (node:dgram);
      // 9 when the whole burst arrives in one batch (the kernel transport): the queue filled
      // before the first delivery took one out of it.
      assert.ok(stats.queuedDatagrams === 10 || stats.queuedDatagrams === 9, JSON.stringify(stats));
      assert.equal(
        stats.received,
        stats.delivered + stats.queuedDatagrams + stats.droppedQueueFull,
      );
      assert.ok(stats.droppedQueueFull >= 39 - stats.kernelDrops, JSON.stringify(stats));
      gate.resolve();
      await until(() => socket.stats.queuedDatagrams === 0, 'the queue drained');
      stats = socket.stats;
      assert.equal(handled, stats.delivered);
      assert.equal(stats.received, stats.delivered + stats.droppedQueueFull);
      await socket.close();
    });

    test('IPv6: echo on ::1, peers reported as IPv6', async (t) => {
      if (!ipv6) return;
      const socket = await t.udp.bind({ host: '::1', port: 0 });
      assert.equal(socket.address.family, 'IPv6');
      assert.equal(socket.address.address, '::1');
      const peers: string[] = [];
      socket.onDatagram((datagram) => {
        peers.push(`${datagram.peer.family} ${datagram.peer.address}`);
        datagram.reply(datagram.data);
      });
      const client = await rawClient(t, 'udp6', '::1');
      const payload = pattern(MAX_IPV4_PAYLOAD, 9);
      client.send('six', socket.address.port, '::1');
      client.send(payload, socket.address.port, '::1');
      const replies = await client.next(2);
      assert.deepEqual(
        replies.map((r) => r.length).sort((x, y) => x - y),
        [3, MAX_IPV4_PAYLOAD],
      );
      assert.deepEqual(peers, ['IPv6 ::1', 'IPv6 ::1']);
      // Sending from an IPv6 socket to an AEM IPv6 socket, with the peer object as given.
      const other = await t.udp.bind({ host: '::1', port: 0 });
      const got = firstValueFrom(socket.datagrams().pipe(take(1)));
      other.send('from aem', socket.address);
      assert.equal(String((await got).data), 'from aem');
      await other.close();
      await socket.close();
    });

    test('close while a burst is in flight: handlers finish, replies flush, nothing is unaccounted', async (t) => {
      const n = 500;
      const socket = await t.udp.bind({ host: '127.0.0.1', port: 0 });
      let handled = 0;
      const events: string[] = [];
      socket.onDatagram(async (datagram) => {
        await new Promise((resolve) => setImmediate(resolve));
        handled++;
        datagram.reply('ack');
      });
      socket.datagrams().subscribe({ complete: () => events.push('stream complete') });
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      let acks = 0;
      client.socket.on('message', () => acks++);
      for (let i = 0; i < n; i++) client.send(`b${i}`, socket.address.port, '127.0.0.1');
      await until(() => socket.stats.received >= 50, 'the burst to start');
      const closing = socket.close();
      assert.equal(socket.closed, true);
      await closing;
      events.push('closed');
      const stats = socket.stats;
      // A datagram received during the close is counted, not delivered; what was queued ran.
      assert.equal(stats.queuedDatagrams, 0);
      assert.equal(stats.sendQueueDatagrams, 0);
      assert.equal(
        stats.received,
        stats.delivered + stats.droppedQueueFull + stats.droppedUndelivered,
        JSON.stringify(stats),
      );
      // Two registrations: each delivered datagram reached both, and counts once.
      assert.equal(handled, stats.delivered);
      assert.equal(stats.sent + stats.sendErrors, handled, 'every reply left or was counted');
      assert.deepEqual(events, ['stream complete', 'closed']);
      assert.equal(socket.send('late', client.peer), false);
      assert.equal(socket.stats.droppedSendClosed, 1);
      await until(() => acks === stats.sent, 'the replies to arrive');
    });

    test('200 sockets: each echoes, each closes', async (t) => {
      const sockets: UdpSocket[] = [];
      for (let i = 0; i < 200; i++) {
        const socket = await t.udp.bind({ host: '127.0.0.1', port: 0 });
        socket.onDatagram((datagram) => void datagram.reply(`${i}:${datagram.data}`));
        sockets.push(socket);
      }
      assert.equal(new Set(sockets.map((s) => s.address.port)).size, 200);
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      for (const socket of sockets) client.send('hi', socket.address.port, '127.0.0.1');
      const replies = (await client.next(200)).map(String).sort();
      assert.deepEqual(replies, sockets.map((_, i) => `${i}:hi`).sort());
      await Promise.all(sockets.map((socket) => socket.close()));
      assert.ok(sockets.every((socket) => socket.closed && socket.stats.sent === 1));
    });

    test('domainKey: one key’s datagrams run in order, one at a time; keys interleave', async (t) => {
      const socket = await t.udp.bind({
        host: '127.0.0.1',
        port: 0,
        domainKey: (datagram) => String(datagram.data).split(':')[0],
      });
      const order = new Map<string, number[]>();
      const active = new Map<string, number>();
      const trace: string[] = [];
      let overlaps = 0;
      socket.onDatagram(async (datagram) => {
        const [key, seq] = String(datagram.data).split(':');
        if ((active.get(key) ?? 0) > 0) overlaps++;
        active.set(key, (active.get(key) ?? 0) + 1);
        trace.push(key);
        // Uneven work per datagram: a key's handler yields several times.
        for (let i = 0; i < Number(seq) % 4; i++) await new Promise((r) => setImmediate(r));
        order.set(key, [...(order.get(key) ?? []), Number(seq)]);
        active.set(key, (active.get(key) ?? 0) - 1);
      });
      const keys = ['a', 'b', 'c', 'd'];
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      for (let seq = 0; seq < 25; seq++)
        for (const key of keys) client.send(`${key}:${seq}`, socket.address.port, '127.0.0.1');
      await until(
        () => socket.stats.delivered === 100 && socket.stats.queuedDatagrams === 0,
        '100',
      );
      await socket.close();
      assert.equal(overlaps, 0, 'a key never ran two handlers at once');
      for (const key of keys)
        assert.deepEqual(
          order.get(key),
          Array.from({ length: 25 }, (_, i) => i),
          key,
        );
      // While one key's handler awaited, another key's ran: the trace switches keys early.
      assert.notDeepEqual(trace.slice(0, 4), ['a', 'a', 'a', 'a']);
      assert.ok(socket.stats.domains <= 4);
    });

    test('domainKey: past maxDomains busy domains a new key is dropped and counted; idle ones are reclaimed', async (t) => {
      const socket = await t.udp.bind({
        host: '127.0.0.1',
        port: 0,
        limits: { maxDomains: 2 },
        domainKey: (datagram) => {
          const key = String(datagram.data);
          if (key === 'bad') throw new Error('no key');
          return key;
        },
      });
      const gates = new Map<string, PromiseWithResolvers<void>>();
      const handled: string[] = [];
      socket.onDatagram(async (datagram) => {
        const key = String(datagram.data);
        const gate = Promise.withResolvers<void>();
        gates.set(key, gate);
        await gate.promise;
        handled.push(key);
      });
      const client = await rawClient(t, 'udp4', '127.0.0.1');
      const send = (text: string): void => void client.send(text, socket.address.port, '127.0.0.1');
      send('k1');
      send('k2');
      await until(() => gates.size === 2, 'two busy keys');
      send('k3'); // both domains busy: dropped
      send('bad'); // the key function throws: dropped
      await until(() => socket.stats.received === 4, 'four received');
      let stats = socket.stats;
      assert.equal(stats.droppedDomainsFull, 1);
      assert.equal(stats.droppedKeyErrors, 1);
      assert.match(String(socket.lastError), /no key/);
      gates.get('k1')?.resolve();
      await until(() => handled.length === 1, 'k1 handled');
      await until(() => socket.stats.domains === 2, 'k1 still counted until swept');
      // k1's domain is idle now: the next new key takes its place.
      send('k4');
      await until(() => gates.has('k4'), 'k4 runs');
      stats = socket.stats;
      assert.equal(stats.droppedDomainsFull, 1);
      assert.equal(stats.domains, 2);
      gates.get('k2')?.resolve();
      gates.get('k4')?.resolve();
      await until(() => handled.length === 3, 'all handled');
      await socket.close();
    });

    test('limits and errors: bad options, ports in use, bad peers, full send queue, closed runtime', async (t) => {
      const { udp } = t;
      const invalid = async (options: unknown, what: RegExp): Promise<void> => {
        await assert.rejects(
          udp.bind(options as never),
          (error: unknown) => error instanceof InvalidArgumentError && what.test(error.message),
        );
      };
      await invalid({ port: -1 }, /options\.port/);
      await invalid({ port: 70_000 }, /options\.port/);
      await invalid({ port: 0, host: 'localhost' }, /options\.host/);
      await invalid({ port: 0, reusePort: 'yes' }, /options\.reusePort/);
      await invalid({ port: 0, recvBufferSize: 0 }, /options\.recvBufferSize/);
      await invalid({ port: 0, domainKey: 'peer' }, /options\.domainKey/);
      await invalid({ port: 0, limits: { maxQueuedDatagrams: 0 } }, /maxQueuedDatagrams/);
      await invalid({ port: 0, limits: { maxDatagrams: 5 } }, /maxDatagrams/);
      await invalid({ port: 0, limits: { maxDatagramBytes: 70_000 } }, /maxDatagramBytes/);
      await invalid(null, /options/);

      const socket = await udp.bind({
        host: '127.0.0.1',
        port: 0,
        limits: { maxSendQueueDatagrams: 3, maxDatagramBytes: 100 },
      });
      await assert.rejects(
        udp.bind({ host: '127.0.0.1', port: socket.address.port }),
        (error: unknown) =>
          error instanceof SocketFailedError && error.syscallCode === 'EADDRINUSE',
      );
      const peer = { address: '127.0.0.1', port: socket.address.port };
      assert.throws(
        () => socket.send('x', { address: 'localhost', port: 1 }),
        InvalidArgumentError,
      );
      assert.throws(
        () => socket.send('x', { address: '127.0.0.1', port: 0 }),
        InvalidArgumentError,
      );
      assert.throws(() => socket.send(42 as never, peer), InvalidArgumentError);
      assert.throws(() => socket.send(Buffer.alloc(101), peer), DatagramTooLargeError);
      assert.equal(socket.send('1', peer), true);
      assert.equal(socket.send(new Uint8Array([50]), peer), true);
      assert.equal(socket.send('3', peer), true);
      assert.equal(socket.send('4', peer), false, 'the send queue holds 3');
      assert.equal(socket.stats.droppedSendQueueFull, 1);
      await socket.flush();
      // An IPv6 destination from an IPv4 socket: the send fails in the kernel, and is counted.
      assert.equal(socket.send('5', { address: '::1', port: socket.address.port }), true);
      await socket.flush();
      assert.equal(socket.stats.sent, 3);
      assert.equal(socket.stats.sendErrors, 1);
      const failure = socket.lastError;
      assert.ok(failure instanceof SocketFailedError, String(failure));
      assert.equal(failure.operation, 'send');
      assert.equal(typeof failure.syscallCode, 'string');
      await until(() => socket.stats.received === 3, 'the three to itself');

      // reusePort: two sockets share a port.
      const shared = await udp.bind({ host: '127.0.0.1', port: 0, reusePort: true });
      const second = await udp.bind({
        host: '127.0.0.1',
        port: shared.address.port,
        reusePort: true,
      });
      assert.equal(second.address.port, shared.address.port);

      // Closing the runtime closes every socket: the ports are free again.
      const port = socket.address.port;
      t.runtime.close();
      assert.ok(socket.closed && shared.closed && second.closed);
      await socket.close();
      await assert.rejects(udp.bind({ port: 0 }), RuntimeClosedError);
      const again = options.createRuntime();
      try {
        const rebound = await Udp.from(again).bind({ host: '127.0.0.1', port });
        assert.equal(rebound.address.port, port);
      } finally {
        again.close();
      }
    });
  });
}

interface TestContext {
  readonly runtime: Aem;
  readonly udp: Udp;
  readonly clients: Socket[];
}

/** A plain `node:dgram` peer with a bounded wait for its next datagrams. */
interface RawClient {
  readonly socket: Socket;
  /** Its address, as a send target. */
  readonly peer: { address: string; port: number };
  send(data: string | Buffer, port: number, address: string): void;
  /** Resolves with the next `count` datagrams (rejects after a deadline). */
  next(count: number): Promise<Buffer[]>;
}

async function rawClient(t: TestContext, type: 'udp4' | 'udp6', host: string): Promise<RawClient> {
  const socket = createSocket(type);
  t.clients.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const inbox: Buffer[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data: Buffer, _rinfo: RemoteInfo) => {
    inbox.push(data);
    wake?.();
  });
  return {
    socket,
    peer: { address: host, port: socket.address().port },
    send: (data, port, address) => socket.send(data, port, address),
    async next(count) {
      await until(
        () => inbox.length >= count,
        `${count} datagram(s)`,
        () => {
          const { promise, resolve } = Promise.withResolvers<void>();
          wake = resolve;
          return promise;
        },
      );
      return inbox.splice(0, count);
    },
  };
}

/**
 * Waits until `check()` holds, re-checking on `wakeUp()` (default: every 5 ms); throws after
 * 20 s. Bounded: never an unbounded loop.
 */
async function until(
  check: () => boolean,
  what: string,
  wakeUp: () => Promise<void> = () => new Promise((resolve) => setTimeout(resolve, 5)),
): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      wakeUp(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 50))),
    ]);
    clearTimeout(timer);
  }
}

/** Deterministic bytes the receiver can check through a hash. */
function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

const sha = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');
