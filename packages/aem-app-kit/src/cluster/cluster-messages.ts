/**
 * The messages between a cluster's primary and its workers (over the cluster IPC channel).
 * Every message carries `aem` so other IPC users (prom-client's metrics requests) are left alone.
 *
 * @internal
 */
export type PrimaryToWorker =
  | { readonly aem: 'upgrade'; readonly id: number }
  | { readonly aem: 'health'; readonly id: number };

/** @internal */
export type WorkerToPrimary =
  | {
      readonly aem: 'upgraded';
      readonly id: number;
      readonly ok: boolean;
      readonly version: string;
      readonly error?: string;
    }
  | { readonly aem: 'health'; readonly id: number; readonly health: unknown }
  | { readonly aem: 'status'; readonly status: unknown };

/** Whether an IPC message is one of ours. @internal */
export function isAemMessage(message: unknown): message is { readonly aem: string } {
  return typeof message === 'object' && message !== null && 'aem' in message;
}
