import { resolve } from 'node:path';
import type { SipUasConfig } from '../config';
import { JournalStore } from './journal-store';
import { MemoryStore } from './memory-store';
import { RedisStore } from './redis-store';
import type { RegistrarStore } from './registrar-store';

/** How long the start waits for Redis before giving up, ms. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The store `SIP_STORE` names, as the start-up line tells it: `redis redis://…`, `memory`, or
 * `journal <absolute path>`. With several workers each worker keeps its own journal
 * (`<path>.w<index>`): one file has one writer.
 *
 * @param workerIndex - the cluster worker's index (`AEM_WORKER_INDEX`) when `config.workers > 1`.
 */
export function describeStore(config: SipUasConfig, workerIndex?: string): string {
  if (/^rediss?:\/\//i.test(config.store)) return `redis ${redactUrl(config.store)}`;
  if (config.store === 'memory') return 'memory (registrations are lost at a restart)';
  return `journal ${journalPath(config, workerIndex)}${config.storeFsync ? ' (fsync)' : ''}`;
}

/**
 * Opens the store `SIP_STORE` names ({@link SipUasConfig.store}): the embedded journal (the
 * default), Redis, or none.
 *
 * @param warn - told of journal records skipped at replay.
 * @throws (rejects) `Error` when Redis cannot be reached within {@link REDIS_CONNECT_TIMEOUT_MS}
 *   (a node refuses to start without its shared store), or the journal cannot be opened.
 */
export async function openStore(
  config: SipUasConfig,
  workerIndex: string | undefined,
  warn: (message: string) => void,
): Promise<RegistrarStore> {
  if (config.store === 'memory') return new MemoryStore();
  if (!/^rediss?:\/\//i.test(config.store)) {
    return new JournalStore(journalPath(config, workerIndex), { fsync: config.storeFsync, warn });
  }
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

function journalPath(config: SipUasConfig, workerIndex: string | undefined): string {
  const path = resolve(config.store);
  return config.workers > 1 && workerIndex !== undefined ? `${path}.w${workerIndex}` : path;
}

/** The URL without its password (start-up lines and errors are logged). */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
