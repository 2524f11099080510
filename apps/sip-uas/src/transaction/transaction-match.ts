import type { SipRequest } from '../sip/sip-message';

/** RFC 3261 §8.1.1.7: a branch starting with the magic cookie identifies its transaction. */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * RFC 3261 §17.2.3 for the INVITE server transaction: whether `request` (a retransmitted
 * INVITE, its CANCEL, the ACK of a non-2xx) belongs to the transaction of `invite`. With the
 * magic cookie the topmost Via branch names the transaction; without it, RFC 2543 peers are
 * matched by CSeq number.
 *
 * @param invite - the INVITE that opened the transaction.
 * @param request - the request to match.
 */
export function sameTransaction(invite: SipRequest, request: SipRequest): boolean {
  if (invite.branch.startsWith(MAGIC_COOKIE)) return request.branch === invite.branch;
  return request.cseqNumber === invite.cseqNumber;
}

/**
 * RFC 3261 §17.2.3 for non-INVITE server transactions: the key under which a request and its
 * retransmissions find the same transaction — the branch, the sent-by of the top Via and the
 * method (a CANCEL shares its INVITE's branch); for an RFC 2543 peer without the magic cookie,
 * the Request-URI, From and To tags, Call-ID, CSeq and the whole top Via.
 *
 * @param request - a non-INVITE request, as received (before its Via gets `received`).
 */
export function nonInviteKey(request: SipRequest): string {
  const top = request.via[0];
  if (request.branch.startsWith(MAGIC_COOKIE)) {
    const semi = top.indexOf(';');
    return `${request.method} ${request.branch} ${semi < 0 ? top : top.slice(0, semi)}`;
  }
  return (
    `${request.method} ${request.uri} ${request.fromTag} ${request.toTag} ` +
    `${request.callId} ${request.cseqNumber} ${top}`
  );
}
