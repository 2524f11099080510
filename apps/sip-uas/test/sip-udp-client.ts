// A minimal SIP-over-UDP client for the tests: bound to an address of its own (127.0.0.2 and
// .3 serve as other hosts), it sends requests and waits, bounded, for what comes back.
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

  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      this.queue.push(data.toString('utf8'));
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

  /** Sends `text` and returns the first response with a final status (≥ 200), or null. */
  async request(text: string, port: number, timeoutMs = 3_000): Promise<SipReply | null> {
    this.send(text, port);
    for (;;) {
      const answer = await this.next(timeoutMs);
      if (answer === null || answer.status >= 200) return answer;
    }
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
