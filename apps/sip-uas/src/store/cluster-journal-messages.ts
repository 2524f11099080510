import type { StoredBinding } from './registrar-store';

/**
 * The IPC messages between the workers' {@link ClusterStore} and the primary's journal
 * ({@link serveClusterJournal}). Every message carries `sipStore` so other IPC users (the kit's
 * cluster messages, prom-client's) are left alone.
 */
export type StoreRequest =
  | { readonly sipStore: 'save'; readonly id: number; readonly binding: StoredBinding }
  | {
      readonly sipStore: 'remove';
      readonly id: number;
      readonly aor: string;
      readonly contact: string;
    }
  | { readonly sipStore: 'lookup'; readonly id: number; readonly aor: string };

/** The primary's answers, and its notice that another worker changed an address of record. */
export type StoreReply =
  | {
      readonly sipStore: 'reply';
      readonly id: number;
      readonly error?: string;
      readonly bindings?: StoredBinding[];
    }
  | { readonly sipStore: 'changed'; readonly aor: string };

/** Whether an IPC message is one of the store's. */
export function isStoreMessage(message: unknown): message is { readonly sipStore: string } {
  return typeof message === 'object' && message !== null && 'sipStore' in message;
}
