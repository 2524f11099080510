import { LineClient } from '../src/application/line-client.spec-helper';
import { createChatApp } from './example-app';

describe('the README example (a chat server)', () => {
  it('logs in, chats with async handlers, and drops clients that do not log in', async () => {
    const app = createChatApp(0, {
      logger: { level: 'silent' },
      config: { loginTimeoutMs: 200 },
    });
    await app.start();
    try {
      const port = app.tcpServer!.address.port;
      const alice = await LineClient.open(port);
      const lazy = await LineClient.open(port);
      alice.send('login alice');
      alice.send('hello');
      alice.send('bye');
      await alice.waitFor(4);
      expect(alice.lines).toEqual(['login?', 'welcome alice', 'alice#1: HELLO', 'alice#2: BYE']);
      await lazy.closed; // the login state timeout closed it
      expect(lazy.lines).toEqual(['login?', 'too slow']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(alice.socket.destroyed).toBe(false); // its state timeout was cancelled on login
      const health = await (await fetch(`http://127.0.0.1:${app.httpAddress!.port}/health`)).json();
      expect(health).toMatchObject({ name: 'chat', status: 'running', sessions: 1 });
      alice.socket.destroy();
    } finally {
      await app.stop();
    }
  });
});
