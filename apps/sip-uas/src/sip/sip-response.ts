import type { SipRequest } from './sip-message';

/** What a response adds to the headers copied from its request. */
export interface ResponseExtras {
  /**
   * The tag this UAS puts on To when the request's To has none (every response but 100,
   * RFC 3261 §8.2.6.2); ignored when the request already carries a To tag.
   */
  readonly toTag?: string;
  /** Further header lines, each ending in CRLF (`Contact: <…>\r\n`). */
  readonly headers?: string;
  /** The body; sent with `Content-Type: application/sdp` unless `contentType` says otherwise. */
  readonly body?: string;
  /** The body's media type. Default `application/sdp`. */
  readonly contentType?: string;
}

/** The `Server` header of every response. */
export const SERVER_HEADER = 'Server: aem-sip-uas\r\n';

/**
 * Builds a response to `request` (RFC 3261 §8.2.6): status line; the request's Via headers in
 * order, From, Call-ID and CSeq copied; To copied with this UAS's tag added when it has none
 * (except on 100 Trying, which never carries one); `Content-Length` always (required over TCP).
 *
 * @param request - the request answered.
 * @param status - status code.
 * @param reason - reason phrase.
 * @param extras - tag, extra headers and body.
 * @returns the response text.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason: string,
  extras: ResponseExtras = {},
): string {
  let text = `SIP/2.0 ${status} ${reason}\r\n`;
  for (const via of request.via) text += `Via: ${via}\r\n`;
  text += `From: ${request.from}\r\n`;
  text +=
    request.toTag === '' && status > 100 && extras.toTag !== undefined
      ? `To: ${request.to};tag=${extras.toTag}\r\n`
      : `To: ${request.to}\r\n`;
  text += `Call-ID: ${request.callId}\r\nCSeq: ${request.cseq}\r\n${SERVER_HEADER}`;
  if (extras.headers !== undefined) text += extras.headers;
  const body = extras.body;
  if (body === undefined || body.length === 0) return text + 'Content-Length: 0\r\n\r\n';
  return (
    text +
    `Content-Type: ${extras.contentType ?? 'application/sdp'}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
