import type { RegistrarStore, StoredBinding } from './registrar-store';

/**
 * No store at all (`SIP_STORE=memory`): the registrar's own table is the only copy, so a
 * restart forgets every binding — the behaviour before stores existed, kept for tests and for
 * measuring what persistence costs. Every change is taken at once.
 */
export class MemoryStore implements RegistrarStore {
  readonly kind = 'memory';
  readonly available = true;

  async restore(): Promise<StoredBinding[]> {
    return [];
  }

  save(): Promise<void> {
    return DONE;
  }

  remove(): Promise<void> {
    return DONE;
  }

  async lookup(): Promise<null> {
    return null;
  }

  onRemoteChange(): void {
    // One process, nothing shared: nothing changes behind its back.
  }

  async close(): Promise<void> {
    // Nothing held.
  }
}

const DONE = Promise.resolve();
