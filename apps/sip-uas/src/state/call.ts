import type { Domain } from '@aem/core';
import type { TimerHandle } from '@aem/timers';
import type { SipRequest } from '../sip/sip-message';
import type { SipChannel } from '../transport/sip-channel';

/**
 * Where a call is (RFC 3261 §13.3, §17.2.1 with RFC 6026's Accepted state):
 * - `proceeding`: INVITE received, 180 sent, the ring delay running;
 * - `accepted`: 2xx sent, retransmitted on T1…T2 until the ACK (§13.3.1.4) or 64·T1;
 * - `confirmed`: ACK received, the dialog established until BYE;
 * - `completed`: a non-2xx final (487 after CANCEL) sent, waiting for its ACK — retransmitted
 *   on timer G over UDP — until timer H (64·T1);
 * - `acknowledged`: the ACK of the non-2xx came (§17.2.1's *Confirmed* state): over UDP its
 *   retransmissions are absorbed for timer I (T4); over TCP the call ends at once;
 * - `terminated`: gone from the tables.
 */
export type CallState =
  'proceeding' | 'accepted' | 'confirmed' | 'completed' | 'acknowledged' | 'terminated';

/**
 * One call: its INVITE server transaction and the dialog it creates. Plain data, so that it
 * survives a hot upgrade — the new handler version reads what the old one wrote. Everything
 * that touches a call runs in its `domain`, one activation at a time.
 */
export interface Call {
  readonly callId: string;
  /** The call's serialization domain: its requests and timers never race. */
  readonly domain: Domain;
  /** Where the call's responses go: the connection its INVITE came on, or its UDP route. */
  readonly channel: SipChannel;
  /** This UAS's tag (To tag of every response but 100). */
  readonly localTag: string;
  /** The caller's tag (From tag of its INVITE). */
  readonly remoteTag: string;
  state: CallState;
  /** The INVITE being answered (the initial one, or a re-INVITE). */
  invite: SipRequest;
  /** The last response to `invite`, resent when the INVITE is retransmitted. */
  lastResponse: string;
  /**
   * The wheel timer of the current state (ring delay; 2xx retransmission; timer G/H; timer I),
   * or `NO_TIMER`.
   */
  timer: TimerHandle;
  /**
   * While `accepted` or `completed`: the index of the running delay in the state's
   * retransmission schedule (`sipRetransmitDelays`): every wake-up but the last retransmits
   * `lastResponse`, the last one gives up (64·T1).
   */
  step: number;
  /**
   * The calls of the TCP connection the INVITE came on, which the call leaves when it ends (the
   * connection's close ends them all); `undefined` over UDP, which has no connection to close.
   */
  readonly sessionCalls: Set<Call> | undefined;
}
