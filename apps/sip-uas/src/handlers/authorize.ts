import { addressUri, header, type SipRequest } from '../sip/sip-message';
import type { SipChannel } from '../transport/sip-channel';
import { respond } from './respond';
import type { SipContext } from './sip-context';

/**
 * Digest authentication of a REGISTER (401, `WWW-Authenticate`) and, with `SIP_AUTH_INVITE=1`,
 * of a new INVITE (407, `Proxy-Authenticate`), RFC 3261 §22. Answers the request itself when it
 * does not pass: a challenge (again, `stale=true` for an expired nonce), or 403 for too many
 * wrong answers from its address (which the flood guard then bans) or for credentials of
 * another user than the REGISTER's address of record.
 *
 * @returns whether the request may go on (always, without `SIP_AUTH_FILE`).
 */
export function authorize(ctx: SipContext, request: SipRequest, channel: SipChannel): boolean {
  const { auth, authInvite } = ctx.state.security;
  const isRegister = request.method === 'REGISTER';
  if (auth === undefined || (!isRegister && !authInvite)) return true;
  const source = channel.kind === 'udp' ? channel.source : channel.connection.remoteAddress;
  const outcome = auth.verify(
    request.method,
    header(request, isRegister ? 'authorization' : 'proxy-authorization'),
    source,
  );
  const { counters } = ctx.state;
  if (outcome.kind === 'challenge') {
    counters.challenged++;
    const name = isRegister ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const challenges = auth.challengeLines(name, outcome.stale);
    const [status, reason] = isRegister
      ? [401, 'Unauthorized']
      : [407, 'Proxy Authentication Required'];
    respond(ctx, channel, request, status, reason, undefined, challenges);
    return false;
  }
  if (outcome.kind === 'forbidden') {
    counters.authForbidden++;
    respond(ctx, channel, request, 403, 'Forbidden');
    return false;
  }
  // A registrar lets a user bind its own address of record only (Kamailio: $fU == $au).
  if (isRegister && userOf(addressUri(request.to)) !== outcome.user) {
    counters.authForbidden++;
    respond(ctx, channel, request, 403, 'Forbidden (Wrong User)');
    return false;
  }
  return true;
}

/** The user part of a SIP URI (`sip:alice@example.org` → `alice`), or `''`. */
function userOf(uri: string): string {
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@');
  if (at < 0) return '';
  const user = uri.slice(colon + 1, at).split(';')[0]!;
  try {
    return decodeURIComponent(user);
  } catch {
    return user; // a malformed escape: compared as written (and so refused)
  }
}
