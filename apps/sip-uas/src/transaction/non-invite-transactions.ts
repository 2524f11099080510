import { NO_TIMER } from '@aem/timers';
import type { SipContext } from '../handlers/sip-context';
import type { SipRequest } from '../sip/sip-message';
import type { SipState } from '../state/sip-state';
import { sendOn } from '../transport/send';
import type { UdpChannel } from '../transport/sip-channel';
import type { ServerTransaction } from './server-transaction';
import { nonInviteKey } from './transaction-match';

/** What {@link receiveNonInvite} decided about a request. */
export type NonInviteArrival =
  /** A new transaction is open on `channel.transaction`: process the request. */
  | 'new'
  /** A retransmission: answered with the transaction's response, or absorbed while Trying. */
  | 'retransmission'
  /** The transaction table is full (`maxTransactions`): answer 503, keep no state. */
  | 'full';

/**
 * A non-INVITE request (not ACK) that came over UDP meets its server transaction (RFC 3261
 * §17.2.2): a retransmission is answered here — the final response again when the transaction
 * has one, nothing while it is still being processed — and a new request opens a transaction
 * on `channel`, which {@link completeNonInvite} completes when the final response is sent.
 *
 * @param ctx - the handler context.
 * @param request - the request as received.
 * @param channel - the channel its responses go on.
 */
export function receiveNonInvite(
  ctx: SipContext,
  request: SipRequest,
  channel: UdpChannel,
): NonInviteArrival {
  const { state } = ctx;
  const key = nonInviteKey(request);
  const existing = state.transactions.get(key);
  if (existing !== undefined) {
    state.counters.retransmissionsAbsorbed++;
    if (existing.response !== undefined) sendOn(channel, Buffer.from(existing.response, 'latin1'));
    return 'retransmission';
  }
  if (state.transactions.size >= ctx.config.maxTransactions) return 'full';
  const transaction: ServerTransaction = {
    key: detached(key),
    response: undefined,
    timer: NO_TIMER,
  };
  // Armed already while Trying, so that a request that somehow never gets its final response
  // cannot leave its transaction behind; the final response restarts it (timer J proper).
  transaction.timer = ctx.timers.wheel.start(
    ctx.unreliable.values.J,
    ctx.expireTransaction,
    transaction,
  );
  state.transactions.set(key, transaction);
  channel.transaction = transaction;
  return 'new';
}

/**
 * Sends the final response of the channel's transaction and keeps it for timer J (64·T1):
 * the transaction's retransmissions get these bytes again until then.
 *
 * @param ctx - the handler context.
 * @param channel - the channel whose `transaction` the response completes.
 * @param text - the final response.
 */
export function completeNonInvite(ctx: SipContext, channel: UdpChannel, text: string): void {
  const transaction = channel.transaction;
  if (transaction === undefined) {
    sendOn(channel, text);
    return;
  }
  channel.transaction = undefined;
  const bytes = Buffer.from(text);
  transaction.response = bytes.toString('latin1'); // byte for byte, see `ServerTransaction`
  ctx.timers.wheel.reschedule(transaction.timer, ctx.unreliable.values.J);
  sendOn(channel, bytes);
}

/**
 * Timer J fired: the transaction leaves the table (a later copy of the request is a new
 * request). Runs on the wheel, outside any domain: it only deletes a table entry.
 *
 * @param state - the SIP state.
 * @param transaction - the transaction whose timer fired.
 */
export function forgetNonInvite(state: SipState, transaction: ServerTransaction): void {
  transaction.timer = NO_TIMER;
  if (state.transactions.get(transaction.key) === transaction) {
    state.transactions.delete(transaction.key);
  }
}

/**
 * A copy of `text` that shares no memory with it. A key built from a request's header values
 * is a rope of slices of the whole header text; kept in the table for timer J, it would keep
 * that text alive too (a few hundred bytes per transaction, 64·T1 long).
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
