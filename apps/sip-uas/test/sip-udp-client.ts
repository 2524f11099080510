// A hand-driven SIP client over one UDP socket: sends a request, resolves with the response
// whose Call-ID and CSeq match (the provisional ones skipped). Every wait is bounded.
import { createSocket, type Socket } from 'node:dgram';

/** A UDP socket speaking SIP text to a server on 127.0.0.1. */
export interface UdpSipClient {
  readonly port: number;
  /** Sends `text` to `serverPort`; resolves with the final response to it (rejects after `timeoutMs`). */
  request(serverPort: number, text: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Opens a client socket on a free port. */
export async function udpSipClient(): Promise<UdpSipClient> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waiting = new Map<string, (text: string) => void>();
  socket.on('message', (data) => {
    const text = data.toString();
    if (/^SIP\/2\.0 1\d\d /.test(text)) return;
    const key = keyOf(text);
    waiting.get(key)?.(text);
    waiting.delete(key);
  });
  return {
    port: socket.address().port,
    request(serverPort, text, timeoutMs = 5_000) {
      const key = keyOf(text);
      return new Promise((resolve, reject) => {
        // eslint-disable-next-line no-restricted-globals -- a watchdog on another process: wall time
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new Error(`no response to ${key} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(key, (response) => {
          clearTimeout(timer);
          resolve(response);
        });
        socket.send(text, serverPort, '127.0.0.1');
      });
    },
    close: () => socket.close(),
  };
}

function keyOf(text: string): string {
  const callId = /^Call-ID:\s*(.*)$/im.exec(text)?.[1]?.trim() ?? '';
  const cseq = /^CSeq:\s*(\d+)/im.exec(text)?.[1] ?? '';
  return `${callId} ${cseq}`;
}

let branch = 0;

/**
 * A REGISTER for `user`@example.test from the client at `clientPort`: with `contact` and
 * `expires` it binds; without `contact` it is a query.
 */
export function registerRequest(
  clientPort: number,
  user: string,
  options: { contact?: string; expires?: number; callId?: string; cseq?: number } = {},
): string {
  const callId = options.callId ?? `reg-${user}-${++branch}`;
  return (
    `REGISTER sip:example.test SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-r${++branch};rport\r\n` +
    `From: <sip:${user}@example.test>;tag=f${branch}\r\nTo: <sip:${user}@example.test>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${options.cseq ?? 1} REGISTER\r\nMax-Forwards: 70\r\n` +
    (options.contact === undefined
      ? ''
      : `Contact: <${options.contact}>;expires=${options.expires ?? 600}\r\n`) +
    `Content-Length: 0\r\n\r\n`
  );
}

/** The Contact lines of a response: `[uri, expires]` pairs. */
export function contactsOf(response: string): [string, number][] {
  return [...response.matchAll(/^Contact:\s*<([^>]+)>;expires=(\d+)/gim)].map((m) => [
    m[1]!,
    Number(m[2]),
  ]);
}
