// A peer that stops reading its responses is read more slowly, never dropped and never
// buffered for without bound: the server stops taking its requests past the write high-water
// mark and resumes when the responses drain.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './raw-connection';
import { startUas, type UasProcess } from './uas-process';

jest.setTimeout(30_000);

describe('sip-uas backpressure', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    uas = await startUas();
  });

  afterAll(async () => expect(await uas?.stop('SIGTERM')).toBe(0));

  it('answers every request of a peer that reads late, on the same connection', async () => {
    const count = 20_000; // about 6 MB of responses: far over the 256 KiB high-water mark
    const socket = connect({ host: '127.0.0.1', port: uas.port });
    await new Promise<void>((resolve, reject) =>
      socket.once('connect', resolve).once('error', reject),
    );
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.pause(); // read nothing for now
    let text = '';
    for (let i = 0; i < count; i++) text += request('OPTIONS', `bp-${i}`, 'CSeq: 1 OPTIONS');
    socket.write(text);
    await sleep(1_000);
    expect(closed).toBe(false);

    let answered = 0;
    let tail = '';
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        const parts = (tail + chunk.toString('latin1')).split('SIP/2.0 200 OK\r\n');
        answered += parts.length - 1;
        tail = parts[parts.length - 1].slice(-15); // a marker cut in two by the chunking
        if (answered >= count) resolve();
      });
    });
    socket.resume();
    await done;
    expect(answered).toBe(count);
    expect(closed).toBe(false);
    socket.destroy();
  });
});
