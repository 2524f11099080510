/**
 * What the server counts (cumulative since start). The status line and `/metrics` read them;
 * they live in {@link SipState} so a hot upgrade keeps counting where the old version stopped.
 */
export interface SipCounters {
  /** Requests parsed. */
  requests: number;
  /** INVITEs that started a call. */
  invites: number;
  /** Calls answered with 200 OK. */
  answered: number;
  /** Dialogs ended by BYE. */
  completed: number;
  /** INVITEs cancelled (487). */
  cancelled: number;
  /** Dialogs whose 2xx was never acknowledged within 64·T1 (a BYE was sent). */
  ackTimeouts: number;
  /** REGISTER requests answered 200. */
  registers: number;
  /** Messages answered 400/416/505 for being malformed. */
  malformed: number;
  /** Connections closed because a message could not be parsed or framed. */
  closedForMalformed: number;
  /** Requests refused for a limit (503). */
  overloaded: number;
  /** Responses received (to BYEs this server sent). */
  responsesReceived: number;
}

/** A zeroed set of counters. */
export function newCounters(): SipCounters {
  return {
    requests: 0,
    invites: 0,
    answered: 0,
    completed: 0,
    cancelled: 0,
    ackTimeouts: 0,
    registers: 0,
    malformed: 0,
    closedForMalformed: 0,
    overloaded: 0,
    responsesReceived: 0,
  };
}
