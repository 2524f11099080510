import { ConnectionClosedError } from '@aem/tcp';
import type { SipChannel } from './sip-channel';

/**
 * Most bytes a connection may have unsent before it is dropped. Well before that, past the
 * connection's write high-water mark (256 KiB), the server stops reading its requests until
 * the responses drain (see `SipHandler.message`); only responses already due — answers after a
 * ring delay, retransmissions — can grow past it, and a peer that lets 16 MiB pile up is gone.
 */
export const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

/**
 * Sends a message on `channel`, batched with the tick's other sends (one write per connection,
 * one batch of datagrams per socket).
 *
 * @returns `false` when it has nowhere to go: the connection is already closed (RFC 3261
 *   §18.2.2 would open a new connection to the Via's sent-by; this UAS does not), or the UDP
 *   socket's send queue is full or closed (the socket counts those drops; over UDP the
 *   retransmissions of both ends recover what a dropped datagram carried).
 */
export function sendOn(channel: SipChannel, data: string | Buffer): boolean {
  if (channel.kind === 'udp') return channel.socket.send(data, channel);
  const connection = channel.connection;
  try {
    if (!connection.send(data) && connection.writableLength > MAX_UNSENT_BYTES) {
      connection.destroy();
    }
    return true;
  } catch (error) {
    if (error instanceof ConnectionClosedError) return false;
    throw error;
  }
}
