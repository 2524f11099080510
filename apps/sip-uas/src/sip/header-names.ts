/**
 * The header names the parser acts on, recognized in place in the message text: no slice, no
 * lower-casing, no table lookup per header line. A string-keyed lookup with a slice of the
 * datagram probes V8's string table (the slice is not internalized), which on a busy server
 * holds every Call-ID and branch a `Map` ever keyed; comparing a few candidates of the right
 * length char by char costs a fraction of that.
 */

/** The lower-case full names of the headers the parser acts on (each a literal). */
export const KNOWN_HEADER_NAMES: readonly string[] = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'content-length',
  'contact',
  'content-type',
  'expires',
  'require',
  'proxy-require',
  'supported',
  'max-forwards',
  'authorization',
  'proxy-authorization',
];

/**
 * RFC 3261 §7.3.3 compact forms of those names (`e`, Content-Encoding, and `s`, Subject, are
 * compact forms of headers the parser ignores).
 */
export const COMPACT_HEADER_FORMS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  k: 'supported',
  t: 'to',
  v: 'via',
};

const NAMES_BY_LENGTH = groupByLength(KNOWN_HEADER_NAMES);
/** {@link COMPACT_HEADER_FORMS} by lower-case char code. */
const COMPACT = compactTable(COMPACT_HEADER_FORMS);

/**
 * The lower-case full name of the header whose name is `text[start, end)`, compact forms
 * expanded, when it is one the parser acts on (Via, From, To, Call-ID, CSeq, Content-Length,
 * Contact, Content-Type, Expires, Require, Proxy-Require, Supported, Max-Forwards,
 * Authorization, Proxy-Authorization); `undefined` for any other name. Names compare
 * case-insensitively (RFC 3261 §7.3.1).
 *
 * @param text - the header block.
 * @param start - the name's first char.
 * @param end - one past its last char (trailing white space already excluded).
 */
export function knownHeaderName(text: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 1) return COMPACT[text.charCodeAt(start) | 0x20];
  const candidates = NAMES_BY_LENGTH[length];
  if (candidates === undefined) return undefined;
  for (const name of candidates) if (matchesLowerCase(text, start, name)) return name;
  return undefined;
}

/**
 * Whether `text` holds `name` at `at`, ignoring the case of ASCII letters.
 *
 * @param name - lower-case ASCII.
 */
export function matchesLowerCase(text: string, at: number, name: string): boolean {
  if (at + name.length > text.length) return false;
  for (let i = 0; i < name.length; i++) {
    const want = name.charCodeAt(i);
    const got = text.charCodeAt(at + i);
    // An upper-case letter is its lower-case code minus 32; nothing else may differ.
    if (got !== want && (want < 97 || want > 122 || got !== want - 32)) return false;
  }
  return true;
}

function groupByLength(names: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (const name of names) (groups[name.length] ??= []).push(name);
  return groups;
}

function compactTable(forms: Readonly<Record<string, string>>): (string | undefined)[] {
  const table: (string | undefined)[] = new Array<string | undefined>(128).fill(undefined);
  for (const [letter, name] of Object.entries(forms)) table[letter.charCodeAt(0)] = name;
  return table;
}
