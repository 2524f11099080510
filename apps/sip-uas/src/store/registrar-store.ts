/** One registrar binding as a store keeps it (times in ms since the epoch, so they survive a restart). */
export interface StoredBinding {
  /** The address of record, normalized. */
  readonly aor: string;
  /** The contact URI. */
  readonly contact: string;
  /** When it expires, `Date.now()` ms. */
  readonly expiresAt: number;
  /** Call-ID of the REGISTER that last refreshed it. */
  readonly callId: string;
  /** CSeq number of that REGISTER. */
  readonly cseq: number;
}

/** One contact of an {@link AorChange}: bound until `expiresAt` (`Date.now()` ms), or removed when it is 0. */
export interface ContactChange {
  /** The contact URI. */
  readonly contact: string;
  /** When the binding expires, `Date.now()` ms; 0 removes it. */
  readonly expiresAt: number;
}

/**
 * A REGISTER's changes to one address of record (RFC 3261 §10.3 steps 6–8), for a store that
 * decides and applies them in one atomic step where the bindings live ({@link RegistrarStore.update}).
 */
export interface AorChange {
  /** `'*'` removes every binding (step 6); otherwise these contacts are set or removed, in order (none: a query). */
  readonly contacts: '*' | readonly ContactChange[];
  /** Call-ID of the REGISTER; `''` (a change that comes from no REGISTER) skips the CSeq rule. */
  readonly callId: string;
  /** CSeq number of the REGISTER: a binding last refreshed by a CSeq ≥ this of the same Call-ID stays as it is (step 7). */
  readonly cseq: number;
  /** Most bindings the address of record may hold after the change (nothing is written beyond); 0: no limit. */
  readonly maxContacts: number;
}

/** What {@link RegistrarStore.update} did. */
export interface AorUpdate {
  /** `false` when the change would have exceeded {@link AorChange.maxContacts}: nothing was written. */
  readonly accepted: boolean;
  /** Every unexpired binding of the address of record after the change (as it was, when refused). */
  readonly bindings: readonly StoredBinding[];
}

/**
 * Where the registrar's bindings live beyond the process: the embedded journal (one node; a
 * restart keeps every unexpired binding) or Redis (several nodes see each other's bindings).
 * The registrar keeps its own table in memory and writes through: a REGISTER is answered 200
 * only after the store took the change, and a store that cannot take it makes the REGISTER fail
 * with 500/503 and `Retry-After` ({@link StoreUnavailableError}).
 */
export interface RegistrarStore {
  /** `journal` or `redis`, for the start-up line and `/health`. */
  readonly kind: string;
  /** Whether the store takes writes now. */
  readonly available: boolean;
  /**
   * The bindings to load into the local table at start: every unexpired one for the embedded
   * journal; none for a shared store, whose bindings are read per address of record.
   */
  restore(): Promise<StoredBinding[]>;
  /** Adds or refreshes a binding. @throws (rejects) {@link StoreUnavailableError}. */
  save(binding: StoredBinding): Promise<void>;
  /** Removes a binding (absent: no-op). @throws (rejects) {@link StoreUnavailableError}. */
  remove(aor: string, contact: string): Promise<void>;
  /**
   * The unexpired bindings of `aor`, other nodes' included, or `null` when the local table is
   * the whole truth (the embedded journal). @throws (rejects) {@link StoreUnavailableError}.
   */
  lookup(aor: string): Promise<StoredBinding[] | null>;
  /**
   * A REGISTER in one step, for a store shared by several nodes: reads the address of record's
   * bindings, applies `change` to them (the CSeq rule and the contact limit decided on the
   * store's own view, so no other node's change falls in between), writes it, tells the other
   * nodes once, and returns the bindings after it — one round trip instead of a lookup and a
   * write per contact. A store whose local table is the whole truth (the embedded journal) leaves
   * it out: the registrar then decides on its table and writes with `save` and `remove`.
   * @throws (rejects) {@link StoreUnavailableError}.
   */
  update?(aor: string, change: AorChange): Promise<AorUpdate>;
  /** Tells `listener` of addresses of record changed by other nodes (to drop cached copies). */
  onRemoteChange(listener: (aor: string) => void): void;
  /** Flushes and releases the store. */
  close(): Promise<void>;
}

/** The store cannot take or give bindings now; answer 503 with `Retry-After`. */
export class StoreUnavailableError extends Error {
  /** Stable code. */
  readonly code = 'SIP_STORE_UNAVAILABLE';
  constructor(
    readonly store: string,
    readonly reason: string,
    /** Seconds a client should wait before retrying. */
    readonly retryAfterS = 5,
  ) {
    super(`the ${store} store is unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Whether `error` is a {@link StoreUnavailableError}, by its `code`: the handlers are loaded again
 * at each hot upgrade (a module registry of their own), so their copy of the class is not the
 * one the store was built with, and `instanceof` would say no.
 */
export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SIP_STORE_UNAVAILABLE'
  );
}
