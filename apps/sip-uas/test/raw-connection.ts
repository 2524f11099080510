// A hand-driven SIP client over node:net, for what sipp cannot be made to do (stay silent,
// send garbage).
import { connect, type Socket } from 'node:net';

/** A minimal request; tests put their defects in `cseq` (or extra header lines) or `version`. */
export function request(method: string, callId: string, cseq: string, version = 'SIP/2.0'): string {
  return (
    `${method} sip:uas@127.0.0.1 ${version}\r\n` +
    `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-${callId}\r\n` +
    `From: <sip:tester@127.0.0.1>;tag=t-${callId}\r\nTo: <sip:uas@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\n${cseq}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`
  );
}

export interface RawConnection {
  readonly socket: Socket;
  write(text: string): void;
  /** The next message from the server, header block and body (framed by Content-Length). */
  next(): Promise<string>;
  /** Resolves when the server closes the connection. */
  readonly ended: Promise<void>;
}

/** A plain TCP client speaking SIP text to the server. */
export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) =>
    socket.once('connect', resolve).once('error', reject),
  );
  socket.setEncoding('utf8');
  let buffered = '';
  let waiter: ((text: string) => void) | undefined;
  const deliver = (): void => {
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0 || waiter === undefined) return;
    const length = Number(
      /^(?:Content-Length|l)\s*:\s*(\d+)/im.exec(buffered.slice(0, end))?.[1] ?? 0,
    );
    if (buffered.length < end + 4 + length) return;
    const message = buffered.slice(0, end + 4 + length);
    buffered = buffered.slice(end + 4 + length);
    const resolve = waiter;
    waiter = undefined;
    resolve(message);
  };
  socket.on('data', (text: string) => {
    buffered += text;
    deliver();
  });
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    socket,
    write: (text) => socket.write(text),
    next: () =>
      new Promise((resolve) => {
        waiter = resolve;
        deliver();
      }),
    ended,
  };
}
