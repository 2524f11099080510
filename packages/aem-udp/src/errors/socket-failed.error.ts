import { UdpError } from './udp.error';

/**
 * A socket operation failed: `bind` (address in use, permission denied, address not
 * available) or `send` (the first error of a batch, kept as `UdpSocket.lastError`).
 * `syscallCode` is Node's `error.code` (`EADDRINUSE`, `EACCES`, `EINVAL`, …); `cause` is the
 * original error.
 */
export class SocketFailedError extends UdpError {
  /** @inheritDoc */
  readonly code = 'AEM_UDP_SOCKET_FAILED';
  /** Node's error code, e.g. `EADDRINUSE`. */
  readonly syscallCode: string | undefined;

  /**
   * @param operation - `bind` or `send`.
   * @param target - `host:port` (the local address for `bind`, the peer for `send`).
   * @param cause - the error Node (or the kernel transport) reported.
   */
  constructor(
    readonly operation: 'bind' | 'send',
    readonly target: string,
    cause: unknown,
  ) {
    super(
      `${operation} ${target} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.syscallCode = (cause as { code?: string } | undefined)?.code;
  }
}
