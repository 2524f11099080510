import { ByteQueue } from './byte-queue';
import type { Framer } from './framer';

/**
 * What every framer shares: the received bytes in a {@link ByteQueue}. Subclasses only say how
 * a frame ends (`next`).
 *
 * @internal
 */
export abstract class QueuedFramer implements Framer {
  abstract readonly kind: string;
  protected readonly queue = new ByteQueue();

  get buffered(): number {
    return this.queue.length;
  }

  push(chunk: Buffer): void {
    this.queue.push(chunk);
  }

  abstract next(): Buffer | null;
}
