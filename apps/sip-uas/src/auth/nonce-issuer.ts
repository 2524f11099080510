import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Where a genuine nonce came from: its issue time and its issuer's id and serial number. */
export interface NonceOrigin {
  /** When it was issued, ms (the clock of the node that issued it). */
  readonly issuedAt: number;
  /** The {@link NonceIssuer.id} of the process that issued it. */
  readonly issuer: number;
  /** Its serial number at that issuer (counts up from 0, modulo 2³²). */
  readonly serial: number;
}

/** What {@link NonceIssuer.check} found. */
export type NonceCheck =
  /** Made by a node holding the secret, and younger than the lifetime. */
  | ({ readonly state: 'fresh' } & NonceOrigin)
  /** Genuine but older than the lifetime: re-challenge with `stale=true`. */
  | ({ readonly state: 'stale' } & NonceOrigin)
  /** Not made with this secret (forged, truncated, from another deployment). */
  | { readonly state: 'invalid' };

/** Bytes of a nonce before encoding: issue time (8), issuer id (4), serial (4), MAC (16). */
const NONCE_BYTES = 32;
const MAC_OFFSET = 16;
/** Characters of a nonce: base64url of 32 bytes, unpadded. */
const NONCE_CHARS = 43;
/** Clock skew between nodes tolerated for a nonce "from the future", ms. */
const MAX_SKEW_MS = 5_000;
/** SHA-256's block size: the HMAC pads' length (RFC 2104). */
const BLOCK = 64;
const DIGEST = 32;

/**
 * Stateless digest nonces: `base64url(issuedAt ‖ issuer ‖ serial ‖ HMAC-SHA-256(secret,
 * issuedAt ‖ issuer ‖ serial ‖ realm)[0..16))` — RFC 7616 §3.3's suggested time stamp plus a
 * keyed hash. Any process or node holding the same secret checks them without shared state;
 * the issue time inside gives expiry (`stale=true` after `lifetimeMs`), the MAC makes them
 * unforgeable and, to anyone without the secret, unpredictable; the issuer id (random per
 * process) and the serial make each one unique, and let {@link NonceCounts} keep the nonce
 * counts of this process's own nonces in an array indexed by serial instead of a map.
 *
 * No random draw per nonce: uniqueness comes from (issuer, serial), unpredictability from the
 * MAC (an earlier version drew 8 random bytes a nonce, from a pool, for what the MAC gives).
 *
 * @example
 * ```ts
 * const nonces = new NonceIssuer(secret, 'example.org', 300_000, Date.now);
 * const nonce = nonces.issue();
 * nonces.check(nonce).state; // 'fresh'
 * ```
 */
export class NonceIssuer {
  /** This issuer's id, random at construction: the issuer field of its nonces. */
  readonly id: number = randomBytes(4).readUInt32BE(0);
  /** Nonces issued so far, modulo 2³² (the serial of the next one). */
  issued = 0;
  /**
   * `(key ⊕ ipad) ‖ message` with the message's first 16 bytes rewritten per MAC: the inner
   * hash's input. The realm follows at a fixed offset, written once.
   */
  private readonly inner: Buffer;
  /** `(key ⊕ opad) ‖ inner hash`: the outer hash's input. */
  private readonly outer = Buffer.alloc(BLOCK + DIGEST);
  /** A nonce's bytes while it is being issued (encoded before the next issue reuses them). */
  private readonly scratch = Buffer.alloc(NONCE_BYTES);

  /**
   * @param secret - the HMAC key, at least 16 bytes, shared by every node that checks nonces.
   * @param realm - the realm the nonces are for (a nonce of another realm is invalid).
   * @param lifetimeMs - age at which a nonce turns stale. Kamailio's default is 300 s.
   * @param now - the clock, ms.
   */
  constructor(
    secret: Buffer,
    realm: string,
    readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {
    if (secret.length < 16) throw new RangeError('the nonce secret must be at least 16 bytes');
    // HMAC (RFC 2104) computed as two one-shot hashes over precomputed pads: the same MAC as
    // createHmac('sha256', secret), without a Hmac object (and a key import) per nonce.
    const key = Buffer.alloc(BLOCK);
    (secret.length > BLOCK ? createHash('sha256').update(secret).digest() : secret).copy(key);
    const realmBytes = Buffer.from(realm, 'utf8');
    this.inner = Buffer.alloc(BLOCK + MAC_OFFSET + realmBytes.length);
    for (let i = 0; i < BLOCK; i++) {
      this.inner[i] = key[i]! ^ 0x36;
      this.outer[i] = key[i]! ^ 0x5c;
    }
    realmBytes.copy(this.inner, BLOCK + MAC_OFFSET);
  }

  /** A new nonce. */
  issue(): string {
    const raw = this.scratch;
    writeTime(raw, Math.floor(this.now()));
    raw.writeUInt32BE(this.id, 8);
    raw.writeUInt32BE(this.issued, 12);
    this.issued = (this.issued + 1) >>> 0;
    this.mac(raw).copy(raw, MAC_OFFSET, 0, NONCE_BYTES - MAC_OFFSET);
    return raw.toString('base64url');
  }

  /** Checks a nonce a client sent back. */
  check(nonce: string): NonceCheck {
    if (nonce.length !== NONCE_CHARS || !isBase64Url(nonce)) return { state: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { state: 'invalid' };
    const expected = this.mac(raw).subarray(0, NONCE_BYTES - MAC_OFFSET);
    if (!timingSafeEqual(expected, raw.subarray(MAC_OFFSET))) return { state: 'invalid' };
    const issuedAt = raw.readUInt32BE(0) * 2 ** 32 + raw.readUInt32BE(4);
    const issuer = raw.readUInt32BE(8);
    const serial = raw.readUInt32BE(12);
    const age = this.now() - issuedAt;
    if (age < -MAX_SKEW_MS) return { state: 'invalid' };
    return { state: age > this.lifetimeMs ? 'stale' : 'fresh', issuedAt, issuer, serial };
  }

  /** HMAC-SHA-256(secret, raw[0..16) ‖ realm). */
  private mac(raw: Buffer): Buffer {
    raw.copy(this.inner, BLOCK, 0, MAC_OFFSET);
    hash('sha256', this.inner, 'buffer').copy(this.outer, BLOCK);
    return hash('sha256', this.outer, 'buffer');
  }
}

/** Writes a ms time stamp as 8 bytes big-endian (a BigInt would cost an allocation). */
function writeTime(raw: Buffer, ms: number): void {
  raw.writeUInt32BE(Math.floor(ms / 2 ** 32), 0);
  raw.writeUInt32BE(ms % 2 ** 32, 4);
}

/** Whether every character is of the base64url alphabet `[A-Za-z0-9_-]`. */
function isBase64Url(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x5f
    ))
      return false;
  }
  return true;
}
