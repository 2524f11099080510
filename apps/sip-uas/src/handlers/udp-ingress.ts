import { parseSipMessage, type SipRequest } from '../sip/sip-message';
import { SipParseError } from '../sip/sip-parse.error';
import { receiveNonInvite } from '../transaction/non-invite-transactions';
import type { DatagramSocket, UdpChannel } from '../transport/sip-channel';
import { udpResponseRoute } from '../transport/udp-response-route';
import { respond } from './respond';
import { overloaded, route } from './route';
import type { SipContext } from './sip-context';

/** Where a datagram came from. */
export interface DatagramSource {
  readonly address: string;
  readonly port: number;
}

/**
 * One datagram of a SIP socket, in the socket's domain. Nothing a datagram holds can disturb
 * anything but itself:
 *
 * - from a source the flood guard banned: dropped unread, counted in `floodRefused`;
 * - larger than `maxMessageBytes`, or nothing in it addresses a response (no request line, a
 *   missing Via/From/To/Call-ID/CSeq): dropped, counted in `datagramsDropped`;
 * - only white space (a keep-alive): dropped, counted in `keepAlives`;
 * - a request that can be answered but is otherwise wrong (RFC 3261 §18.3's datagram framing
 *   included): 400/416/505, counted in `malformed`;
 * - a response (to a BYE this server sent): counted;
 * - a non-INVITE request meets its server transaction first (a retransmission is answered
 *   from it), then every request is routed as over TCP, its responses sent where §18.2.2 and
 *   RFC 3581 say.
 *
 * @param ctx - the handler context.
 * @param data - the datagram.
 * @param socket - the socket it came on; the responses leave from it.
 * @param source - where it came from.
 */
export function receiveDatagram(
  ctx: SipContext,
  data: Buffer,
  socket: DatagramSocket,
  source: DatagramSource,
): void {
  const { counters } = ctx.state;
  // A banned source gets nothing back: no parse, no answer (flood protection, counted).
  if (!ctx.state.security.guard.admit(source.address)) {
    counters.floodRefused++;
    return;
  }
  if (data.length > ctx.config.maxMessageBytes) return dropped(ctx, source, 'too large');
  if (isBlank(data)) {
    counters.keepAlives++;
    return;
  }
  let message;
  try {
    message = parseSipMessage(data, true);
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
    const request = error.request;
    if (request === undefined) return dropped(ctx, source, error.reason);
    counters.malformed++;
    if (request.method !== 'ACK') {
      const { request: routed, channel } = routeFrom(request, socket, source);
      respond(ctx, channel, routed, error.status, error.reason);
    }
    return;
  }
  if (message.kind === 'response') {
    counters.responsesReceived++;
    return;
  }
  counters.requests++;
  counters.udpRequests++;
  const { request, channel } = routeFrom(message, socket, source);
  const method = request.method;
  if (method !== 'INVITE' && method !== 'ACK') {
    const arrival = receiveNonInvite(ctx, message, channel);
    if (arrival === 'retransmission') return;
    if (arrival === 'full') return overloaded(ctx, request, channel);
  }
  route(ctx, request, channel, undefined);
}

/** The request as its responses copy it (top Via with `received`/`rport`) and their channel. */
function routeFrom(
  message: SipRequest,
  socket: DatagramSocket,
  source: DatagramSource,
): { request: SipRequest; channel: UdpChannel } {
  const top = message.via[0];
  const { via, address, port } = udpResponseRoute(top, source);
  const request = via === top ? message : { ...message, via: [via, ...message.via.slice(1)] };
  return {
    request,
    channel: { kind: 'udp', socket, source: source.address, address, port, transaction: undefined },
  };
}

function dropped(ctx: SipContext, source: DatagramSource, reason: string): void {
  ctx.state.counters.datagramsDropped++;
  ctx.logger.debug({ remote: `${source.address}:${source.port}`, reason }, 'datagram dropped');
}

/** Only CR, LF, space and tab: a keep-alive (RFC 5626 §4.4.1 sends CRLF pairs). */
function isBlank(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (byte !== 13 && byte !== 10 && byte !== 32 && byte !== 9) return false;
  }
  return true;
}
