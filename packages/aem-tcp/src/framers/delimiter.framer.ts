import { InvalidArgumentError } from '@aem/core';
import { FrameTooLargeError } from '../errors/frame-too-large.error';
import { QueuedFramer } from './queued-framer';
import { DEFAULT_MAX_FRAME_BYTES, type FramerFactory } from './framer';

/** Options of {@link delimited}. */
export interface DelimiterOptions {
  /** The delimiter, a string (UTF-8) or bytes. Default `'\r\n'`. */
  readonly delimiter?: string | Uint8Array;
  /** Keep the delimiter at the end of each frame. Default `false`. */
  readonly includeDelimiter?: boolean;
  /** Largest frame accepted, delimiter excluded. Default 64 KiB. */
  readonly maxFrameBytes?: number;
}

/**
 * Frames that end with a delimiter — lines of a text protocol with `'\r\n'`, records with
 * `'\0'`. Without a delimiter within `maxFrameBytes`, the connection fails with
 * {@link FrameTooLargeError}. The search resumes where the previous one stopped, so a long
 * frame arriving byte by byte is scanned once.
 *
 * @example
 * ```ts
 * const lines = delimited({ delimiter: '\r\n', maxFrameBytes: 8192 });
 * ```
 */
export function delimited(options: DelimiterOptions = {}): FramerFactory {
  const delimiter = Buffer.from(options.delimiter ?? '\r\n');
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (delimiter.length === 0)
    throw new InvalidArgumentError('options.delimiter', 'at least one byte', options.delimiter);
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1) {
    throw new InvalidArgumentError('options.maxFrameBytes', 'a positive integer', maxFrameBytes);
  }
  const include = options.includeDelimiter ?? false;
  return () => new DelimiterFramer(delimiter, include, maxFrameBytes);
}

class DelimiterFramer extends QueuedFramer {
  readonly kind = 'delimiter';
  /** Bytes already searched without finding a delimiter start. */
  private scanned = 0;

  constructor(
    private readonly delimiter: Buffer,
    private readonly include: boolean,
    private readonly maxFrameBytes: number,
  ) {
    super();
  }

  next(): Buffer | null {
    const queue = this.queue;
    const delimiterBytes = this.delimiter.length;
    if (queue.length < delimiterBytes) return null;
    // Only the first maxFrameBytes + delimiter bytes can hold a valid delimiter.
    const window = Math.min(queue.length, this.maxFrameBytes + delimiterBytes);
    const view = queue.peek(window);
    const at = view.indexOf(this.delimiter, this.scanned);
    if (at < 0) {
      if (queue.length > this.maxFrameBytes + delimiterBytes - 1) {
        throw new FrameTooLargeError('frame', this.maxFrameBytes, queue.length);
      }
      this.scanned = Math.max(0, window - delimiterBytes + 1);
      return null;
    }
    this.scanned = 0;
    const frame = queue.take(at + delimiterBytes);
    return this.include ? frame : frame.subarray(0, at);
  }
}
