import { connect } from 'node:net';
import { createApp } from '@aem/app-kit';
import { delimited } from '@aem/tcp';
import handlers from './handlers';

describe('SipUasHandler', () => {
  it('greets and echoes lines with a count', async () => {
    const app = createApp({
      handlers,
      config: { port: 0, greeting: 'hi' },
      logger: { level: 'silent' },
      tcp: { host: '127.0.0.1', port: 0, framer: delimited({ delimiter: '\n' }) },
    });
    await app.start();
    try {
      const socket = connect({ host: '127.0.0.1', port: app.tcpServer?.address.port as number });
      let text = '';
      socket.setEncoding('utf8');
      const replies = new Promise<string[]>((resolve) =>
        socket.on('data', (chunk: string) => {
          text += chunk;
          const lines = text.split('\n').filter(Boolean);
          if (lines.length === 3) resolve(lines);
        }),
      );
      socket.write('a\nb\n');
      expect(await replies).toEqual(['hi', '1: a', '2: b']);
      socket.destroy();
    } finally {
      await app.stop();
    }
  });
});
