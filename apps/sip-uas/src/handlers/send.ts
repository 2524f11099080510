import { ConnectionClosedError, type TcpConnection } from '@aem/tcp';

/**
 * Most bytes a connection may have unsent before it is dropped. Well before that, past the
 * connection's write high-water mark (256 KiB), the server stops reading its requests until
 * the responses drain (see `SipHandler.message`); only responses already due — answers after a
 * ring delay, retransmissions — can grow past it, and a peer that lets 16 MiB pile up is gone.
 */
export const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

/**
 * Sends a response on `connection` (batched with the tick's other sends into one write).
 *
 * @returns `false` when the connection is already closed — the response has nowhere to go
 *   (RFC 3261 §18.2.2 would open a new connection to the Via's sent-by; this UAS does not).
 */
export function sendOn(connection: TcpConnection, text: string): boolean {
  try {
    if (!connection.send(text) && connection.writableLength > MAX_UNSENT_BYTES) {
      connection.destroy();
    }
    return true;
  } catch (error) {
    if (error instanceof ConnectionClosedError) return false;
    throw error;
  }
}
