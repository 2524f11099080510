/** What {@link NonceCounts.use} decided. */
export type NonceCountCheck = 'ok' | 'replay' | 'forgotten';

interface Seen {
  readonly issuedAt: number;
  nc: number;
}

/**
 * Replay protection for stateless nonces (RFC 7616 §3.3 `nc`): the highest nonce count seen per
 * nonce, so a request whose count is not above it is refused. Memory is bounded: past
 * `maxNonces` the oldest entry is forgotten and a watermark rises to its issue time; a nonce
 * issued at or before the watermark that is no longer tracked is answered as stale (the client
 * gets a new nonce), so forgetting never reopens a replay.
 *
 * A nonce seen for the first time must come with `nc=1`, as a client's first use of a nonce does.
 */
export class NonceCounts {
  private readonly seen = new Map<string, Seen>();
  private watermark = -Infinity;
  /** Entries forgotten to stay within `maxNonces`. */
  forgotten = 0;

  /**
   * @param maxNonces - most nonces tracked at once.
   * @param lifetimeMs - a nonce's lifetime: entries older than it are dropped first.
   * @param now - the clock, ms.
   */
  constructor(
    private readonly maxNonces: number,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {}

  /** Nonces tracked now. */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Records a use of `nonce` (issued at `issuedAt`) with count `nc` (already parsed from hex).
   * Call it only after the response digest checked out, so a wrong guess does not burn a count.
   */
  use(nonce: string, issuedAt: number, nc: number): NonceCountCheck {
    const entry = this.seen.get(nonce);
    if (entry !== undefined) {
      if (nc <= entry.nc) return 'replay';
      entry.nc = nc;
      return 'ok';
    }
    if (issuedAt <= this.watermark) return 'forgotten';
    if (nc !== 1) return 'replay';
    this.evict();
    this.seen.set(nonce, { issuedAt, nc });
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
