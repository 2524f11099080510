/** The sent-by and parameters of a Via written the usual way (see {@link simpleVia}). */
export interface SimpleVia {
  /** The sent-by host as written: a host name or an IPv4 address. */
  readonly host: string;
  /** The sent-by port, when there is one. */
  readonly port: number | undefined;
  /** `;`-separated parameters from the first `;` on (`''` when there are none). */
  readonly params: string;
}

/**
 * Reads a Via value written the way nearly every UA writes it — `SIP/2.0/<letters> <host>`,
 * an optional `:<port>` of 1–5 digits up to 65535, then the end or `;` and parameters, the host
 * made of letters, digits, `.` and `-`, no line terminator anywhere — by index, with no regular
 * expression. Any other form gives `null`, and the caller takes its general path (the one that
 * knows white space around the slashes, IPv6 references and what makes a Via bad), which this
 * one agrees with on every value it accepts: the top Via is read for the sanity check and for
 * the response route of every request, so the usual form is worth a path of its own.
 *
 * @param via - a Via header value (one element).
 */
export function simpleVia(via: string): SimpleVia | null {
  if (!via.startsWith('SIP/2.0/')) return null;
  let at = 8;
  while (at < via.length && isLetter(via.charCodeAt(at))) at++;
  if (at === 8 || via.charCodeAt(at) !== 32) return null;
  const hostStart = ++at;
  while (at < via.length && isHostChar(via.charCodeAt(at))) at++;
  if (at === hostStart) return null;
  const host = via.slice(hostStart, at);
  let port: number | undefined;
  if (via.charCodeAt(at) === 58 /* : */) {
    const digitsStart = ++at;
    let value = 0;
    while (at < via.length && at - digitsStart < 6) {
      const code = via.charCodeAt(at);
      if (code < 48 || code > 57) break;
      value = value * 10 + (code - 48);
      at++;
    }
    const digits = at - digitsStart;
    if (digits === 0 || digits > 5 || value > 65_535) return null;
    port = value;
  }
  if (at < via.length && via.charCodeAt(at) !== 59 /* ; */) return null;
  for (let i = at; i < via.length; i++) if (isLineTerminator(via.charCodeAt(i))) return null;
  return { host, port, params: via.slice(at) };
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isHostChar(code: number): boolean {
  return isLetter(code) || (code >= 48 && code <= 57) || code === 46 || code === 45;
}

/** What `.` in a regular expression does not match. */
function isLineTerminator(code: number): boolean {
  return code === 10 || code === 13 || code === 0x2028 || code === 0x2029;
}
