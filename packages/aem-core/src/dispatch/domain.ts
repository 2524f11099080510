import type { ParkedActivations } from './parked-activations';

/** Options of {@link Aem.createDomain}. */
export interface DomainOptions {
  /**
   * Most activations this domain may have queued (ready, waiting for the domain, or held by a
   * stopped event). Default: the runtime's `limits.maxQueuePerDomain`.
   */
  readonly maxQueue?: number;
}

/**
 * A serialization domain: the activations of all events in one domain run one at a time — an
 * async handler's promise is awaited before the next one starts — while different domains
 * interleave freely. Give one domain to everything that must not race: a connection, a call, a
 * transaction.
 *
 * An event without an explicit domain is its own domain, so its own activations never overlap.
 *
 * Create domains with {@link Aem.createDomain}; a domain is a plain object that the garbage
 * collector reclaims once nothing references it.
 *
 * @example
 * ```ts
 * const call = runtime.createDomain('call-42');
 * channel.call('messages', { topic: 'call-42' }, async (msg) => {
 *   await store.save(msg); // the next message of call-42 waits for this
 * }, { domain: call });
 * ```
 */
// Structurally a DomainState (kept out of the public type surface, hence no `implements`).
export class Domain {
  /** @internal */ _busy = false;
  /** @internal */ _queued = 0;
  /** @internal */ _parked: ParkedActivations | null = null;
  /** @internal */ _tokenQueued = false;

  /**
   * @param name - name shown in errors and metrics.
   * @param _maxQueue - queue limit for this domain.
   * @internal Use {@link Aem.createDomain}.
   */
  constructor(
    readonly name: string,
    /** @internal */ readonly _maxQueue: number,
  ) {}

  /** @internal */
  get _name(): string {
    return this.name;
  }

  /** Activations of this domain that are queued and have not run yet. */
  get queued(): number {
    return this._queued;
  }

  /** True while an async handler of this domain is running. */
  get busy(): boolean {
    return this._busy;
  }
}
