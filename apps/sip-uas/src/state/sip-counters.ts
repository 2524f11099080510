/**
 * What the server counts (cumulative since start). The status line and `/metrics` read them;
 * they live in {@link SipState} so a hot upgrade keeps counting where the old version stopped.
 */
export interface SipCounters {
  /** Requests parsed (both transports). */
  requests: number;
  /** Of `requests`, those that came over UDP. */
  udpRequests: number;
  /** INVITEs that started a call. */
  invites: number;
  /** Calls answered with 200 OK. */
  answered: number;
  /** Of `answered`, the calls whose INVITE came over UDP. */
  answeredUdp: number;
  /** Dialogs ended by BYE. */
  completed: number;
  /** INVITEs cancelled (487). */
  cancelled: number;
  /** Dialogs whose 2xx was never acknowledged within 64·T1 (a BYE was sent). */
  ackTimeouts: number;
  /** INVITE transactions whose non-2xx final response was never acknowledged (timer H). */
  timerH: number;
  /** Responses this server sent again on its own: 2xx to INVITE, and non-2xx on timer G. */
  retransmissionsSent: number;
  /**
   * Retransmitted requests answered from their transaction — its last response again, or
   * nothing while it is still being processed — instead of being processed twice.
   */
  retransmissionsAbsorbed: number;
  /** REGISTER requests answered 200. */
  registers: number;
  /** Messages answered 400/416/505 for being malformed (both transports). */
  malformed: number;
  /** Connections closed because a message could not be parsed or framed. */
  closedForMalformed: number;
  /**
   * Datagrams dropped unanswered: nothing in them addresses a response (no request line, a
   * missing Via/From/To/Call-ID/CSeq), or larger than `maxMessageBytes`.
   */
  datagramsDropped: number;
  /** Datagrams of only white space (keep-alives, RFC 5626 §4.4.1): dropped, counted here. */
  keepAlives: number;
  /** Requests refused for a limit (503). */
  overloaded: number;
  /** Responses received (to BYEs this server sent). */
  responsesReceived: number;
  /** Requests from banned sources: dropped over UDP, their connection closed over TCP. */
  floodRefused: number;
  /** Requests refused by a sanity check (483 Too Many Hops, 400 Bad Via / Bad Max-Forwards). */
  insane: number;
  /** Requests challenged for credentials (401 or 407). */
  challenged: number;
  /** Requests refused 403 (too many wrong answers, or credentials of another user). */
  authForbidden: number;
  /** REGISTERs answered 503 because the registrar's store could not take or give bindings. */
  storeUnavailable: number;
}

/** A zeroed set of counters. */
export function newCounters(): SipCounters {
  return {
    requests: 0,
    udpRequests: 0,
    invites: 0,
    answered: 0,
    answeredUdp: 0,
    completed: 0,
    cancelled: 0,
    ackTimeouts: 0,
    timerH: 0,
    retransmissionsSent: 0,
    retransmissionsAbsorbed: 0,
    registers: 0,
    malformed: 0,
    closedForMalformed: 0,
    datagramsDropped: 0,
    keepAlives: 0,
    overloaded: 0,
    responsesReceived: 0,
    floodRefused: 0,
    insane: 0,
    challenged: 0,
    authForbidden: 0,
    storeUnavailable: 0,
  };
}
