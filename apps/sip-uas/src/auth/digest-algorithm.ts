import { hash } from 'node:crypto';

/**
 * The digest algorithms the registrar offers and checks (RFC 7616 §3.3 and RFC 8760 for SIP):
 * `MD5` (what every SIP client has), `SHA-256` and `SHA-512-256`. The `-sess` variants are not
 * offered, so a response that names one is refused.
 */
export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'SHA-512-256';

/** Every algorithm, in the order of preference RFC 8760 gives (strongest first). */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-512-256', 'SHA-256', 'MD5'];

const NODE_HASH: Record<DigestAlgorithm, string> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

/** The algorithm a header's `algorithm=` names (case-insensitive; absent means MD5), or null. */
export function parseDigestAlgorithm(text: string | undefined): DigestAlgorithm | null {
  if (text === undefined) return 'MD5';
  const upper = text.toUpperCase();
  return DIGEST_ALGORITHMS.find((name) => name === upper) ?? null;
}

/**
 * `H(text)` of RFC 7616 §3.4: the hex digest of the UTF-8 text. One-shot `crypto.hash` (Node
 * ≥ 21.7): no Hash object per call — a challenge answer takes two of these.
 */
export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return hash(NODE_HASH[algorithm], text, 'hex');
}

/** `HA1 = H(username ":" realm ":" password)`: what a credentials file stores. */
export function digestHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/** The values a `qop=auth` response digest is computed from. */
export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** `H(username:realm:password)`. */
  readonly ha1: string;
  /** The request method (`REGISTER`, `INVITE`). */
  readonly method: string;
  /** The `uri` parameter exactly as the client sent it. */
  readonly uri: string;
  readonly nonce: string;
  /** Nonce count, 8 hex digits as sent. */
  readonly nc: string;
  readonly cnonce: string;
}

/** `response = H(HA1 ":" nonce ":" nc ":" cnonce ":auth:" H(method ":" uri))` (RFC 7616 §3.4.1). */
export function digestResponse(input: DigestResponseInput): string {
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  return digestHash(
    input.algorithm,
    `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:auth:${ha2}`,
  );
}
