import { delimited } from '@aem/tcp';
import { ChatHandler, chatHandlers } from '../../test/example-app';
import { startTestApp, type TestApp } from './test-app';

// The README's chat server, driven through the testing entry point: in-process, on a virtual
// clock, so the 10 s login timeout takes no real time.
describe('startTestApp', () => {
  let testApp: TestApp;

  beforeEach(async () => {
    testApp = await startTestApp({
      name: 'chat',
      handlers: chatHandlers,
      config: { loginTimeoutMs: 10_000 },
      tcp: { framer: delimited({ delimiter: '\n' }) },
    });
  });
  afterEach(() => testApp.stop());

  it('serves on loopback, a free port, on a virtual clock', () => {
    expect(testApp.app.status).toBe('running');
    expect(testApp.app.tcpServer!.address.address).toBe('127.0.0.1');
    expect(testApp.port).toBeGreaterThan(0);
    expect(testApp.clock.now()).toBe(0);
  });

  it('drives a session with a client framed as the app frames', async () => {
    const alice = await testApp.connect();
    expect(await alice.receiveText()).toBe('login?');
    alice.send('login alice\n');
    expect(await alice.receiveText()).toBe('welcome alice');
    alice.send('hello\n');
    await testApp.advanceUntil(() => alice.pending > 0); // the handler sleeps 1 ms first
    expect(await alice.receiveText()).toBe('alice#1: HELLO');
  });

  it('fires the login timeout when the test advances the clock, not before', async () => {
    const lazy = await testApp.connect();
    expect(await lazy.receiveText()).toBe('login?');
    await testApp.advance(9_999);
    expect(lazy.pending).toBe(0);
    await testApp.advance(1);
    expect(await lazy.receiveText()).toBe('too slow');
    await lazy.closed;
  });

  it('reads the current instance of a handler class', () => {
    expect(testApp.handler(ChatHandler)).toBeInstanceOf(ChatHandler);
  });

  it('a receive that gets nothing says so', async () => {
    const client = await testApp.connect();
    await client.receive();
    await expect(client.receive(20)).rejects.toThrow('no message within 20 ms (received 1 before)');
  });
});
