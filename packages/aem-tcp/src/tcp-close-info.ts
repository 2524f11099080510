/**
 * Why a connection closed:
 * - `local`: `close()` or `destroy()` on this side;
 * - `peer`: the peer closed (FIN) and the connection finished;
 * - `idle-timeout`: no bytes in either direction for `idleTimeoutMs`;
 * - `framing-error`: malformed or oversized input ({@link FrameTooLargeError},
 *   {@link MalformedFrameError} in `error`);
 * - `socket-error`: the socket failed ({@link SocketFailedError} in `error`);
 * - `shutdown`: the server or the service shut down.
 */
export type TcpCloseReason =
  'local' | 'peer' | 'idle-timeout' | 'framing-error' | 'socket-error' | 'shutdown';

/** What `TcpConnection.closed` resolves with. */
export interface TcpCloseInfo {
  /** Why. */
  readonly reason: TcpCloseReason;
  /** The error, for `framing-error` and `socket-error`. */
  readonly error?: Error;
  /** Bytes received over the connection's life. */
  readonly bytesRead: number;
  /** Bytes sent over the connection's life. */
  readonly bytesWritten: number;
}
