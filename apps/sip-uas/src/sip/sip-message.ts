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

/** RFC 3261 §7.3.3 compact header names. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
};

/** Header names as written → lower-case full names: the same few names arrive again and again. */
const NAMES = new Map<string, string>();
const NAMES_LIMIT = 512;

function headerName(raw: string): string {
  let name = NAMES.get(raw);
  if (name !== undefined) return name;
  name = raw.trim().toLowerCase();
  if (name.length === 1) name = COMPACT[name] ?? name;
  if (NAMES.size < NAMES_LIMIT) NAMES.set(raw, name);
  return name;
}

/** The other headers a request keeps (what this UAS acts on); the rest are parsed and dropped. */
const KEPT_HEADERS: ReadonlySet<string> = new Set([
  'contact',
  'content-type',
  'expires',
  'require',
  'proxy-require',
  'supported',
  'max-forwards',
  'authorization',
  'proxy-authorization',
]);

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
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
    const name = headerName(text.slice(lineStart, colon));
    let valueStart = colon + 1;
    while (valueStart < end && isBlank(text.charCodeAt(valueStart))) valueStart++;
    let value = text.slice(valueStart, end);
    if (folded) value = value.replace(/\r\n[ \t]+/g, ' ');
    value = value.trimEnd();
    switch (name) {
      case 'via':
        (via ??= []).push(...splitList(value));
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
        if (!KEPT_HEADERS.has(name)) break;
        const values = headers.get(name);
        if (values === undefined) headers.set(name, [value]);
        else values.push(value);
      }
    }
  }

  const status = STATUS_LINE.exec(startLine);
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
  const cseqParts = CSEQ.exec(cseq);
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
    cseqNumber: cseqParts === null ? NaN : Number(cseqParts[1]),
    headers,
    body: headerEnd + 4 < frame.length ? frame.subarray(headerEnd + 4) : EMPTY,
  };
  // From here on a response can be formed: each defect is answered with its status.
  if (version !== 'SIP/2.0') throw new SipParseError(505, 'Version Not Supported', request);
  if (duplicate !== undefined) throw new SipParseError(400, `Duplicate ${duplicate}`, request);
  // A datagram cut short (RFC 3261 §18.3): its last "header line" is a fragment, so say why.
  if (datagram && !terminated) throw new SipParseError(400, 'Missing End Of Headers', request);
  if (badLine !== undefined) throw new SipParseError(400, 'Malformed Header Line', request);
  if (cseqParts === null || request.cseqNumber >= 2 ** 31) {
    throw new SipParseError(400, 'Bad CSeq', request);
  }
  if (cseqParts[2] !== method) throw new SipParseError(400, 'CSeq Method Mismatch', request);
  if (contentLength !== undefined && !DIGITS.test(contentLength)) {
    throw new SipParseError(400, 'Bad Content-Length', request);
  }
  if (callId.length === 0) throw new SipParseError(400, 'Empty Call-ID', request);
  const scheme = uri.slice(0, uri.indexOf(':') + 1).toLowerCase();
  if (scheme !== 'sip:' && scheme !== 'sips:') {
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
 * gives `''`). Names compare case-insensitively.
 *
 * @param params - text holding `;`-separated parameters.
 * @param name - lower-case parameter name.
 */
export function param(params: string, name: string): string {
  let at = params.indexOf(';');
  while (at >= 0) {
    const next = params.indexOf(';', at + 1);
    const item = params.slice(at + 1, next < 0 ? params.length : next);
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    if (key === name) return eq < 0 ? '' : unquote(item.slice(eq + 1).trim());
    at = next;
  }
  return '';
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
