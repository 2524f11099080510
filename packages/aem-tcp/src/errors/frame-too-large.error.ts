import { TcpError } from './tcp.error';

/**
 * Input announced or accumulated a frame larger than the framer's `maxFrameBytes` (or a header
 * block larger than `maxHeaderBytes`). The connection it arrived on is closed with this error as
 * its reason; other connections are not affected.
 */
export class FrameTooLargeError extends TcpError {
  /** @inheritDoc */
  readonly code = 'AEM_TCP_FRAME_TOO_LARGE';

  /**
   * @param what - `'frame'` or `'header'`.
   * @param limit - the configured limit in bytes.
   * @param size - the announced size, or the bytes buffered so far when no size is known yet.
   */
  constructor(
    readonly what: 'frame' | 'header',
    readonly limit: number,
    readonly size: number,
  ) {
    super(
      `${what} of ${size} bytes${what === 'header' ? ' (incomplete)' : ''} exceeds the limit of ${limit} bytes`,
    );
  }
}
