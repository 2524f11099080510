import type { RegistrarStore, StoredBinding } from './registrar-store';
import { StoreUnavailableError } from './registrar-store';
import { isStoreMessage, type StoreReply, type StoreRequest } from './cluster-journal-messages';

/** Longest a worker waits for the primary's answer before the REGISTER gets 503, ms. */
export const CLUSTER_STORE_TIMEOUT_MS = 2_000;

type Reply = Extract<StoreReply, { sipStore: 'reply' }>;

type Pending = {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * The embedded store as a cluster worker sees it (`SIP_WORKERS` > 1, `SIP_STORE` a journal):
 * the primary holds the one journal ({@link serveClusterJournal}) and every worker asks it over
 * the cluster's IPC channel, so the workers share registrations as nodes share a Redis — a
 * REGISTER is answered from the primary's view of its address of record, and the other workers
 * are told to drop their copy. An answer that does not come within
 * {@link CLUSTER_STORE_TIMEOUT_MS}, or a primary gone, is a {@link StoreUnavailableError}.
 */
export class ClusterStore implements RegistrarStore {
  readonly kind = 'journal';
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: ((aor: string) => void)[] = [];
  private nextId = 1;

  constructor() {
    process.on('message', this.onMessage);
    process.on('disconnect', this.onDisconnect);
  }

  get available(): boolean {
    return process.connected;
  }

  /** Nothing to load: each REGISTER reads its address of record from the primary. */
  async restore(): Promise<StoredBinding[]> {
    return [];
  }

  async save(binding: StoredBinding): Promise<void> {
    await this.ask({ sipStore: 'save', id: this.nextId++, binding });
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.ask({ sipStore: 'remove', id: this.nextId++, aor, contact });
  }

  async lookup(aor: string): Promise<StoredBinding[]> {
    return (await this.ask({ sipStore: 'lookup', id: this.nextId++, aor })).bindings ?? [];
  }

  onRemoteChange(listener: (aor: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    process.off('message', this.onMessage);
    process.off('disconnect', this.onDisconnect);
    this.failAll('closed');
  }

  private ask(request: StoreRequest): Promise<Reply> {
    if (!process.connected || process.send === undefined) {
      return Promise.reject(new StoreUnavailableError('journal', 'the primary is gone'));
    }
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line no-restricted-globals -- a watchdog on another process: wall time
      const timer = setTimeout(() => {
        this.pending.delete(request.id);
        reject(
          new StoreUnavailableError(
            'journal',
            `the primary did not answer within ${CLUSTER_STORE_TIMEOUT_MS} ms`,
          ),
        );
      }, CLUSTER_STORE_TIMEOUT_MS);
      this.pending.set(request.id, { resolve, reject, timer });
      process.send!(request);
    });
  }

  private readonly onMessage = (message: unknown): void => {
    if (!isStoreMessage(message)) return;
    const reply = message as StoreReply;
    if (reply.sipStore === 'changed') {
      for (const listener of this.listeners) listener(reply.aor);
      return;
    }
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return; // timed out already
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.error !== undefined)
      pending.reject(new StoreUnavailableError('journal', reply.error));
    else pending.resolve(reply);
  };

  private readonly onDisconnect = (): void => this.failAll('the primary is gone');

  private failAll(reason: string): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(new StoreUnavailableError('journal', reason));
    }
  }
}
