import { ConnectionClosedError, type TcpConnection } from '@aem/tcp';

/**
 * Most bytes a connection may have unsent before it is dropped: a peer that stops reading
 * cannot make the server buffer its responses without bound.
 */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

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
