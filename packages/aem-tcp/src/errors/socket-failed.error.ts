import { TcpError } from './tcp.error';

/**
 * A socket operation failed: `listen` (address in use, permission denied), `connect`
 * (refused, unreachable) or an established connection (reset). `syscallCode` is Node's
 * `error.code` (`EADDRINUSE`, `ECONNREFUSED`, `ECONNRESET`, …); `cause` is the original error.
 */
export class SocketFailedError extends TcpError {
  /** @inheritDoc */
  readonly code = 'AEM_TCP_SOCKET_FAILED';
  /** Node's error code, e.g. `ECONNREFUSED`. */
  readonly syscallCode: string | undefined;

  /**
   * @param operation - `listen`, `connect` or `io`.
   * @param target - `host:port`.
   * @param cause - the error Node reported.
   */
  constructor(
    readonly operation: 'listen' | 'connect' | 'io',
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
