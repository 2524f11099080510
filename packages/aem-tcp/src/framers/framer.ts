/**
 * Splits one connection's byte stream into frames. One instance per connection.
 *
 * The contract keeps framing a loop, never a recursion: the connection `push`es each chunk,
 * then calls `next` until it returns `null` (or until it must stop for backpressure and calls
 * again later). A framer never calls back into anything, so 12,000 frames in one chunk cost
 * 12,000 iterations, not 12,000 stack frames.
 *
 * Frames may be views (`subarray`) of the received chunks: keeping one keeps its chunk alive.
 * Copy with `Buffer.from(frame)` if you store frames for long.
 */
export interface Framer {
  /** Short name used in errors, e.g. `length-prefixed`. */
  readonly kind: string;
  /** Appends received bytes. */
  push(chunk: Buffer): void;
  /**
   * The next complete frame, or `null` when more bytes are needed.
   *
   * @throws {@link FrameTooLargeError} or {@link MalformedFrameError}; the framer is then
   *   unusable and the connection is closed.
   */
  next(): Buffer | null;
  /** Bytes received and not yet returned as frames. */
  readonly buffered: number;
}

/** Makes a fresh {@link Framer} for each connection. */
export type FramerFactory = () => Framer;

/** Default `maxFrameBytes` of every framer: 64 KiB. */
export const DEFAULT_MAX_FRAME_BYTES = 65_536;
