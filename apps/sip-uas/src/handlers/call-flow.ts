import { NO_TIMER } from '@aem/timers';
import { isIP } from 'node:net';
import { header, type SipRequest } from '../sip/sip-message';
import { buildResponse } from '../sip/sip-response';
import { sdpAnswer } from '../sip/sdp-answer';
import type { Call } from '../state/call';
import { MAGIC_COOKIE, sameTransaction } from '../transaction/transaction-match';
import { sendOn } from '../transport/send';
import type { SipChannel } from '../transport/sip-channel';
import { respond } from './respond';
import { contactHeader, nextId, timersOf, type SipContext } from './sip-context';

/** Most requests queued in one call's domain (a flood of one Call-ID gets 503 beyond). */
const CALL_QUEUE = 64;

/**
 * Opens a call for an initial INVITE (no To tag, unknown Call-ID): registers it in the call and
 * transaction tables (and on its TCP connection's session), then queues the INVITE into the
 * call's own domain. Runs in the domain of the connection or socket the INVITE came on.
 *
 * @param sessionCalls - the calls of the TCP connection; `undefined` over UDP.
 * @returns `false` when a limit refused the call (the caller answers 503).
 */
export function openCall(
  ctx: SipContext,
  invite: SipRequest,
  channel: SipChannel,
  sessionCalls: Set<Call> | undefined,
): boolean {
  const { state, config } = ctx;
  if (state.calls.size >= config.maxCalls) return false;
  const call: Call = {
    callId: invite.callId,
    domain: ctx.state.runtime.createDomain(`call ${invite.callId}`, { maxQueue: CALL_QUEUE }),
    channel,
    localTag: `aem${nextId(state).toString(36)}`,
    remoteTag: invite.fromTag,
    state: 'proceeding',
    invite: retainable(invite),
    lastResponse: '',
    timer: NO_TIMER,
    step: 0,
    sessionCalls,
  };
  state.calls.set(call.callId, call);
  if (invite.branch !== '') state.invites.set(invite.branch, call);
  sessionCalls?.add(call);
  state.counters.invites++;
  if (!state.callJobs.post(() => startInvite(ctx, call), call.domain)) {
    terminate(ctx, call);
    return false;
  }
  return true;
}

/**
 * The request as a call keeps it: with its body copied out of the read buffer or datagram it
 * came in, which would otherwise stay alive — whole — as long as the dialog.
 */
function retainable(request: SipRequest): SipRequest {
  return request.body.length === 0 ? request : { ...request, body: Buffer.from(request.body) };
}

/**
 * The call a request of the INVITE/ACK/CANCEL/BYE family belongs to: by the INVITE server
 * transaction its branch names (RFC 3261 §17.2.3 — a CANCEL, a retransmitted INVITE, the ACK of
 * a non-2xx), else by Call-ID (the dialog: BYE, the ACK of a 2xx, a re-INVITE).
 */
export function findCall(ctx: SipContext, request: SipRequest): Call | undefined {
  if (request.branch.startsWith(MAGIC_COOKIE)) {
    const call = ctx.state.invites.get(request.branch);
    if (call !== undefined && call.callId === request.callId) return call;
  }
  return ctx.state.calls.get(request.callId);
}

/**
 * A request of an existing call (ACK, CANCEL, BYE, a re-INVITE or a retransmitted INVITE), run
 * in the call's domain. `via` is where this request's own responses go.
 */
