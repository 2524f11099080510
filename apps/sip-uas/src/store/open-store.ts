import cluster from 'node:cluster';
import { resolve } from 'node:path';
import type { SipUasConfig } from '../config';
import { ClusterStore } from './cluster-store';
import { JournalStore } from './journal-store';
import { MemoryStore } from './memory-store';
import type { RedisStore as RedisStoreClass } from './redis-store';
import type { RegistrarStore } from './registrar-store';

/** How long the start waits for Redis before giving up, ms. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The store `SIP_STORE` names, as the start-up line tells it: `redis redis://…`, `memory`, or
 * `journal <absolute path>`. With several workers the primary keeps the one journal and the
 * workers ask it (one file has one writer).
 */
export function describeStore(config: SipUasConfig): string {
  if (isRedis(config)) return `redis ${redactUrl(config.store)}`;
  if (config.store === 'memory') {
    return `memory (lost at a restart${config.workers > 1 ? ', one table per worker' : ''})`;
  }
  return (
    `journal ${journalPath(config)}${config.storeFsync ? ' (fsync)' : ''}` +
    (config.workers > 1 ? ' (kept by the primary for every worker)' : '')
  );
}

/** Whether `SIP_STORE` names the embedded journal. */
export function isJournal(config: SipUasConfig): boolean {
  return config.store !== 'memory' && !isRedis(config);
}

/** The journal's absolute path. */
export function journalPath(config: SipUasConfig): string {
  return resolve(config.store);
}

/**
 * Opens the store `SIP_STORE` names ({@link SipUasConfig.store}): the embedded journal (the
 * default; in a cluster worker, the primary's journal over IPC), Redis, or none.
 *
 * @param warn - told of journal records skipped at replay.
 * @throws (rejects) `Error` when Redis cannot be reached within {@link REDIS_CONNECT_TIMEOUT_MS}
 *   (a node refuses to start without its shared store), or the journal cannot be opened.
 */
export async function openStore(
  config: SipUasConfig,
  warn: (message: string) => void,
): Promise<RegistrarStore> {
  if (config.store === 'memory') return new MemoryStore();
  if (isJournal(config)) {
    if (config.workers > 1 && cluster.isWorker) return new ClusterStore();
    return new JournalStore(journalPath(config), { fsync: config.storeFsync, warn });
  }
  // Loaded only for a Redis store: ioredis is a large module, and it subclasses String (its RESP3
  // `VerbatimString`), which leaves String.prototype slow until redis-store.ts makes it fast again
  // (fast-string-prototype.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RedisStore } = require('./redis-store') as { RedisStore: typeof RedisStoreClass };
  const store = new RedisStore(config.store);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      store.ready(),
      new Promise<never>((_, reject) => {
        // eslint-disable-next-line no-restricted-globals -- start-up watchdog, before the runtime exists
        timer = setTimeout(
          () => reject(new Error(`timed out after ${REDIS_CONNECT_TIMEOUT_MS} ms`)),
          REDIS_CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    await store.close();
    throw new Error(
      `SIP_STORE ${redactUrl(config.store)}: cannot reach Redis: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

function isRedis(config: SipUasConfig): boolean {
  return /^rediss?:\/\//i.test(config.store);
}

/** The URL without its password (start-up lines and errors are logged). */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
