import { UdpError } from './udp.error';

/**
 * `send` was given a datagram larger than the socket's `limits.maxDatagramBytes` (65,507 bytes,
 * the largest UDP payload over IPv4, unless lowered). Nothing was queued.
 */
export class DatagramTooLargeError extends UdpError {
  /** @inheritDoc */
  readonly code = 'AEM_UDP_DATAGRAM_TOO_LARGE';

  /**
   * @param size - the datagram's size in bytes.
   * @param limit - the limit in bytes.
   */
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`a datagram of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}
