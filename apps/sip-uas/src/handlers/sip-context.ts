import type { SipTimerValues, Timers } from '@aem/timers';
import type { Logger } from 'pino';
import type { SipUasConfig } from '../config';
import type { MediaAddress } from '../sip/sdp-answer';
import type { Call } from '../state/call';
import type { SipState } from '../state/sip-state';

/** What the request handlers of one handler version work with. */
export interface SipContext {
  /** The state that outlives handler versions. */
  readonly state: SipState;
  /** The timers service (ring delay, 2xx retransmission, timer H, binding expiry). */
  readonly timers: Timers;
  /** The configuration. */
  readonly config: SipUasConfig;
  /** RFC 3261 timer values for a reliable transport at the configured T1. */
  readonly timerValues: SipTimerValues;
  /** This UAS's media address for SDP answers. */
  readonly media: MediaAddress;
  /** `Contact: <sip:…;transport=tcp>\r\n` of 2xx responses to INVITE. */
  readonly contactHeader: string;
  /** The logger. */
  readonly logger: Logger;
  /** The wheel callback of every call timer: posts the expiry into the call's domain. */
  readonly expire: (call: Call) => void;
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