export function inCall(ctx: SipContext, call: Call, request: SipRequest, via: SipChannel): void {
  if (call.state === 'terminated') {
    if (request.method !== 'ACK')
      respond(ctx, via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  switch (request.method) {
    case 'INVITE':
      return invite(ctx, call, request, via);
    case 'ACK':
      return ack(ctx, call, request);
    case 'CANCEL':
      return cancel(ctx, call, request, via);
    case 'BYE':
      return bye(ctx, call, request, via);
  }
}

/**
 * The initial INVITE: 180 Ringing at once, then the 200 after the ring delay (or a final
 * refusal at once).
 *
 * No 100 Trying: RFC 3261 §17.2.1 has the server transaction send one only when the TU will not
 * answer within 200 ms, and here the first response — 180 or a final — leaves in this very job,
 * which runs as soon as the INVITE is routed (`openCall`). Every path of a new INVITE answers
 * without waiting: the sanity checks, the 420, the digest challenge (`authorize`, synchronous
 * against the nonce secret) and the limits answer in the routing job itself; nothing on the
 * way looks anything up in a store. The 180 stops the caller's timer A as a 100 would, and a
 * retransmitted INVITE gets it again (`lastResponse`). A path that waits before its first
 * response (an asynchronous lookup, a check off the event loop) must send 100 before it waits.
 */
function startInvite(ctx: SipContext, call: Call): void {
  if (call.state !== 'proceeding') return;
  const invite = call.invite;
  const refusal = offerRefusal(invite);
  if (refusal !== undefined)
    return reject(ctx, call, refusal.status, refusal.reason, refusal.extra);
  call.lastResponse = buildResponse(invite, 180, 'Ringing', {
    toTag: call.localTag,
    headers: contactHeader(ctx, call.channel),
  });
  sendOn(call.channel, call.lastResponse);
  if (ctx.config.ringDelayMs === 0) return answer(ctx, call);
  armTimer(ctx, call, ctx.config.ringDelayMs);
}

/** Why an INVITE's offer cannot be taken, if it cannot: a non-SDP body (415). */
function offerRefusal(
  invite: SipRequest,
): { status: number; reason: string; extra: string } | undefined {
  if (invite.body.length === 0) return undefined;
  const type = header(invite, 'content-type');
  if (type !== undefined && type.split(';')[0].trim().toLowerCase() === 'application/sdp') {
    return undefined;
  }
  return { status: 415, reason: 'Unsupported Media Type', extra: 'Accept: application/sdp\r\n' };
}

/** Sends the 200 OK with the SDP answer; the 2xx is retransmitted until the ACK comes. */
function answer(ctx: SipContext, call: Call): void {
  if (call.state !== 'proceeding') return;
  cancelTimer(ctx, call);
  const invite = call.invite;
  const sdp = sdpAnswer(invite.body.toString('utf8'), ctx.media, nextId(ctx.state));
  if (sdp === null) return reject(ctx, call, 488, 'Not Acceptable Here', '');
  call.lastResponse = buildResponse(invite, 200, 'OK', {
    toTag: call.localTag,
    headers: contactHeader(ctx, call.channel),
    body: sdp,
  });
  sendOn(call.channel, call.lastResponse);
  ctx.state.counters.answered++;
  if (call.channel.kind === 'udp') ctx.state.counters.answeredUdp++;
  call.state = 'accepted';
  call.step = 0;
  armTimer(ctx, call, ctx.twoXxDelays[0]);
}

/**
 * A call has at most one timer running, and its state says which: the ring delay while
 * `proceeding`, the 2xx retransmission while `accepted`, timer G then H while `completed`,
 * timer I while `acknowledged`. They run on the timers service's wheel directly — its hot path:
 * a handle, no event, no allocation — and their expiry is posted into the call's domain like a
 * request.
 */
function armTimer(ctx: SipContext, call: Call, ms: number): void {
  call.timer = ctx.timers.wheel.start(ms, ctx.expire, call);
}

/** A call's timer fired (in the call's domain). */
export function timerExpired(ctx: SipContext, call: Call): void {
  call.timer = NO_TIMER;
  switch (call.state) {
    case 'proceeding':
      return answer(ctx, call);
    case 'accepted':
      return retransmit(ctx, call, ctx.twoXxDelays);
    case 'completed':
      return retransmit(ctx, call, timersOf(ctx, call.channel).finalDelays);
    case 'acknowledged':
      return terminate(ctx, call); // timer I: the ACK's retransmissions are over
  }
}

/**
 * One wake-up of a retransmission schedule (`delays`, from `sipRetransmitDelays`): every
 * wake-up but the last sends `lastResponse` again and arms the next delay; the last one gives
 * up at 64·T1.
 *
 * - `accepted` (RFC 3261 §13.3.1.4, whatever the transport): the 2xx is retransmitted at T1
 *   doubling to T2; without an ACK the dialog is given up (RFC 6026 timer L): it sends BYE and
 *   is forgotten.
 * - `completed` (§17.2.1): over UDP timer G retransmits the non-2xx final at T1 doubling to T2;
 *   timer H ends the transaction without its ACK (over TCP timer H alone runs).
 */
function retransmit(ctx: SipContext, call: Call, delays: readonly number[]): void {
  const { counters } = ctx.state;
  if (call.step >= delays.length - 1) {
    if (call.state === 'accepted') {
      counters.ackTimeouts++;
      ctx.logger.debug({ callId: call.callId }, '2xx never acknowledged: dialog ended with BYE');
      sendByeFor(ctx, call);
    } else {
      counters.timerH++;
      ctx.logger.debug({ callId: call.callId }, 'non-2xx never acknowledged: timer H');
    }
    terminate(ctx, call);
    return;
  }
  counters.retransmissionsSent++;
  sendOn(call.channel, call.lastResponse);
  armTimer(ctx, call, delays[++call.step]);
}

/**
 * Sends a BYE ending a dialog whose 2xx was never acknowledged (this UAS as the dialog's caller
 * side): on the INVITE's connection over TCP; over UDP to the remote target (the INVITE's
 * Contact) when its host is an address, else back where the INVITE came from.
 */
function sendByeFor(ctx: SipContext, call: Call): void {
  const invite = call.invite;
  const contact = header(invite, 'contact');
  const target = contact === undefined ? invite.uri : contactUri(contact);
  const channel = call.channel;
  const transport = channel.kind === 'udp' ? 'UDP' : 'TCP';
  const bye =
    `BYE ${target} SIP/2.0\r\n` +
    `Via: SIP/2.0/${transport} ${hostPort(ctx.host, ctx.port)};branch=${MAGIC_COOKIE}${call.localTag}bye;rport\r\n` +
    `From: ${invite.to};tag=${call.localTag}\r\nTo: ${invite.from}\r\n` +
    `Call-ID: ${call.callId}\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  if (channel.kind === 'tcp') {
    sendOn(channel, bye);
    return;
  }
  const remote = addressOf(target);
  channel.socket.send(bye, remote ?? channel);
}

function contactUri(contact: string): string {
  const open = contact.indexOf('<');
  if (open < 0) return contact.split(';')[0].trim();
  return contact.slice(open + 1, contact.indexOf('>', open));
}

/** The address and port of a `sip:user@host:port;…` URI whose host is an IP literal. */
function addressOf(uri: string): { address: string; port: number } | undefined {
  const match = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d{1,5}))?/i.exec(uri);
  if (match === null) return undefined;
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  if (isIP(host) === 0) return undefined;
  return { address: host, port: match[2] === undefined ? 5060 : Number(match[2]) };
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** An INVITE for a call that exists: a retransmission, a re-INVITE, or a merged request. */
function invite(ctx: SipContext, call: Call, request: SipRequest, via: SipChannel): void {
  if (request.toTag === '') {
    if (sameTransaction(call.invite, request)) {
      // §17.2.1: a retransmission gets the last provisional or final response again. Once the
      // 2xx was acknowledged (RFC 6026 Accepted state) a late copy is absorbed: the caller
      // already has the 2xx.
      ctx.state.counters.retransmissionsAbsorbed++;
      if (call.state !== 'confirmed' && call.lastResponse !== '') sendOn(via, call.lastResponse);
      return;
    }
    // RFC 3261 §8.2.2.2: same Call-ID, no To tag, another transaction — a merged request.
    respond(ctx, via, request, 482, 'Loop Detected', call.localTag);
    return;
  }
  if (request.toTag !== call.localTag) {
    respond(ctx, via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  if (call.state !== 'confirmed') {
    if (call.state === 'accepted' && sameTransaction(call.invite, request)) {
      // A retransmitted re-INVITE whose 2xx is being retransmitted anyway.
      ctx.state.counters.retransmissionsAbsorbed++;
      sendOn(via, call.lastResponse);
      return;
    }
    // RFC 3261 §14.2: an INVITE while another INVITE transaction of the dialog is in progress.
    respond(ctx, via, request, 491, 'Request Pending');
    return;
  }
  if (sameTransaction(call.invite, request)) {
    ctx.state.counters.retransmissionsAbsorbed++; // a late copy of an acknowledged re-INVITE
    return;
  }
  // A re-INVITE: answered at once (no ringing inside a dialog), acknowledged like the first.
  const previous = call.invite;
  call.invite = retainable(request);
  call.state = 'proceeding';
  const refusal = offerRefusal(request);
  if (refusal !== undefined) {
    respond(ctx, via, request, refusal.status, refusal.reason, call.localTag, refusal.extra);
    call.invite = previous;
    call.state = 'confirmed';
    return;
  }
  if (request.branch !== '') ctx.state.invites.set(request.branch, call);
  answer(ctx, call);
}

/**
 * ACK: confirms the dialog after a 2xx; after a non-2xx final it ends the INVITE transaction —
 * at once over TCP, after timer I over UDP (RFC 3261 §17.2.1 *Confirmed*: the ACK's own
 * retransmissions are absorbed meanwhile).
 */
function ack(ctx: SipContext, call: Call, request: SipRequest): void {
  if (request.cseqNumber !== call.invite.cseqNumber) return; // a stray ACK: never answered
  if (call.state === 'accepted') {
    cancelTimer(ctx, call);
    call.state = 'confirmed';
    ctx.state.invites.delete(call.invite.branch); // the INVITE transaction is over
  } else if (call.state === 'completed') {
    cancelTimer(ctx, call);
    const timerI = timersOf(ctx, call.channel).values.I;
    if (timerI === 0) return terminate(ctx, call);
    call.state = 'acknowledged';
    armTimer(ctx, call, timerI);
  } else if (call.state === 'acknowledged' || call.state === 'confirmed') {
    ctx.state.counters.retransmissionsAbsorbed++; // a copy of the ACK
  }
}

/** CANCEL: 200 for the CANCEL, and 487 for the INVITE while it has no final response. */
function cancel(ctx: SipContext, call: Call, request: SipRequest, via: SipChannel): void {
  if (!sameTransaction(call.invite, request) || request.toTag !== '') {
    respond(ctx, via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  respond(ctx, via, request, 200, 'OK', call.localTag);
  if (call.state !== 'proceeding') return; // a final response went out first: CANCEL has no effect
  ctx.state.counters.cancelled++;
  reject(ctx, call, 487, 'Request Terminated', '');
}

/** BYE: ends the dialog (an early one too: the INVITE then gets 487). */
function bye(ctx: SipContext, call: Call, request: SipRequest, via: SipChannel): void {
  if (request.toTag !== call.localTag || request.fromTag !== call.remoteTag) {
    respond(ctx, via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  if (call.state === 'proceeding') {
    respond(ctx, via, request, 200, 'OK', call.localTag);
    reject(ctx, call, 487, 'Request Terminated', '');
    return;
  }
  if (call.state === 'completed' || call.state === 'acknowledged') {
    respond(ctx, via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  respond(ctx, via, request, 200, 'OK', call.localTag);
  ctx.state.counters.completed++;
  terminate(ctx, call);
}

/**
 * Answers the INVITE with a non-2xx final response: the transaction waits for its ACK (the
 * `completed` state), retransmitting the response on timer G over UDP, for at most timer H =
 * 64·T1, then the call is forgotten.
 */
function reject(ctx: SipContext, call: Call, status: number, reason: string, extra: string): void {
  cancelTimer(ctx, call);
  call.lastResponse = buildResponse(call.invite, status, reason, {
    toTag: call.localTag,
    headers: extra,
  });
  sendOn(call.channel, call.lastResponse);
  call.state = 'completed';
  call.step = 0;
  armTimer(ctx, call, timersOf(ctx, call.channel).finalDelays[0]);
}

function cancelTimer(ctx: SipContext, call: Call): void {
  if (call.timer === NO_TIMER) return;
  ctx.timers.wheel.cancel(call.timer);
  call.timer = NO_TIMER;
}

/** Forgets a call: its timer, its table entries, its place on the session. Idempotent. */
export function terminate(ctx: SipContext, call: Call): void {
  if (call.state === 'terminated') return;
  cancelTimer(ctx, call);
  call.state = 'terminated';
  const { calls, invites } = ctx.state;
  if (calls.get(call.callId) === call) calls.delete(call.callId);
  if (invites.get(call.invite.branch) === call) invites.delete(call.invite.branch);
  call.sessionCalls?.delete(call);
}
