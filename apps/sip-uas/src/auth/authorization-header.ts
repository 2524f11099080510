/**
 * The parameters of an `Authorization` / `Proxy-Authorization` header with the `Digest` scheme
 * (RFC 3261 §25.1 `digest-response`), names lower-cased, quoted values unescaped.
 */
export type DigestParams = ReadonlyMap<string, string>;

/** Most parameters accepted in one header: a longer one is malformed (and cannot cost much). */
const MAX_PARAMS = 32;

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const EQUALS = 0x3d;

function isSpace(code: number): boolean {
  return code === SPACE || code === TAB || code === 0x0d || code === 0x0a;
}

/** `[A-Za-z0-9_-]`: the characters of a parameter name. */
function isNameChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x5f || // _
    code === 0x2d // -
  );
}

/**
 * Parses `Digest username="alice", realm="x", nc=00000001, …` in one pass over the text by
 * index (no regular expression, no copy of the rest at each parameter: every request with
 * credentials comes here): each name and value is the only string made.
 *
 * @returns the parameters, or `null` when the scheme is not Digest, a parameter is repeated,
 *   a quoted string is not closed, or the syntax is otherwise broken.
 */
export function parseDigestHeader(value: string): DigestParams | null {
  const length = value.length;
  let i = 0;
  while (i < length && isSpace(value.charCodeAt(i))) i++;
  if (length - i < 7 || value.slice(i, i + 6).toLowerCase() !== 'digest') return null;
  i += 6;
  if (!isSpace(value.charCodeAt(i))) return null;
  while (i < length && isSpace(value.charCodeAt(i))) i++;
  const params = new Map<string, string>();
  while (i < length) {
    const nameStart = i;
    while (i < length && isNameChar(value.charCodeAt(i))) i++;
    if (i === nameStart) return null;
    const key = value.slice(nameStart, i).toLowerCase();
    while (i < length && isSpace(value.charCodeAt(i))) i++;
    if (value.charCodeAt(i) !== EQUALS) return null;
    i++;
    while (i < length && isSpace(value.charCodeAt(i))) i++;
    let text: string;
    if (value.charCodeAt(i) === QUOTE) {
      const close = value.indexOf('"', i + 1);
      if (close < 0) return null;
      const slash = value.indexOf('\\', i + 1);
      if (slash < 0 || slash > close) {
        text = value.slice(i + 1, close);
        i = close + 1;
      } else {
        // quoted-pair (RFC 3261 §25.1): `\x` stands for `x`, a `\"` does not close the string.
        text = '';
        i++;
        for (;;) {
          if (i >= length) return null;
          const code = value.charCodeAt(i++);
          if (code === QUOTE) break;
          if (code === BACKSLASH) {
            if (i >= length) return null;
            text += value[i++];
          } else text += value[i - 1];
        }
      }
    } else {
      const start = i;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (isSpace(code) || code === COMMA || code === QUOTE) break;
      }
      if (i === start) return null;
      text = value.slice(start, i);
    }
    if (params.has(key) || params.size >= MAX_PARAMS) return null;
    params.set(key, text);
    // Then white space and either a comma (and more white space) or the end.
    while (i < length && isSpace(value.charCodeAt(i))) i++;
    if (i < length) {
      if (value.charCodeAt(i) !== COMMA) return null;
      i++;
      while (i < length && isSpace(value.charCodeAt(i))) i++;
    }
  }
  return params;
}

/** Quotes a value for a challenge header (`\` and `"` escaped). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
