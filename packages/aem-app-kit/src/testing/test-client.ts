import { connect, type Socket } from 'node:net';
import type { Framer, FramerFactory } from '@aem/tcp';
import { ReceivedQueue } from './received-queue';

/**
 * A client connection to an application under test: sends raw bytes, receives the messages the
 * application sends back, cut by the application's own framer (each chunk as it came when the
 * application has no framer).
 *
 * @example
 * ```ts
 * const client = await testApp.connect();
 * client.send('login alice\n');
 * console.log(await client.receiveText()); // welcome alice
 * ```
 */
export class TestClient {
  /** Resolves when the connection closed (either side). */
  readonly closed: Promise<void>;
  private readonly queue = new ReceivedQueue('message');

  private constructor(
    private readonly socket: Socket,
    private readonly framer: Framer | undefined,
  ) {
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', () => undefined); // a reset shows as `closed`
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.queue.end();
        resolve();
      }),
    );
  }

  /**
   * Connects to `port` on the loopback interface.
   *
   * @param port - the application's port.
   * @param framer - the application's framer factory, to cut what it sends into messages.
   * @returns the connected client.
   */
  static open(port: number, framer?: FramerFactory): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.off('error', reject);
        resolve(new TestClient(socket, framer?.()));
      });
      socket.once('error', reject);
    });
  }

  /** Every message received so far, oldest first (including those already returned). */
  get received(): readonly Buffer[] {
    return this.queue.received;
  }

  /** Messages received and not yet returned by {@link TestClient.receive}. */
  get pending(): number {
    return this.queue.pending;
  }

  /** Sends bytes as they are (add the framing yourself: a delimiter, a length prefix). */
  send(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /**
   * The next message the application sent (waits for it).
   *
   * @param timeoutMs - real milliseconds to wait; default 5,000.
   * @throws (rejects) an `Error` naming what was received when the connection closes or the
   *   time runs out first.
   */
  receive(timeoutMs = 5_000): Promise<Buffer> {
    return this.queue.next(timeoutMs, 'connection closed');
  }

  /** {@link TestClient.receive} as UTF-8 text. */
  async receiveText(timeoutMs?: number): Promise<string> {
    return (await this.receive(timeoutMs)).toString('utf8');
  }

  /** Closes the connection (a FIN) and waits until it closed. */
  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }

  private data(chunk: Buffer): void {
    const framer = this.framer;
    if (framer === undefined) this.queue.push(chunk);
    else {
      framer.push(chunk);
      for (let frame = framer.next(); frame !== null; frame = framer.next()) this.queue.push(frame);
    }
  }
}
