// A hand-driven SIP-over-UDP client for the tests: bound to an address of its own (127.0.0.2
// and .3 serve as other hosts), it sends requests and waits, bounded, for what comes back; a
// request resolves with the final response whose Call-ID and CSeq match it.
import { createSocket, type Socket } from 'node:dgram';

/** A response as the tests read it. */
export interface SipReply {
  readonly status: number;
  readonly text: string;
  /** Every value of header `name` (case-insensitive), in order. */
  headers(name: string): string[];
}

export class SipUdpClient {
  private readonly queue: string[] = [];
  private waiter: (() => void) | undefined;

  /** Requests waiting for their final response, by Call-ID and CSeq. */
  private readonly pending = new Map<string, (answer: SipReply) => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      const text = data.toString('utf8');
      const answer = reply(text);
      const key = keyOf(text);
      const waiting = this.pending.get(key);
      if (waiting !== undefined) {
        // A response to a pending request goes to it (provisional ones are skipped), never to
        // `next()`: several requests may be in flight on one client.
        if (answer.status >= 200) {
          this.pending.delete(key);
          waiting(answer);
        }
        return;
      }
      this.queue.push(text);
      this.waiter?.();
    });
  }

  /** A client bound to `host` on a free port. */
  static async open(host = '127.0.0.1'): Promise<SipUdpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    return new SipUdpClient(socket);
  }

  get address(): { address: string; port: number } {
    return this.socket.address();
  }

  send(text: string, port: number): void {
    this.socket.send(text, port, '127.0.0.1');
  }

  /** The next datagram received, or `null` when none came within `timeoutMs`. */
  async next(timeoutMs = 3_000): Promise<SipReply | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        // eslint-disable-next-line no-restricted-globals -- a bounded wait on another process
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return reply(this.queue.shift()!);
  }

  /**
   * Sends `text` and returns the final response (≥ 200) to it — same Call-ID and CSeq, so a
   * late copy of an earlier response is skipped — or `null` when none came within `timeoutMs`.
   * Several requests may be in flight at once.
   */
  request(text: string, port: number, timeoutMs = 3_000): Promise<SipReply | null> {
    const key = keyOf(text);
    return new Promise((resolve) => {
      // eslint-disable-next-line no-restricted-globals -- a bounded wait on another process
      const timer = setTimeout(() => {
        this.pending.delete(key);
        resolve(null);
      }, timeoutMs);
      this.pending.set(key, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.send(text, port);
    });
  }

  close(): void {
    this.socket.close();
  }
}

function reply(text: string): SipReply {
  const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
  const head = text.split('\r\n\r\n')[0]!.split('\r\n');
  return {
    status,
    text,
    headers: (name) =>
      head
        .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
        .map((line) => line.slice(name.length + 1).trim()),
  };
}

function keyOf(text: string): string {
  const callId = /^Call-ID:\s*(.*)$/im.exec(text)?.[1]?.trim() ?? '';
  const cseq = /^CSeq:\s*(\d+)/im.exec(text)?.[1] ?? '';
  return `${callId} ${cseq}`;
}

/** The plain form the store and worker tests use: one socket on 127.0.0.1. */
export interface UdpSipClient {
  readonly port: number;
  /** Sends `text` to `serverPort`; resolves with the final response to it (rejects after `timeoutMs`). */
  request(serverPort: number, text: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Opens a {@link UdpSipClient} on a free port of 127.0.0.1. */
export async function udpSipClient(): Promise<UdpSipClient> {
  const client = await SipUdpClient.open();
  return {
    port: client.address.port,
    async request(serverPort, text, timeoutMs = 5_000) {
      const answer = await client.request(text, serverPort, timeoutMs);
      if (answer === null) throw new Error(`no response to ${keyOf(text)} within ${timeoutMs} ms`);
      return answer.text;
    },
    close: () => client.close(),
  };
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
