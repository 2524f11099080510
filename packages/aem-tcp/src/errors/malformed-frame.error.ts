import { TcpError } from './tcp.error';

/**
 * Input that cannot be framed: a length field below the header size, a non-numeric or
 * conflicting `Content-Length`. The connection is closed with this error as its reason.
 */
export class MalformedFrameError extends TcpError {
  /** @inheritDoc */
  readonly code = 'AEM_TCP_MALFORMED_FRAME';

  /**
   * @param framer - the framer that rejected the input, e.g. `content-length`.
   * @param reason - what is wrong with it.
   */
  constructor(
    readonly framer: string,
    readonly reason: string,
  ) {
    super(`${framer} framer: ${reason}`);
  }
}
