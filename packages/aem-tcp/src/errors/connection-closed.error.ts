import { TcpError } from './tcp.error';

/** Raised by `send` (and rejected by `drained`) on a connection that is closed or closing. */
export class ConnectionClosedError extends TcpError {
  /** @inheritDoc */
  readonly code = 'AEM_TCP_CONNECTION_CLOSED';

  /**
   * @param connectionId - the connection.
   * @param operation - what was attempted.
   */
  constructor(
    readonly connectionId: number,
    readonly operation: string,
  ) {
    super(`connection ${connectionId} is closed: cannot ${operation}`);
  }
}
