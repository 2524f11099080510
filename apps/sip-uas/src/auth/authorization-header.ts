/**
 * The parameters of an `Authorization` / `Proxy-Authorization` header with the `Digest` scheme
 * (RFC 3261 §25.1 `digest-response`), names lower-cased, quoted values unescaped.
 */
export type DigestParams = ReadonlyMap<string, string>;

/** Most parameters accepted in one header: a longer one is malformed (and cannot cost much). */
const MAX_PARAMS = 32;

/**
 * Parses `Digest username="alice", realm="x", nc=00000001, …`.
 *
 * @returns the parameters, or `null` when the scheme is not Digest, a parameter is repeated,
 *   a quoted string is not closed, or the syntax is otherwise broken.
 */
export function parseDigestHeader(value: string): DigestParams | null {
  const match = /^\s*digest\s+/i.exec(value);
  if (match === null) return null;
  const params = new Map<string, string>();
  let i = match[0].length;
  while (i < value.length) {
    const name = /^([A-Za-z0-9_-]+)\s*=\s*/.exec(value.slice(i));
    if (name === null) return null;
    i += name[0].length;
    let text: string;
    if (value[i] === '"') {
      text = '';
      i++;
      for (;;) {
        if (i >= value.length) return null;
        const c = value[i++]!;
        if (c === '"') break;
        if (c === '\\') {
          if (i >= value.length) return null;
          text += value[i++];
        } else text += c;
      }
    } else {
      const token = /^[^\s,"]*/.exec(value.slice(i))![0];
      if (token === '') return null;
      text = token;
      i += token.length;
    }
    const key = name[1]!.toLowerCase();
    if (params.has(key) || params.size >= MAX_PARAMS) return null;
    params.set(key, text);
    const rest = /^\s*(,\s*|$)/.exec(value.slice(i));
    if (rest === null) return null;
    i += rest[0].length;
  }
  return params;
}

/** Quotes a value for a challenge header (`\` and `"` escaped). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
