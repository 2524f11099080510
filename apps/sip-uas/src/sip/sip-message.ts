import { knownHeaderName, matchesLowerCase } from './header-names';
import { SipParseError } from './sip-parse.error';
import type { SipRequest } from './sip-request';

export type { SipRequest } from './sip-request';

/** A SIP response received by the server (to a BYE it sent); only its status is read. */
export interface SipResponseLine {
  readonly kind: 'response';
  /** The status code. */
  readonly status: number;
  /** The Call-ID, when present. */
  readonly callId: string;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * Whether `code` is white space to `String.prototype.trim` (ECMAScript WhiteSpace and
 * LineTerminator): header names are trimmed exactly as before they were recognized in place.
 */
function isTrimmed(code: number): boolean {
  return code <= 32
    ? code === 32 || (code >= 9 && code <= 13)
    : code === 0xa0 ||
        code === 0x1680 ||
        (code >= 0x2000 && code <= 0x200a) ||
        code === 0x2028 ||
        code === 0x2029 ||
        code === 0x202f ||
        code === 0x205f ||
        code === 0x3000 ||
        code === 0xfeff;
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const CSEQ = /^(\d{1,10})\s+(\S+)$/;
const STATUS_LINE = /^SIP\/2\.0 (\d{3}) /;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Parses one SIP message: a frame cut by the `Content-Length` framer (a complete header block
 * and body), or a whole UDP datagram. Never throws anything but {@link SipParseError}.
 *
 * Checks, with the response each failure deserves: a request line of three parts (else nothing
 * is addressable: the connection closes, the datagram is dropped), `SIP/2.0` (505),
 * Via/From/To/Call-ID/CSeq present once each (400, or nothing addressable when one is missing
 * since a response needs them all), a numeric CSeq whose method matches the request's (400), a
 * `sip:`/`sips:` Request-URI (416).
 *
 * A datagram carries its own framing (RFC 3261 §18.3): its header block must end with an empty
 * line (400 `Missing End Of Headers`); with a `Content-Length` the body is that many bytes —
 * bytes past it are discarded, fewer is a 400 `Truncated Body` — and without one the body is
 * the rest of the datagram. A `Content-Length` that is not a number is a 400 on either
 * transport.
 *
 * @param frame - the whole message, headers and body.
 * @param datagram - `true` for a UDP datagram (apply §18.3's datagram rules).
 * @returns the request, or the status line of a response.
 * @throws {@link SipParseError} for a malformed request.
 */
export function parseSipMessage(frame: Buffer, datagram = false): SipRequest | SipResponseLine {
  let headerEnd = frame.indexOf(CRLFCRLF);
  const terminated = headerEnd >= 0;
  if (!terminated) headerEnd = frame.length;
  const text = frame.toString('utf8', 0, headerEnd);
  let pos = text.indexOf('\r\n');
  const startLine = pos < 0 ? text : text.slice(0, pos);

  let via: string[] | undefined;
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let contentLength: string | undefined;
  let duplicate: string | undefined;
  let badLine: string | undefined;
  const headers = new Map<string, string[]>();

  // One pass over the header block by index: no array of lines, only the name and value slices.
  while (pos >= 0) {
    const lineStart = pos + 2;
    let lineEnd = text.indexOf('\r\n', lineStart);
    // Header folding (RFC 3261 §7.3.1): continuation lines start with white space.
    let folded = false;
    while (lineEnd >= 0 && isBlank(text.charCodeAt(lineEnd + 2))) {
      folded = true;
      lineEnd = text.indexOf('\r\n', lineEnd + 2);
    }
    const end = lineEnd < 0 ? text.length : lineEnd;
    pos = lineEnd;
    const colon = text.indexOf(':', lineStart);
    if (colon <= lineStart || colon >= end) {
      badLine ??= text.slice(lineStart, end);
      continue;
    }
    let nameStart = lineStart;
    let nameEnd = colon;
    while (nameStart < nameEnd && isTrimmed(text.charCodeAt(nameStart))) nameStart++;
    while (nameEnd > nameStart && isTrimmed(text.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = knownHeaderName(text, nameStart, nameEnd);
    if (name === undefined) continue; // a header this UAS does not act on
    let valueStart = colon + 1;
    while (valueStart < end && isBlank(text.charCodeAt(valueStart))) valueStart++;
    let value = text.slice(valueStart, end);
    if (folded) value = value.replace(/\r\n[ \t]+/g, ' ');
    value = value.trimEnd();
    switch (name) {
      case 'via':
        via ??= [];
        if (value.indexOf(',') < 0) {
          if (value.length > 0) via.push(value);
        } else {
          for (const item of splitList(value)) via.push(item);
        }
        break;
      case 'from':
        if (from !== undefined) duplicate ??= 'From';
        from = value;
        break;
      case 'to':
        if (to !== undefined) duplicate ??= 'To';
        to = value;
        break;
      case 'call-id':
        if (callId !== undefined) duplicate ??= 'Call-ID';
        callId = value;
        break;
      case 'cseq':
        if (cseq !== undefined) duplicate ??= 'CSeq';
        cseq = value;
        break;
      case 'content-length':
        if (contentLength !== undefined) duplicate ??= 'Content-Length';
        contentLength = value;
        break;
      default: {
        const values = headers.get(name);
        if (values === undefined) headers.set(name, [value]);
        else values.push(value);
      }
    }
  }

  const status = startLine.startsWith('SIP/2.0 ') ? STATUS_LINE.exec(startLine) : null;
  if (status !== null) return { kind: 'response', status: Number(status[1]), callId: callId ?? '' };

  const parts = startLine.split(' ');
  if (parts.length !== 3 || !TOKEN.test(parts[0]) || parts[1].length === 0) {
    throw new SipParseError(400, 'Bad Request-Line');
  }
  const [method, uri, version] = parts;
  if (via?.length === 0) via = undefined;
  if (
    via === undefined ||
    from === undefined ||
    to === undefined ||
    callId === undefined ||
    cseq === undefined
  ) {
    throw new SipParseError(400, `Missing ${missingHeader(via, from, to, callId, cseq)}`);
  }
  const cseqNumber = simpleCSeqNumber(cseq, method);
  // Anything but `<digits> <method>` goes the long way, which tells the defects apart.
  const cseqParts = Number.isNaN(cseqNumber) ? CSEQ.exec(cseq) : null;
  const request: SipRequest = {
    kind: 'request',
    method,
    uri,
    via,
    branch: param(via[0], 'branch'),
    from,
    fromTag: param(addressParams(from), 'tag'),
    to,
    toTag: param(addressParams(to), 'tag'),
    callId,
    cseq,
    cseqNumber: cseqParts === null ? cseqNumber : Number(cseqParts[1]),
    headers,
    body: headerEnd + 4 < frame.length ? frame.subarray(headerEnd + 4) : EMPTY,
  };
  // From here on a response can be formed: each defect is answered with its status.
  if (version !== 'SIP/2.0') throw new SipParseError(505, 'Version Not Supported', request);
  if (duplicate !== undefined) throw new SipParseError(400, `Duplicate ${duplicate}`, request);
  // A datagram cut short (RFC 3261 §18.3): its last "header line" is a fragment, so say why.
  if (datagram && !terminated) throw new SipParseError(400, 'Missing End Of Headers', request);
  if (badLine !== undefined) throw new SipParseError(400, 'Malformed Header Line', request);
  if (Number.isNaN(request.cseqNumber) || request.cseqNumber >= 2 ** 31) {
    throw new SipParseError(400, 'Bad CSeq', request);
  }
  if (cseqParts !== null && cseqParts[2] !== method) {
    throw new SipParseError(400, 'CSeq Method Mismatch', request);
  }
  if (contentLength !== undefined && !DIGITS.test(contentLength)) {
    throw new SipParseError(400, 'Bad Content-Length', request);
  }
  if (callId.length === 0) throw new SipParseError(400, 'Empty Call-ID', request);
  if (!matchesLowerCase(uri, 0, 'sip:') && !matchesLowerCase(uri, 0, 'sips:')) {
    throw new SipParseError(416, 'Unsupported URI Scheme', request);
  }
  if (datagram) {
    const length = datagramBody(contentLength, request.body.length);
    if (typeof length === 'string') throw new SipParseError(400, length, request);
    if (length < request.body.length) return { ...request, body: request.body.subarray(0, length) };
  }
  return request;
}

const EMPTY = Buffer.alloc(0);

/**
 * The number of a CSeq written the usual way — 1 to 10 digits, one space, the request's method
 * and nothing else — read without a regular expression; `NaN` for any other form.
 */
function simpleCSeqNumber(cseq: string, method: string): number {
  let number = 0;
  let at = 0;
  for (; at < cseq.length && at <= 10; at++) {
    const code = cseq.charCodeAt(at);
    if (code < 48 || code > 57) break;
    number = number * 10 + (code - 48);
  }
  const simple =
    at >= 1 &&
    at <= 10 &&
    cseq.charCodeAt(at) === 32 &&
    cseq.length === at + 1 + method.length &&
    cseq.endsWith(method);
  return simple ? number : NaN;
}

const DIGITS = /^\d{1,10}$/;

/**
 * RFC 3261 §18.3 for a datagram: the body's length, or the defect that makes it a 400.
 *
 * @param contentLength - the `Content-Length` value, if any (already checked to be digits).
 * @param available - bytes after the header block.
 */
function datagramBody(contentLength: string | undefined, available: number): number | string {
  if (contentLength === undefined) return available;
  const length = Number(contentLength);
  return length > available ? 'Truncated Body' : length;
}

function missingHeader(...values: unknown[]): string {
  const names = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];
  return names[values.findIndex((value) => value === undefined)] ?? 'Via';
}

/**
 * Splits a comma-separated header list (Via, Contact) at top-level commas: commas inside quoted
 * strings and `<…>` are part of a value.
 *
 * @param value - the header value.
 * @returns the trimmed, non-empty elements.
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return value.length === 0 ? [] : [value];
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle = true;
    else if (ch === '>') angle = false;
    else if (ch === ',' && !angle) {
      const item = value.slice(start, i).trim();
      if (item.length > 0) out.push(item);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last.length > 0) out.push(last);
  return out;
}

/**
 * The header parameters of a name-addr/addr-spec value (From, To, Contact): what follows the
 * `>` of `<uri>`, or — without angle brackets — what follows the URI's first `;` (RFC 3261
 * §20.10: then the URI's own parameters are header parameters).
 *
 * @param value - the header value.
 */
export function addressParams(value: string): string {
  const close = value.lastIndexOf('>');
  if (close >= 0) return value.slice(close + 1);
  const semi = value.indexOf(';');
  return semi < 0 ? '' : value.slice(semi);
}

/**
 * The URI of a name-addr or addr-spec (`"Bob" <sip:bob@h>;tag=1` → `sip:bob@h`).
 *
 * @param value - the header value.
 */
export function addressUri(value: string): string {
  const open = value.indexOf('<');
  if (open >= 0) {
    const close = value.indexOf('>', open);
    return value.slice(open + 1, close < 0 ? value.length : close).trim();
  }
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}

/**
 * A `;name=value` parameter of a parameter string; `''` when absent (a valueless flag also
 * gives `''`), a quoted value unquoted. Names compare case-insensitively.
 *
 * @param params - text holding `;`-separated parameters.
 * @param name - lower-case parameter name.
 */
export function param(params: string, name: string): string {
  const value = findParam(params, name);
  return value === undefined ? '' : unquote(value);
}

/**
 * The value of the first `;name` or `;name=value` parameter of a parameter string, white space
 * around it trimmed, as written (quotes kept); `''` for a flag, `undefined` when absent. Read
 * in place: no array of items, no slice but the value's.
 *
 * @param params - text holding `;`-separated parameters (what precedes the first `;` is not one).
 * @param name - lower-case parameter name.
 */
export function findParam(params: string, name: string): string | undefined {
  let at = params.indexOf(';');
  while (at >= 0) {
    const next = params.indexOf(';', at + 1);
    const end = next < 0 ? params.length : next;
    let key = at + 1;
    while (key < end && isTrimmed(params.charCodeAt(key))) key++;
    if (matchesLowerCase(params, key, name)) {
      let after = key + name.length;
      while (after < end && isTrimmed(params.charCodeAt(after))) after++;
      if (after === end) return '';
      if (params.charCodeAt(after) === 61 /* = */) return params.slice(after + 1, end).trim();
    }
    at = next;
  }
  return undefined;
}

function unquote(value: string): string {
  return value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"'
    ? value.slice(1, -1)
    : value;
}

/**
 * The one value of a single-valued header, or `undefined`.
 *
 * @param request - the request.
 * @param name - lower-case full header name.
 */
export function header(request: SipRequest, name: string): string | undefined {
  return request.headers.get(name)?.[0];
}
