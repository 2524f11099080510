/**
 * What the table needs of a domain: whether it is idle — nothing queued, no handler running.
 * `@aem/core`'s `Domain` has both (`queued`, `busy`).
 *
 * @internal
 */
export interface IdleCheck {
  readonly queued: number;
  readonly busy: boolean;
}

/**
 * The per-key domains of one socket bound with `domainKey`: same key → same domain, so the
 * datagrams of one key are handled one at a time and in order, while keys interleave.
 *
 * Invariants:
 * - at most `max` domains are live;
 * - a domain is only forgotten while idle (nothing queued, no handler running): a busy key
 *   keeps its domain, so its next datagram queues behind the ones before it. A key that comes
 *   back after its idle domain was forgotten gets a fresh domain — no order is lost, since
 *   nothing of the old one was pending;
 * - idle domains are forgotten when the table is full and a new key arrives (a sweep of the
 *   whole table). When a sweep frees nothing, the next `floor(max / 16)` new keys are refused
 *   without sweeping again, so a table full of busy domains costs O(16) per refused datagram,
 *   not O(max) (a table under 16 domains is swept every time).
 *
 * @internal
 */
export class KeyedDomains<D extends IdleCheck> {
  private readonly domains = new Map<string, D>();
  /** New keys to refuse before the next sweep after a sweep that freed nothing. */
  private refusalsBeforeSweep = 0;
  private readonly refusalsPerFailedSweep: number;

  /**
   * @param max - most live domains.
   * @param create - makes the domain of a new key.
   */
  constructor(
    readonly max: number,
    private readonly create: (key: string) => D,
  ) {
    this.refusalsPerFailedSweep = max >> 4;
  }

  /** Live domains. */
  get size(): number {
    return this.domains.size;
  }

  /** The domain of `key`, made when new; `null` when the table is full of busy domains. */
  get(key: string): D | null {
    const domain = this.domains.get(key);
    if (domain !== undefined) return domain;
    if (this.domains.size >= this.max && !this.makeRoom()) return null;
    const made = this.create(key);
    this.domains.set(key, made);
    return made;
  }

  /** Every live domain (to wait for them at close). */
  values(): IterableIterator<D> {
    return this.domains.values();
  }

  /** Forgets every domain. */
  clear(): void {
    this.domains.clear();
  }

  private makeRoom(): boolean {
    if (this.refusalsBeforeSweep > 0) {
      this.refusalsBeforeSweep--;
      return false;
    }
    for (const [key, domain] of this.domains) {
      if (domain.queued === 0 && !domain.busy) this.domains.delete(key);
    }
    if (this.domains.size < this.max) return true;
    this.refusalsBeforeSweep = this.refusalsPerFailedSweep;
    return false;
  }
}
