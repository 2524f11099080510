import { checkSanity } from '../sip/sanity';
import type { SipRequest } from '../sip/sip-message';
import type { Call } from '../state/call';
import type { SipChannel } from '../transport/sip-channel';
import { findCall, inCall, openCall } from './call-flow';
import { authorize } from './authorize';
import { register } from './registrar';
import { respond } from './respond';
import { ALLOW_HEADER, KNOWN_UNSUPPORTED, type SipContext } from './sip-context';

/**
 * Routes one parsed request, whatever its transport, in the domain of the connection or socket
 * it came on: the INVITE/ACK/CANCEL/BYE family moves on into its call's domain; OPTIONS,
 * REGISTER and refusals are answered on the spot. Over UDP the request has already met its
 * non-INVITE server transaction (a retransmission never gets here).
 *
 * @param sessionCalls - the calls of the TCP connection; `undefined` over UDP.
 */
export function route(
  ctx: SipContext,
  request: SipRequest,
  channel: SipChannel,
  sessionCalls: Set<Call> | undefined,
): void {
  const method = request.method;
  // Kamailio's stock checks (maxfwd, sanity) before anything else.
  const insane = checkSanity(request);
  if (insane !== null) {
    ctx.state.counters.insane++;
    if (method !== 'ACK') respond(ctx, channel, request, insane.status, insane.reason);
    return;
  }
  if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL' || method === 'BYE') {
    if (method !== 'ACK' && method !== 'CANCEL' && refuseExtensions(ctx, request, channel)) return;
    const call = findCall(ctx, request);
    if (call === undefined) {
      if (method === 'INVITE' && request.toTag === '') {
        if (!authorize(ctx, request, channel)) return;
        if (!openCall(ctx, request, channel, sessionCalls)) overloaded(ctx, request, channel);
      } else if (method !== 'ACK') {
        respond(ctx, channel, request, 481, 'Call/Transaction Does Not Exist');
      }
      return;
    }
    if (!ctx.state.callJobs.post(() => inCall(ctx, call, request, channel), call.domain)) {
      if (method !== 'ACK') overloaded(ctx, request, channel);
    }
    return;
  }
  if (refuseExtensions(ctx, request, channel)) return;
  if (method === 'OPTIONS') {
    respond(
      ctx,
      channel,
      request,
      200,
      'OK',
      undefined,
      `${ALLOW_HEADER}Accept: application/sdp\r\n`,
    );
  } else if (method === 'REGISTER') {
    if (authorize(ctx, request, channel)) register(ctx, request, channel);
  } else if (KNOWN_UNSUPPORTED.has(method)) {
    respond(ctx, channel, request, 405, 'Method Not Allowed', undefined, ALLOW_HEADER);
  } else {
    respond(ctx, channel, request, 501, 'Not Implemented');
  }
}

/** 503 with `Retry-After` for a request a limit refused (counted). */
export function overloaded(ctx: SipContext, request: SipRequest, channel: SipChannel): void {
  ctx.state.counters.overloaded++;
  respond(ctx, channel, request, 503, 'Service Unavailable', undefined, 'Retry-After: 5\r\n');
}

/** RFC 3261 §8.2.2.3: this UAS supports no extension, so any `Require` gets 420. */
function refuseExtensions(ctx: SipContext, request: SipRequest, channel: SipChannel): boolean {
  const required = request.headers.get('require');
  if (required === undefined) return false;
  respond(
    ctx,
    channel,
    request,
    420,
    'Bad Extension',
    undefined,
    `Unsupported: ${required.join(', ')}\r\n`,
  );
  return true;
}
