import type { TcpConnection } from '@aem/tcp';
import { parseSipMessage, type SipRequest } from '../sip/sip-message';
import { SipParseError } from '../sip/sip-parse.error';
import type { TcpChannel } from '../transport/sip-channel';
import { respond } from './respond';
import { route } from './route';
import type { SipContext } from './sip-context';
import type { SipSession } from './sip-session';

/**
 * One framed SIP message of a TCP connection, in the connection's domain: parsed, then routed;
 * responses go back on the connection (RFC 3261 §18.2.2). A message that cannot be parsed is
 * answered when it can be, else its connection is closed.
 */
export function receiveTcpMessage(
  ctx: SipContext,
  data: Buffer,
  connection: TcpConnection,
  session: SipSession,
): void {
  const { counters } = ctx.state;
  const channel = (session.channel ??= {
    kind: 'tcp',
    connection,
    tls: connection.localPort === ctx.tlsPort,
  });
  // A banned source's connection is closed (flood protection, counted).
  if (!ctx.state.security.guard.admit(connection.remoteAddress)) {
    counters.floodRefused++;
    connection.destroy();
    return;
  }
  let request: SipRequest;
  try {
    const message = parseSipMessage(data);
    if (message.kind === 'response') {
      counters.responsesReceived++; // to a BYE this server sent; nothing more to do
      return;
    }
    request = message;
  } catch (error) {
    malformed(ctx, error, channel);
    return;
  }
  counters.requests++;
  route(ctx, request, channel, session.calls);
}

function malformed(ctx: SipContext, error: unknown, channel: TcpChannel): void {
  const { counters } = ctx.state;
  if (!(error instanceof SipParseError)) throw error;
  const request = error.request;
  if (request !== undefined) {
    counters.malformed++;
    if (request.method !== 'ACK') respond(ctx, channel, request, error.status, error.reason);
    return;
  }
  counters.closedForMalformed++;
  const { connection } = channel;
  ctx.logger.debug(
    { remote: `${connection.remoteAddress}:${connection.remotePort}`, reason: error.reason },
    'closing a connection after an unparseable message',
  );
  connection.close();
}
