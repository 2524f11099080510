/**
 * A parsed SIP request. Header values are kept as received (after unfolding and trimming) so
 * responses copy them byte for byte; the fields a UAS decides on are parsed out.
 */
export interface SipRequest {
  readonly kind: 'request';
  /** The method, as sent (methods are case-sensitive, RFC 3261 §7.1). */
  readonly method: string;
  /** The Request-URI. */
  readonly uri: string;
  /** Each Via of the request, topmost first (comma-joined values are split). */
  readonly via: readonly string[];
  /** The topmost Via's `branch` parameter; `''` when absent. */
  readonly branch: string;
  /** The From header value. */
  readonly from: string;
  /** The From tag; `''` when absent. */
  readonly fromTag: string;
  /** The To header value. */
  readonly to: string;
  /** The To tag; `''` outside a dialog. */
  readonly toTag: string;
  /** The Call-ID. */
  readonly callId: string;
  /** The CSeq header value (`"<number> <method>"`). */
  readonly cseq: string;
  /** The CSeq sequence number. */
  readonly cseqNumber: number;
  /**
   * The other headers this UAS acts on (Contact, Content-Type, Expires, Require, Proxy-Require,
   * Supported, Max-Forwards, Authorization, Proxy-Authorization) by lower-case full name, compact forms expanded, values in order.
   */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The body (may be empty). */
  readonly body: Buffer;
}
