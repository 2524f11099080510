import type { TimerHandle } from '@aem/timers';

/**
 * A non-INVITE server transaction over UDP (RFC 3261 §17.2.2): opened by a BYE, CANCEL,
 * REGISTER, OPTIONS… so that its retransmissions get the same final response again instead of
 * being processed twice (a second BYE would find no dialog and get 481). Plain data, kept in
 * `SipState.transactions` under {@link nonInviteKey}.
 *
 * - *Trying*: `response` undefined — the request is being processed (a BYE waits in its call's
 *   domain); a retransmission is absorbed;
 * - *Completed*: the final response was sent and is kept; each retransmission gets it again;
 *   timer J (64·T1) runs;
 * - *Terminated*: timer J fired, the transaction is gone from the table.
 *
 * Over TCP no such state is kept: the transport does not retransmit (timer J is 0).
 */
export interface ServerTransaction {
  /** Its key in the table. */
  readonly key: string;
  /**
   * The final response once sent, for retransmissions: the bytes that went out, one character
   * per byte (latin1). Not the Buffer that was sent, which is cut from Node's shared 8 KiB pool
   * and would keep the whole slab alive for timer J; not the text it was built from, a rope of
   * slices of the request's header text. Over UDP at 5,000 BYEs/s a worker holds 160,000
   * transactions (64·T1 = 32 s): with this string and a detached key each one keeps about
   * 620 bytes alive, against 1,670 with the Buffer and the rope (measured for 50,000 BYEs).
   */
  response: string | undefined;
  /**
   * Timer J: armed at arrival already (a guard: no transaction outlives 64·T1 without its
   * response), restarted when the final response is sent; `NO_TIMER` once it fired.
   */
  timer: TimerHandle;
}
