import type { NonceOrigin } from './nonce-issuer';

/** What {@link NonceCounts.use} decided. */
export type NonceCountCheck = 'ok' | 'replay' | 'forgotten';

/** The issuer whose nonces are counted in the array: its id and how many it issued so far. */
export interface OwnNonces {
  /** Its id (the issuer field of its nonces). */
  readonly id: number;
  /** Nonces it issued so far, modulo 2³² (the serial of the next one). */
  readonly issued: number;
}

interface Seen {
  readonly issuedAt: number;
  nc: number;
}

/**
 * Replay protection for stateless nonces (RFC 7616 §3.3 `nc`): the highest nonce count seen per
 * nonce, so a request whose count is not above it is refused. A nonce seen for the first time
 * must come with `nc=1`, as a client's first use of a nonce does. Memory is bounded twice over
 * by `maxNonces`, and forgetting never reopens a replay:
 *
 * - **This process's nonces** (issuer = `own.id`), nearly all of them when each connection stays
 *   on one worker: an array slot per serial modulo `maxNonces` (Kamailio's `nid` index does the
 *   same), no map and no allocation per request. A serial more than `maxNonces` issues old is
 *   answered as forgotten (stale: the client gets a new nonce) — its slot may have been reused.
 * - **Other issuers' nonces** (another worker or node sharing the secret, or a process before a
 *   restart): a map by nonce; past `maxNonces` the oldest entry is forgotten and a watermark
 *   rises to its issue time; a nonce issued at or before the watermark that is no longer
 *   tracked is answered as forgotten.
 */
export class NonceCounts {
  private readonly seen = new Map<string, Seen>();
  private watermark = -Infinity;
  /** Per slot: the serial of the own nonce last used there. */
  private readonly serials: Uint32Array;
  /** Per slot: that nonce's highest count; 0 while the slot holds none. */
  private readonly counts: Uint32Array;
  /** Other issuers' entries forgotten to stay within `maxNonces`. */
  forgotten = 0;

  /**
   * @param maxNonces - most nonces tracked at once (own and others' each); the own ones take
   *   8 bytes each, allocated here.
   * @param lifetimeMs - a nonce's lifetime: others' entries older than it are dropped first.
   * @param now - the clock, ms.
   * @param own - the issuer whose nonces go to the array (its serials must count up by one per
   *   nonce); without it every nonce goes to the map.
   */
  constructor(
    private readonly maxNonces: number,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
    private readonly own?: OwnNonces,
  ) {
    if (!Number.isInteger(maxNonces) || maxNonces < 1)
      throw new RangeError(`maxNonces must be a positive integer, not ${maxNonces}`);
    this.serials = new Uint32Array(own === undefined ? 0 : maxNonces);
    this.counts = new Uint32Array(own === undefined ? 0 : maxNonces);
  }

  /** Other issuers' nonces tracked now (the own ones live in a fixed array). */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Records a use of `nonce` (from `origin`) with count `nc` (already parsed from hex).
   * Call it only after the response digest checked out, so a wrong guess does not burn a count.
   */
  use(nonce: string, origin: NonceOrigin, nc: number): NonceCountCheck {
    if (this.own !== undefined && origin.issuer === this.own.id)
      return this.useOwn(origin.serial, nc);
    const entry = this.seen.get(nonce);
    if (entry !== undefined) {
      if (nc <= entry.nc) return 'replay';
      entry.nc = nc;
      return 'ok';
    }
    if (origin.issuedAt <= this.watermark) return 'forgotten';
    if (nc !== 1) return 'replay';
    this.evict();
    this.seen.set(nonce, { issuedAt: origin.issuedAt, nc });
    return 'ok';
  }

  private useOwn(serial: number, nc: number): NonceCountCheck {
    // Issued this many nonces ago (1 = the latest); modulo 2³² like the serials themselves.
    const age = (this.own!.issued - serial) >>> 0;
    if (age === 0 || age > this.maxNonces) return 'forgotten';
    // Within the window no two serials share a slot: one holding another serial holds an older
    // nonce's count (now out of the window), so this is the nonce's first use.
    const slot = serial % this.maxNonces;
    if (this.counts[slot] !== 0 && this.serials[slot] === serial) {
      if (nc <= this.counts[slot]!) return 'replay';
      this.counts[slot] = nc;
      return 'ok';
    }
    if (nc !== 1) return 'replay';
    this.serials[slot] = serial;
    this.counts[slot] = 1;
    return 'ok';
  }

  /** Drops expired entries at the front, then the oldest while over the bound. */
  private evict(): void {
    const expiredBefore = this.now() - this.lifetimeMs;
    for (const [nonce, entry] of this.seen) {
      if (entry.issuedAt >= expiredBefore && this.seen.size < this.maxNonces) break;
      this.seen.delete(nonce);
      if (entry.issuedAt >= expiredBefore) {
        this.forgotten++;
        this.watermark = Math.max(this.watermark, entry.issuedAt);
      }
    }
  }
}
