import type { TcpConnection } from '@aem/tcp';
import { NO_TIMER } from '@aem/timers';
import { header, type SipRequest } from '../sip/sip-message';
import { buildResponse } from '../sip/sip-response';
import { sdpAnswer } from '../sip/sdp-answer';
import type { Call } from '../state/call';
import { nextId, type SipContext } from './sip-context';
import { sendOn } from './send';

/** Most requests queued in one call's domain (a flood of one Call-ID gets 503 beyond). */
const CALL_QUEUE = 64;

/** To tag of responses outside any call (481, 405…): RFC 3261 §8.2.6.2 wants one on each. */
const STRAY_TAG = `aem${process.pid.toString(36)}x`;

/** RFC 3261 §8.1.1.7: a branch starting with the magic cookie identifies its transaction. */
const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Opens a call for an initial INVITE (no To tag, unknown Call-ID): registers it in the call and
 * transaction tables and on its connection's session, then queues the INVITE into the call's
 * own domain. Runs in the connection's domain.
 *
 * @returns `false` when a limit refused the call (the caller answers 503).
 */
export function openCall(
  ctx: SipContext,
  invite: SipRequest,
  connection: TcpConnection,
  sessionCalls: Set<Call>,
): boolean {
  const { state, config } = ctx;
  if (state.calls.size >= config.maxCalls) return false;
  const call: Call = {
    callId: invite.callId,
    domain: ctx.state.runtime.createDomain(`call ${invite.callId}`, { maxQueue: CALL_QUEUE }),
    connection,
    localTag: `aem${nextId(state).toString(36)}`,
    remoteTag: invite.fromTag,
    state: 'proceeding',
    invite: retainable(invite),
    lastResponse: '',
    timer: NO_TIMER,
    retransmitMs: ctx.timerValues.T1,
    waitedMs: 0,
    sessionCalls,
  };
  state.calls.set(call.callId, call);
  if (invite.branch !== '') state.invites.set(invite.branch, call);
  sessionCalls.add(call);
  state.counters.invites++;
  if (!state.callJobs.post(() => startInvite(ctx, call), call.domain)) {
    terminate(ctx, call);
    return false;
  }
  return true;
}

/**
 * The request as a call keeps it: with its body copied out of the read buffer it was framed
 * in, which would otherwise stay alive — whole — as long as the dialog.
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
 * in the call's domain.
 */
export function inCall(ctx: SipContext, call: Call, request: SipRequest, via: TcpConnection): void {
  if (call.state === 'terminated') {
    if (request.method !== 'ACK') respond(via, request, 481, 'Call/Transaction Does Not Exist');
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

/** The initial INVITE: 100 Trying, 180 Ringing, then the 200 after the ring delay. */
function startInvite(ctx: SipContext, call: Call): void {
  if (call.state !== 'proceeding') return;
  const invite = call.invite;
  const refusal = offerRefusal(invite);
  if (refusal !== undefined)
    return reject(ctx, call, refusal.status, refusal.reason, refusal.extra);
  sendOn(call.connection, buildResponse(invite, 100, 'Trying'));
  call.lastResponse = buildResponse(invite, 180, 'Ringing', {
    toTag: call.localTag,
    headers: ctx.contactHeader,
  });
  sendOn(call.connection, call.lastResponse);
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
    headers: ctx.contactHeader,
    body: sdp,
  });
  sendOn(call.connection, call.lastResponse);
  ctx.state.counters.answered++;
  call.state = 'accepted';
  call.retransmitMs = ctx.timerValues.T1;
  call.waitedMs = 0;
  armTimer(ctx, call, call.retransmitMs);
}

/**
 * A call has at most one timer running, and its state says which: the ring delay while
 * `proceeding`, the 2xx retransmission while `accepted`, timer H while `completed`. They run on
 * the timers service's wheel directly — its hot path: a handle, no event, no allocation — and
 * their expiry is posted into the call's domain like a request.
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
      return retransmit(ctx, call);
    case 'completed':
      return terminate(ctx, call);
  }
}

/**
 * RFC 3261 §13.3.1.4: the UAS core retransmits a 2xx to INVITE at T1, doubling up to T2, until
 * its ACK arrives — whatever the transport — and gives the dialog up after 64·T1 (RFC 6026
 * timer L): it then sends BYE and forgets the call.
 */
function retransmit(ctx: SipContext, call: Call): void {
  call.waitedMs += call.retransmitMs;
  if (call.waitedMs >= 64 * ctx.timerValues.T1) {
    ctx.state.counters.ackTimeouts++;
    sendOn(call.connection, byeFor(call));
    terminate(ctx, call);
    return;
  }
  sendOn(call.connection, call.lastResponse);
  call.retransmitMs = Math.min(2 * call.retransmitMs, ctx.timerValues.T2);
  armTimer(ctx, call, call.retransmitMs);
}

/** A BYE ending a dialog whose 2xx was never acknowledged (this UAS as the dialog's caller side). */
function byeFor(call: Call): string {
  const invite = call.invite;
  const contact = header(invite, 'contact');
  const target = contact === undefined ? invite.uri : contactUri(contact);
  return (
    `BYE ${target} SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP ${call.connection.localAddress}:${call.connection.localPort};branch=${MAGIC_COOKIE}${call.localTag}bye\r\n` +
    `From: ${invite.to};tag=${call.localTag}\r\nTo: ${invite.from}\r\n` +
    `Call-ID: ${call.callId}\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`
  );
}

