import cluster, { type Worker } from 'node:cluster';
import { isStoreMessage, type StoreReply, type StoreRequest } from './cluster-journal-messages';
import type { JournalStore } from './journal-store';
import type { StoredBinding } from './registrar-store';

/**
 * The primary's side of the workers' {@link ClusterStore}: the one journal of the machine, its
 * bindings indexed by address of record, answering the workers' saves, removals and lookups
 * over IPC. A save or removal is answered once the journal took it (so a worker's 200 means
 * the binding survives `kill -9` of any process), then the other workers are told the address
 * of record changed. Lookups leave out (and forget) expired bindings.
 *
 * @param journal - the journal, opened (replayed) by the primary before the workers start.
 * @returns how many unexpired bindings the journal held at start.
 */
export async function serveClusterJournal(journal: JournalStore): Promise<number> {
  const table = new Map<string, Map<string, StoredBinding>>();
  const restored = await journal.restore();
  for (const binding of restored) put(table, binding);

  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isStoreMessage(message)) return;
    const request = message as StoreRequest;
    const reply = (fields: { error?: string; bindings?: StoredBinding[] }): void => {
      const answer: StoreReply = { sipStore: 'reply', id: request.id, ...fields };
      if (worker.isConnected()) worker.send(answer);
    };
    if (request.sipStore === 'lookup') {
      reply({ bindings: current(table, request.aor) });
      return;
    }
    const aor = request.sipStore === 'save' ? request.binding.aor : request.aor;
    const written =
      request.sipStore === 'save'
        ? journal.save(request.binding).then(() => put(table, request.binding))
        : journal.remove(aor, request.contact).then(() => drop(table, aor, request.contact));
    written.then(
      () => {
        reply({});
        const notice: StoreReply = { sipStore: 'changed', aor };
        for (const other of Object.values(cluster.workers ?? {})) {
          if (other !== undefined && other !== worker && other.isConnected()) other.send(notice);
        }
      },
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // Expired bindings leave the index at their address of record's next lookup, and all of them
  // once a minute (an address never asked for again would stay otherwise).
  // eslint-disable-next-line no-restricted-globals -- the primary has no runtime: process supervision
  setInterval(() => {
    for (const aor of [...table.keys()]) current(table, aor);
  }, SWEEP_MS).unref();
  return restored.length;
}

/** Period of the sweep of expired bindings, ms. */
const SWEEP_MS = 60_000;

function put(table: Map<string, Map<string, StoredBinding>>, binding: StoredBinding): void {
  let contacts = table.get(binding.aor);
  if (contacts === undefined) table.set(binding.aor, (contacts = new Map()));
  contacts.set(binding.contact, binding);
}

function drop(table: Map<string, Map<string, StoredBinding>>, aor: string, contact: string): void {
  const contacts = table.get(aor);
  contacts?.delete(contact);
  if (contacts?.size === 0) table.delete(aor);
}

function current(table: Map<string, Map<string, StoredBinding>>, aor: string): StoredBinding[] {
  const contacts = table.get(aor);
  if (contacts === undefined) return [];
  const now = Date.now();
  const live: StoredBinding[] = [];
  for (const binding of contacts.values()) {
    if (binding.expiresAt > now) live.push(binding);
    else drop(table, aor, binding.contact);
  }
  return live;
}
