/**
 * @internal What a test client received, and waiting for the next of it: the messages in
 * arrival order, a read position, and the waiters woken by a new message or the end.
 */
export class ReceivedQueue {
  /** Every message received so far, oldest first (including those already returned). */
  readonly received: Buffer[] = [];
  private read = 0;
  private readonly waiters: (() => void)[] = [];
  private ended = false;

  /** @param unit - what a message is called in errors (`message`, `datagram`). */
  constructor(private readonly unit: string) {}

  /** Messages received and not yet returned by {@link ReceivedQueue.next}. */
  get pending(): number {
    return this.received.length - this.read;
  }

  /** A message arrived. */
  push(message: Buffer): void {
    this.received.push(message);
    this.wake();
  }

  /** Nothing more will arrive (closed): waiters give up. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /**
   * The next message (waits for it).
   *
   * @param timeoutMs - real milliseconds to wait.
   * @param closedMessage - what the error says when the queue ended first.
   * @throws (rejects) an `Error` saying how many came before when it ends or the time runs out.
   */
  async next(timeoutMs: number, closedMessage: string): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.received.length) {
      if (this.ended) throw new Error(`${closedMessage} after ${this.read} ${this.unit}(s)`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${this.unit} within ${timeoutMs} ms (received ${this.read} before)`);
      await new Promise<void>((resolve) => {
        // Real time, on purpose: the network is real even when the app's clock is virtual.
        // eslint-disable-next-line no-restricted-globals
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received[this.read++];
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
