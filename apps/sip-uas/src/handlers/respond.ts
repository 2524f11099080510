import type { SipRequest } from '../sip/sip-message';
import { buildResponse } from '../sip/sip-response';
import { completeNonInvite } from '../transaction/non-invite-transactions';
import { sendOn } from '../transport/send';
import type { SipChannel } from '../transport/sip-channel';
import type { SipContext } from './sip-context';

/** To tag of responses outside any call (481, 405…): RFC 3261 §8.2.6.2 wants one on each. */
const STRAY_TAG = `aem${process.pid.toString(36)}x`;

/**
 * Sends a response to a request other than a call's INVITE (CANCEL, BYE, OPTIONS, REGISTER,
 * refusals). Over UDP a final response to a non-INVITE request completes the request's server
 * transaction, which keeps it for timer J (RFC 3261 §17.2.2).
 *
 * @param toTag - the tag for a To without one (default: the tag of responses outside calls).
 * @param extra - further header lines.
 */
export function respond(
  ctx: SipContext,
  channel: SipChannel,
  request: SipRequest,
  status: number,
  reason: string,
  toTag = STRAY_TAG,
  extra?: string,
): void {
  const text = buildResponse(request, status, reason, { toTag, headers: extra });
  if (channel.kind === 'udp' && channel.transaction !== undefined && status >= 200) {
    completeNonInvite(ctx, channel, text);
  } else {
    sendOn(channel, text);
  }
}
