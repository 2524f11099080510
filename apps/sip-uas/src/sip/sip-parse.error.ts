import type { SipRequest } from './sip-request';

/**
 * A request this server cannot accept as it is. `status` is the response it deserves (400 for a
 * malformed request, 505 for another SIP version, 416 for a URI scheme other than sip/sips). A
 * response can only be formed when the request carried what addresses one — a request line,
 * Via, From, To, Call-ID and CSeq — and then `request` holds them; otherwise it is `undefined`
 * and the connection is closed.
 */
export class SipParseError extends Error {
  /** Error code, stable for logs and metrics. */
  readonly code = 'SIP_UAS_MALFORMED';

  /**
   * @param status - the SIP status code of the response (400, 416, 505).
   * @param reason - the reason phrase, naming the defect (sent in the response).
   * @param request - the request as far as it parsed, when a response can be formed.
   */
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly request?: SipRequest,
  ) {
    super(`SIP ${status}: ${reason}`);
    this.name = 'SipParseError';
  }
}
