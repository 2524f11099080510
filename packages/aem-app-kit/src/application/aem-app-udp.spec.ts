import type { Timers } from '@aem/timers';
import type { Datagram, Udp, UdpSocket } from '@aem/udp';
import { Inject } from '../container/inject.decorator';
import { TIMERS, UDP, UDP_SOCKET } from '../container/tokens';
import { Handler } from '../decorators/handler.decorator';
import { OnDatagram } from '../decorators/on-datagram.decorator';
import { handlerMethodsOf } from '../decorators/handler-metadata';
import { startTestApp, type TestApp } from '../testing/test-app';
import { defineHandlerModule } from '../upgrade/handler-module';

// The kit side of UDP: @OnDatagram handlers on the sockets of the `udp` option, driven over
// real loopback UDP by the testing entry point's datagram client, on a virtual clock.
describe('AemApp with udp', () => {
  let testApp: TestApp | undefined;
  afterEach(async () => {
    await testApp?.stop();
    testApp = undefined;
  });

  @Handler()
  class Echo {
    constructor(
      @Inject(UDP) readonly udp: Udp,
      @Inject(UDP_SOCKET) readonly socket: UdpSocket,
    ) {}
    @OnDatagram()
    echo({ data, socket, peer }: Datagram): void {
      socket.send(`echo ${data.toString()}`, peer);
    }
  }

  it('declares a datagram handler', () => {
    expect(handlerMethodsOf(Echo)).toEqual([{ kind: 'datagram', method: 'echo' }]);
  });

  it('binds at start, hands each datagram to @OnDatagram, injects UDP and UDP_SOCKET', async () => {
    testApp = await startTestApp({
      handlers: defineHandlerModule({ version: '1', handlers: [Echo] }),
      udp: {},
    });
    const { app } = testApp;
    expect(app.udpSocket?.address).toMatchObject({ address: '127.0.0.1', port: testApp.udpPort });
    expect(app.udpSockets).toHaveLength(1);
    expect(app.health()).toMatchObject({ status: 'running', udpPort: testApp.udpPort });
    expect(testApp.handler(Echo).socket).toBe(app.udpSocket);
    expect(typeof testApp.handler(Echo).udp.bind).toBe('function');

    const client = await testApp.datagramClient();
    client.send('one');
    client.send('two');
    expect(await client.receiveText()).toBe('echo one');
    expect(await client.receiveText()).toBe('echo two');
  });

  it('closes the sockets on stop, after what they queued was handled', async () => {
    testApp = await startTestApp({
      handlers: defineHandlerModule({ version: '1', handlers: [Echo] }),
      udp: {},
    });
    const socket = testApp.app.udpSocket!;
    const client = await testApp.datagramClient();
    client.send('last');
    expect(await client.receiveText()).toBe('echo last');
    await testApp.stop();
    testApp = undefined;
    expect(socket.closed).toBe(true);
  });

  it('counts a failing datagram handler and keeps serving the socket', async () => {
    @Handler()
    class Picky {
      @OnDatagram()
      check({ data, socket, peer }: Datagram): void {
        if (data.toString() === 'bad') throw new Error('bad datagram');
        socket.send('ok', peer);
      }
    }
    testApp = await startTestApp({
      handlers: defineHandlerModule({ version: '1', handlers: [Picky] }),
      udp: {},
    });
    const client = await testApp.datagramClient();
    for (let i = 0; i < 5; i++) client.send('bad');
    client.send('good');
    expect(await client.receiveText()).toBe('ok');
    expect(testApp.app.health()).toMatchObject({ handlerErrors: 5, domainsClosed: 0 });
  });

  it('hot upgrade: the next datagram goes to the new version; the old one retires once its async handler settled', async () => {
    const stopped: string[] = [];
    const version = (name: string, delayMs: number) => {
      @Handler()
      class Versioned {
        constructor(@Inject(TIMERS) private readonly timers: Timers) {}
        @OnDatagram()
        async answer({ data, socket, peer }: Datagram): Promise<void> {
          await this.timers.sleep(delayMs);
          socket.send(`${name}: ${data.toString()}`, peer);
        }
        onStop(): void {
          stopped.push(name);
        }
      }
      return defineHandlerModule({ version: name, handlers: [Versioned] });
    };
    // One domain per peer: the slow datagram of one client does not hold the other's back.
    const perPeer = { domainKey: (d: Datagram) => `${d.peer.address}:${d.peer.port}` };
    testApp = await startTestApp({ handlers: version('v1', 1000), udp: perPeer });
    const early = await testApp.datagramClient();
    const late = await testApp.datagramClient();
    early.send('slow');
    await waitUntil(() => inFlight(testApp!) > 0);
    const report = await testApp.app.upgrade(version('v2', 1));
    expect(report).toMatchObject({ from: 'v1', to: 'v2', migrated: 0 });
    expect(stopped).toEqual([]); // v1 still has a datagram handler running
    late.send('fast');
    await testApp.advanceUntil(() => late.pending > 0);
    expect(await late.receiveText()).toBe('v2: fast');
    await testApp.advance(1000);
    expect(await early.receiveText()).toBe('v1: slow');
    await testApp.settle();
    expect(stopped).toEqual(['v1']);
    expect(testApp.app.health().versions.map((v) => `${v.version}:${v.status}`)).toEqual([
      'v2:current',
      'v1:retired',
    ]);
  });
});

/** Async datagram handlers running on the first version (an internal field, read for the test). */
function inFlight(testApp: TestApp): number {
  const versions = (
    testApp.app as unknown as { versions: { versions: { datagramsInFlight: number }[] } }
  ).versions.versions;
  return versions[0].datagramsInFlight;
}

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('condition not reached');
}