function contactUri(contact: string): string {
  const open = contact.indexOf('<');
  if (open < 0) return contact.split(';')[0].trim();
  return contact.slice(open + 1, contact.indexOf('>', open));
}

/** An INVITE for a call that exists: a retransmission, a re-INVITE, or a merged request. */
function invite(ctx: SipContext, call: Call, request: SipRequest, via: TcpConnection): void {
  if (request.toTag === '') {
    if (sameTransaction(call.invite, request)) {
      if (call.lastResponse !== '') sendOn(via, call.lastResponse);
      return;
    }
    // RFC 3261 §8.2.2.2: same Call-ID, no To tag, another transaction — a merged request.
    respond(via, request, 482, 'Loop Detected', call.localTag);
    return;
  }
  if (request.toTag !== call.localTag) {
    respond(via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  if (call.state !== 'confirmed') {
    // RFC 3261 §14.2: an INVITE while another INVITE transaction of the dialog is in progress.
    respond(via, request, 491, 'Request Pending');
    return;
  }
  // A re-INVITE: answered at once (no ringing inside a dialog), acknowledged like the first.
  const previous = call.invite;
  call.invite = retainable(request);
  call.state = 'proceeding';
  const refusal = offerRefusal(request);
  if (refusal !== undefined) {
    respond(via, request, refusal.status, refusal.reason, call.localTag, refusal.extra);
    call.invite = previous;
    call.state = 'confirmed';
    return;
  }
  if (request.branch !== '') ctx.state.invites.set(request.branch, call);
  answer(ctx, call);
}

/** ACK: confirms the dialog after a 2xx, or ends the transaction after a non-2xx final. */
function ack(ctx: SipContext, call: Call, request: SipRequest): void {
  if (request.cseqNumber !== call.invite.cseqNumber) return; // a stray ACK: never answered
  if (call.state === 'accepted') {
    cancelTimer(ctx, call);
    call.state = 'confirmed';
    ctx.state.invites.delete(call.invite.branch); // the INVITE transaction is over
  } else if (call.state === 'completed') {
    terminate(ctx, call); // timer I is 0 over a reliable transport
  }
}

/** CANCEL: 200 for the CANCEL, and 487 for the INVITE while it has no final response. */
function cancel(ctx: SipContext, call: Call, request: SipRequest, via: TcpConnection): void {
  if (!sameTransaction(call.invite, request) || request.toTag !== '') {
    respond(via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  respond(via, request, 200, 'OK', call.localTag);
  if (call.state !== 'proceeding') return; // a final response went out first: CANCEL has no effect
  ctx.state.counters.cancelled++;
  reject(ctx, call, 487, 'Request Terminated', '');
}

/** BYE: ends the dialog (an early one too: the INVITE then gets 487). */
function bye(ctx: SipContext, call: Call, request: SipRequest, via: TcpConnection): void {
  if (request.toTag !== call.localTag || request.fromTag !== call.remoteTag) {
    respond(via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  if (call.state === 'proceeding') {
    respond(via, request, 200, 'OK', call.localTag);
    reject(ctx, call, 487, 'Request Terminated', '');
    return;
  }
  if (call.state === 'completed') {
    respond(via, request, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  respond(via, request, 200, 'OK', call.localTag);
  ctx.state.counters.completed++;
  terminate(ctx, call);
}

/**
 * Answers the INVITE with a non-2xx final response: the transaction waits for its ACK (the
 * `completed` state) for at most timer H = 64·T1, then the call is forgotten.
 */
function reject(ctx: SipContext, call: Call, status: number, reason: string, extra: string): void {
  cancelTimer(ctx, call);
  call.lastResponse = buildResponse(call.invite, status, reason, {
    toTag: call.localTag,
    headers: extra,
  });
  sendOn(call.connection, call.lastResponse);
  call.state = 'completed';
  armTimer(ctx, call, ctx.timerValues.H);
}

/**
 * RFC 3261 §17.2.3: with the magic cookie the topmost Via branch names the transaction (CANCEL
 * shares its INVITE's); without it, RFC 2543 peers are matched by CSeq number.
 */
function sameTransaction(invite: SipRequest, request: SipRequest): boolean {
  if (invite.branch.startsWith(MAGIC_COOKIE)) return request.branch === invite.branch;
  return request.cseqNumber === invite.cseqNumber;
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
  call.sessionCalls.delete(call);
}

/**
 * Sends a response to a request that is not the call's INVITE (CANCEL, BYE, and refusals).
 *
 * @param toTag - the tag for a To without one (default: the tag of responses outside calls).
 * @param extra - further header lines.
 */
export function respond(
  connection: TcpConnection,
  request: SipRequest,
  status: number,
  reason: string,
  toTag = STRAY_TAG,
  extra?: string,
): void {
  sendOn(connection, buildResponse(request, status, reason, { toTag, headers: extra }));
}
