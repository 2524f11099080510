import { InvalidArgumentError } from '@aem/core';
import { FrameTooLargeError } from '../errors/frame-too-large.error';
import { MalformedFrameError } from '../errors/malformed-frame.error';
import { QueuedFramer } from './queued-framer';
import { DEFAULT_MAX_FRAME_BYTES, type FramerFactory } from './framer';

/** Options of {@link contentLength}. */
export interface ContentLengthOptions {
  /** Largest header block accepted (start line and headers, up to the blank line). Default 16 KiB. */
  readonly maxHeaderBytes?: number;
  /** Largest frame accepted, headers and body. Default 64 KiB. */
  readonly maxFrameBytes?: number;
  /**
   * Whether a message without `Content-Length` is malformed. RFC 3261 §18.3 requires the header
   * on stream transports; HTTP/1.1 requests without a body may omit it. Default `false`: a
   * missing header means an empty body.
   */
  readonly requireContentLength?: boolean;
  /** Accept SIP's compact form `l:` as `Content-Length`. Default `true`. */
  readonly compactForm?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CR = 0x0d;
const LF = 0x0a;

/**
 * Frames of a header block ended by an empty line, followed by a body of `Content-Length`
 * bytes: SIP over TCP (RFC 3261 §18.3) and HTTP/1.1-style messages. A frame is the whole
 * message, headers and body.
 *
 * CRLFs between messages (SIP keep-alive pings and pongs, RFC 5626 §3.5.1) are skipped.
 * A header block without its blank line within `maxHeaderBytes`, a body over `maxFrameBytes`,
 * a non-numeric `Content-Length` or two that disagree fail the connection with a typed error.
 *
 * @example
 * ```ts
 * const sip = contentLength({ maxFrameBytes: 65_536 });
 * ```
 */
export function contentLength(options: ContentLengthOptions = {}): FramerFactory {
  const maxHeaderBytes = options.maxHeaderBytes ?? 16_384;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 4) {
    throw new InvalidArgumentError('options.maxHeaderBytes', 'an integer ≥ 4', maxHeaderBytes);
  }
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 4) {
    throw new InvalidArgumentError('options.maxFrameBytes', 'an integer ≥ 4', maxFrameBytes);
  }
  const required = options.requireContentLength ?? false;
  const compact = options.compactForm ?? true;
  return () =>
    new ContentLengthFramer(
      Math.min(maxHeaderBytes, maxFrameBytes),
      maxFrameBytes,
      required,
      compact,
    );
}

class ContentLengthFramer extends QueuedFramer {
  readonly kind = 'content-length';
  /** Header bytes already searched for the blank line. */
  private scanned = 0;
  /** Total size of the frame whose headers were parsed, while its body is incomplete; else -1. */
  private pendingTotal = -1;

  constructor(
    private readonly maxHeaderBytes: number,
    private readonly maxFrameBytes: number,
    private readonly required: boolean,
    private readonly compact: boolean,
  ) {
    super();
  }

  next(): Buffer | null {
    const queue = this.queue;
    if (this.pendingTotal < 0) {
      this.skipKeepAlives();
      if (queue.length < 4) return null;
      const window = Math.min(queue.length, this.maxHeaderBytes);
      const view = queue.peek(window);
      const at = view.indexOf(CRLFCRLF, this.scanned);
      if (at < 0) {
        if (queue.length >= this.maxHeaderBytes)
          throw new FrameTooLargeError('header', this.maxHeaderBytes, queue.length);
        this.scanned = Math.max(0, window - 3);
        return null;
      }
      this.scanned = 0;
      const headerEnd = at + 4;
      const body = this.bodyLength(view.subarray(0, at));
      const total = headerEnd + body;
      if (total > this.maxFrameBytes)
        throw new FrameTooLargeError('frame', this.maxFrameBytes, total);
      this.pendingTotal = total;
    }
    if (queue.length < this.pendingTotal) return null;
    const frame = queue.take(this.pendingTotal);
    this.pendingTotal = -1;
    return frame;
  }

  /** Drops CR/LF bytes before a message (keep-alives). */
  private skipKeepAlives(): void {
    const queue = this.queue;
    while (queue.length > 0) {
      const byte = queue.peek(1)[0];
      if (byte !== CR && byte !== LF) return;
      queue.skip(1);
    }
  }

  /**
   * The `Content-Length` of a header block (start line and headers, without the blank line),
   * read from the bytes: header names are matched case-insensitively in place, so framing a
   * message allocates nothing beyond the frame itself.
   */
  private bodyLength(headers: Buffer): number {
    const end = headers.length;
    let found = -1;
    let lineEnd = headers.indexOf(LF);
    while (lineEnd >= 0 && lineEnd + 1 < end) {
      const start = lineEnd + 1;
      lineEnd = headers.indexOf(LF, start);
      const first = headers[start] | 0x20;
      let nameEnd: number;
      if (first === 0x63 && startsWithFolded(headers, start, CONTENT_LENGTH)) {
        nameEnd = start + CONTENT_LENGTH.length;
      } else if (first === 0x6c && this.compact) {
        nameEnd = start + 1;
      } else {
        continue;
      }
      const colon = skipBlanks(headers, nameEnd, end);
      if (headers[colon] !== COLON) continue; // another header with this prefix
      const length = this.lengthValue(headers, colon + 1, lineEnd < 0 ? end : lineEnd);
      if (found >= 0 && found !== length) {
        throw new MalformedFrameError(
          this.kind,
          `conflicting Content-Length values ${found} and ${length}`,
        );
      }
      found = length;
    }
    if (found < 0) {
      if (this.required) throw new MalformedFrameError(this.kind, 'Content-Length is missing');
      return 0;
    }
    return found;
  }

  /** The decimal value between `from` and the line end `to`, blanks around it allowed. */
  private lengthValue(headers: Buffer, from: number, to: number): number {
    const start = skipBlanks(headers, from, to);
    let stop = to;
    while (stop > start && (headers[stop - 1] === CR || isBlank(headers[stop - 1]))) stop--;
    let value = 0;
    for (let i = start; i < stop; i++) {
      const digit = headers[i] - 0x30;
      if (digit < 0 || digit > 9 || i - start >= 15) {
        value = -1;
        break;
      }
      value = value * 10 + digit;
    }
    if (value < 0 || stop === start) {
      const text = headers.toString('latin1', start, Math.min(stop, start + 32));
      throw new MalformedFrameError(
        this.kind,
        `Content-Length ${JSON.stringify(text)} is not a number`,
      );
    }
    return value;
  }
}

/** `content-length`, lower case, as bytes. */
const CONTENT_LENGTH = Buffer.from('content-length');
const COLON = 0x3a;

/** Whether `bytes` at `at` spell `lower` (ASCII letters and `-`) in any case. */
function startsWithFolded(bytes: Buffer, at: number, lower: Buffer): boolean {
  if (at + lower.length > bytes.length) return false;
  for (let i = 0; i < lower.length; i++) if ((bytes[at + i] | 0x20) !== lower[i]) return false;
  return true;
}

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09;
}

/** The first index from `from` (below `to`) that is not a space or tab. */
function skipBlanks(bytes: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && isBlank(bytes[i])) i++;
  return i;
}
