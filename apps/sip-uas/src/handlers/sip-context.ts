import type { SipTimerValues, Timers } from '@aem/timers';
import type { Logger } from 'pino';
import type { SipUasConfig } from '../config';
import type { MediaAddress } from '../sip/sdp-answer';
import type { Call } from '../state/call';
import type { SipState } from '../state/sip-state';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { SipChannel } from '../transport/sip-channel';

/** The RFC 3261 timers of one kind of transport, computed once per handler version. */
export interface TransportTimers {
  /** The timer values (§17, table 4): G, I, J are 0 over a reliable transport. */
  readonly values: SipTimerValues;
  /**
   * A non-2xx final response to INVITE, from `sipRetransmitDelays('G')`: timer G's
   * retransmissions then timer H over UDP; timer H alone over TCP.
   */
  readonly finalDelays: readonly number[];
}

/** What the request handlers of one handler version work with. */
export interface SipContext {
  /** The state that outlives handler versions. */
  readonly state: SipState;
  /** The timers service (ring delay, retransmissions, timers H, I, J, binding expiry). */
  readonly timers: Timers;
  /** The configuration. */
  readonly config: SipUasConfig;
  /** The timers of TCP. */
  readonly reliable: TransportTimers;
  /** The timers of UDP. */
  readonly unreliable: TransportTimers;
  /**
   * RFC 3261 §13.3.1.4: the UAS core retransmits a 2xx to INVITE at T1 doubling to T2 until
   * the ACK, and gives up at 64·T1 — over every transport (timer G's schedule over UDP).
   */
  readonly twoXxDelays: readonly number[];
  /** This UAS's media address for SDP answers. */
  readonly media: MediaAddress;
  /** The address this UAS puts in Contact and in the Via of its own requests. */
  readonly host: string;
  /** Its port, the same on UDP and TCP. */
  readonly port: number;
  /** Its TLS port (`undefined` without TLS). */
  readonly tlsPort: number | undefined;
  /** The Contact header of responses that set up a dialog, per transport. */
  readonly contacts: { readonly tcp: string; readonly udp: string; readonly tls: string };
  /** The logger. */
  readonly logger: Logger;
  /** The wheel callback of every call timer: posts the expiry into the call's domain. */
  readonly expire: (call: Call) => void;
  /** The wheel callback of timer J: forgets a non-INVITE transaction. */
  readonly expireTransaction: (transaction: ServerTransaction) => void;
}

/** Methods this UAS implements (the `Allow` header of 200 to OPTIONS and of 405). */
export const ALLOW_HEADER = 'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER\r\n';

/** Methods RFC 3261 and its extensions define that this UAS recognises but does not support. */
export const KNOWN_UNSUPPORTED: ReadonlySet<string> = new Set([
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'INFO',
  'UPDATE',
  'PRACK',
  'MESSAGE',
  'PUBLISH',
]);

/** A fresh tag or SDP session id from the state's counter (unique per process). */
export function nextId(state: SipState): number {
  return ++state.nextId;
}

/** The timers of the transport `channel` is on. */
export function timersOf(ctx: SipContext, channel: SipChannel): TransportTimers {
  return channel.kind === 'udp' ? ctx.unreliable : ctx.reliable;
}

/** `Contact: <sip:uas@host:port;transport=…>\r\n` for responses that set up a dialog on `channel`. */
export function contactHeader(ctx: SipContext, channel: SipChannel): string {
  return channel.kind === 'tcp' && channel.tls ? ctx.contacts.tls : ctx.contacts[channel.kind];
}
