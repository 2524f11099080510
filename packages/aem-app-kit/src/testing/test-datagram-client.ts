import { createSocket, type Socket } from 'node:dgram';
import { ReceivedQueue } from './received-queue';

/**
 * A UDP client of an application under test (plain `node:dgram`, bound to 127.0.0.1 on a free
 * port): sends datagrams to the application's socket and receives what comes back.
 *
 * @example
 * ```ts
 * const client = await testApp.datagramClient();
 * client.send('ping');
 * console.log(await client.receiveText()); // pong
 * ```
 */
export class TestDatagramClient {
  private readonly queue = new ReceivedQueue('datagram');
  private isClosed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly target: { readonly address: string; readonly port: number },
  ) {
    socket.on('message', (data) => this.queue.push(data));
    socket.on('error', () => undefined); // an ICMP error shows as nothing received
  }

  /**
   * Binds a client socket to 127.0.0.1 (a free port) that talks to `port` on 127.0.0.1.
   *
   * @param port - the application's UDP port.
   */
  static open(port: number): Promise<TestDatagramClient> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new TestDatagramClient(socket, { address: '127.0.0.1', port }));
      });
    });
  }

  /** The client's own address (the peer the application sees). */
  get address(): { address: string; port: number } {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  /** Every datagram received so far, oldest first (including those already returned). */
  get received(): readonly Buffer[] {
    return this.queue.received;
  }

  /** Datagrams received and not yet returned by {@link TestDatagramClient.receive}. */
  get pending(): number {
    return this.queue.pending;
  }

  /** Sends one datagram to the application. */
  send(data: string | Uint8Array): void {
    this.socket.send(data, this.target.port, this.target.address);
  }

  /**
   * The next datagram the application sent here (waits for it).
   *
   * @param timeoutMs - real milliseconds to wait; default 5,000.
   * @throws (rejects) an `Error` saying how many came before when the time runs out or the
   *   client is closed first.
   */
  receive(timeoutMs = 5_000): Promise<Buffer> {
    return this.queue.next(timeoutMs, 'client closed');
  }

  /** {@link TestDatagramClient.receive} as UTF-8 text. */
  async receiveText(timeoutMs?: number): Promise<string> {
    return (await this.receive(timeoutMs)).toString('utf8');
  }

  /** Closes the client socket. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.queue.end();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
