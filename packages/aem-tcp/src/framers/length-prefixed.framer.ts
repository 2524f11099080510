import { InvalidArgumentError } from '@aem/core';
import { FrameTooLargeError } from '../errors/frame-too-large.error';
import { MalformedFrameError } from '../errors/malformed-frame.error';
import { QueuedFramer } from './queued-framer';
import { DEFAULT_MAX_FRAME_BYTES, type FramerFactory } from './framer';

/** Options of {@link lengthPrefixed}. */
export interface LengthPrefixedOptions {
  /** Byte offset of the length field from the start of the frame. Default 0. */
  readonly offset?: number;
  /** Width of the length field in bytes, 1–4. Default 4. */
  readonly width?: 1 | 2 | 3 | 4;
  /** Byte order of the length field. Default `'big'` (network order). */
  readonly endian?: 'big' | 'little';
  /**
   * Whether the length counts the whole frame, header included (Diameter, M3UA) rather than
   * only the bytes after the length field. Default `false`.
   */
  readonly lengthIncludesHeader?: boolean;
  /**
   * What a frame is: `'message'`, the whole frame with its header; or `'payload'`, the bytes
   * after the length field. Default: `'message'` when the length includes the header,
   * `'payload'` otherwise.
   */
  readonly emit?: 'message' | 'payload';
  /** Largest frame accepted (header included). Default 64 KiB. */
  readonly maxFrameBytes?: number;
}

/**
 * Frames with a binary length field: simple prefixes (`width: 2` or `4`), Diameter (RFC 6733:
 * 3-byte length at offset 1 counting the whole message) and M3UA (RFC 4666: 4-byte length at
 * offset 4 counting the whole message).
 *
 * A frame whose announced length exceeds `maxFrameBytes` is rejected as soon as its header is
 * read, before any of its body is buffered.
 *
 * @example
 * ```ts
 * const diameter = lengthPrefixed({ offset: 1, width: 3, lengthIncludesHeader: true });
 * const m3ua = lengthPrefixed({ offset: 4, width: 4, lengthIncludesHeader: true });
 * const simple = lengthPrefixed({ width: 2 }); // frames are the payloads after a 2-byte length
 * ```
 * @returns a factory of one framer per connection.
 * @throws {@link @aem/core!InvalidArgumentError} for options out of range.
 */
export function lengthPrefixed(options: LengthPrefixedOptions = {}): FramerFactory {
  const offset = options.offset ?? 0;
  const width = options.width ?? 4;
  const includesHeader = options.lengthIncludesHeader ?? false;
  const emitPayload = (options.emit ?? (includesHeader ? 'message' : 'payload')) === 'payload';
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const bigEndian = (options.endian ?? 'big') === 'big';
  if (!Number.isInteger(offset) || offset < 0 || offset > 64) {
    throw new InvalidArgumentError('options.offset', 'an integer from 0 to 64', offset);
  }
  if (![1, 2, 3, 4].includes(width))
    throw new InvalidArgumentError('options.width', '1, 2, 3 or 4', width);
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < offset + width) {
    throw new InvalidArgumentError(
      'options.maxFrameBytes',
      `an integer ≥ ${offset + width}`,
      maxFrameBytes,
    );
  }
  return () =>
    new LengthPrefixedFramer(offset, width, bigEndian, includesHeader, emitPayload, maxFrameBytes);
}

class LengthPrefixedFramer extends QueuedFramer {
  readonly kind = 'length-prefixed';
  private readonly headerBytes: number;

  constructor(
    private readonly offset: number,
    private readonly width: number,
    private readonly bigEndian: boolean,
    private readonly includesHeader: boolean,
    private readonly emitPayload: boolean,
    private readonly maxFrameBytes: number,
  ) {
    super();
    this.headerBytes = offset + width;
  }

  next(): Buffer | null {
    const queue = this.queue;
    const headerBytes = this.headerBytes;
    if (queue.length < headerBytes) return null;
    const length = queue.readUInt(this.offset, this.width, this.bigEndian);
    let total: number;
    if (this.includesHeader) {
      if (length < headerBytes) {
        throw new MalformedFrameError(
          this.kind,
          `length ${length} is smaller than the ${headerBytes}-byte header`,
        );
      }
      total = length;
    } else {
      total = headerBytes + length;
    }
    if (total > this.maxFrameBytes)
      throw new FrameTooLargeError('frame', this.maxFrameBytes, total);
    if (queue.length < total) return null;
    const frame = queue.take(total);
    return this.emitPayload ? frame.subarray(headerBytes) : frame;
  }
}
