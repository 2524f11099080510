import type { AemEvent } from '@aem/core';
import type { TimerExpiration } from '@aem/timers';

/** One registrar binding (RFC 3261 §10.3): an address of record reachable at a contact. */
export interface Binding {
  /** The contact URI (without header parameters). */
  readonly contact: string;
  /** When it expires, in ms of `performance.now()`. */
  expiresAt: number;
  /** Call-ID of the REGISTER that last refreshed it (§10.3 step 7). */
  callId: string;
  /** CSeq of that REGISTER: an older one for the same Call-ID is ignored. */
  cseq: number;
  /** The expiry timer on the timers service; removes the binding when it fires. */
  timer: AemEvent<TimerExpiration>;
}
