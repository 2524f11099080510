import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { RegistrarStore, StoredBinding } from './registrar-store';
import { StoreUnavailableError } from './registrar-store';

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Prefix of every key and of the change channel. Default `sip`. */
  readonly prefix?: string;
  /** Longest a command may take before the store counts as unavailable, ms. Default 1,000. */
  readonly commandTimeoutMs?: number;
}

/**
 * Saves one binding atomically (one script runs alone on the server: no other node's command
 * falls between its steps). KEYS: the binding's key, the address of record's contact set.
 * ARGV: the binding as JSON, its expiry (ms since the epoch), its contact, its Call-ID, its CSeq,
 * the change channel, the change message. A binding stored by a later CSeq of the same Call-ID
 * stays (RFC 3261 §10.3 step 7, whichever node's write arrives last): returns 0 then, else 1.
 */
const SAVE_SCRIPT = `
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, old = pcall(cjson.decode, stored)
  if ok and old.callId == ARGV[4] and tonumber(old.cseq) > tonumber(ARGV[5]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[2], 'GT')
redis.call('PEXPIREAT', KEYS[2], ARGV[2], 'NX')
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`;

/**
 * Reads an address of record's bindings atomically and drops from its contact set the members
 * whose binding key expired — in the same step, so a member another node writes again meanwhile
 * is never dropped. KEYS: the contact set. ARGV: the prefix of its binding keys (same hash tag,
 * so the same cluster slot). Returns the bindings' JSON.
 */
const LOOKUP_SCRIPT = `
local found = {}
for _, contact in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local value = redis.call('GET', ARGV[1] .. contact)
  if value then found[#found + 1] = value else redis.call('SREM', KEYS[1], contact) end
end
return found
`;

/** The scripts above as commands of the client (`defineCommand`). */
interface ScriptCommands {
  sipSaveBinding(...args: (string | number)[]): Promise<number>;
  sipLookupAor(setKey: string, bindingKeyPrefix: string): Promise<string[]>;
}

/**
 * The shared registrar store on Redis (or Valkey): one key per binding,
 * `<prefix>:{<aor>}:b:<contact>`, holding the binding as JSON with the binding's expiry as the
 * key's own expiry (`PXAT`), plus a set per address of record, `<prefix>:{<aor>}:contacts`,
 * listing its contacts. The `{<aor>}` hash tag keeps an address of record's keys in one cluster
 * slot, so every change and every lookup is one atomic step on one node (a Lua script, or
 * `MULTI` for a removal): two nodes updating one address of record at the same instant cannot
 * interleave. Each change is published on `<prefix>:changes` so other nodes drop their cached
 * copy.
 *
 * Commands never queue while Redis is unreachable: they fail at once with
 * {@link StoreUnavailableError} (the registrar answers 503 with `Retry-After`), and the client
 * reconnects by itself with back-off, the store available again as soon as it has.
 */
export class RedisStore implements RegistrarStore {
  readonly kind = 'redis';
  private readonly redis: Redis & ScriptCommands;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly nodeId = randomUUID();
  private readonly listeners: ((aor: string) => void)[] = [];
  /** Set once {@link RedisStore.ready} subscribed: from then on every reconnect resubscribes. */
  private subscribed = false;

  /** Connects to `url` (`redis://host:port/db`); commands work once {@link RedisStore.ready}. */
  constructor(url: string, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? 'sip';
    const common = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, 2_000),
      lazyConnect: true,
    };
    this.redis = new Redis(url, common) as Redis & ScriptCommands;
    // Sent by SHA (EVALSHA), the script's text only when the server does not know it yet.
    this.redis.defineCommand('sipSaveBinding', { lua: SAVE_SCRIPT, numberOfKeys: 2 });
    this.redis.defineCommand('sipLookupAor', { lua: LOOKUP_SCRIPT, numberOfKeys: 1 });
    // The client's own resubscription after a reconnect leaves its promise unhandled: a close
    // (or another drop) before Redis answers it was an unhandled rejection that ended the
    // process. This store resubscribes itself on every reconnect and handles the outcome; a
    // failure is retried by the next reconnect, and until then only change notices are missed
    // (lookups read Redis itself).
    this.subscriber = new Redis(url, {
      ...common,
      enableOfflineQueue: true,
      autoResubscribe: false,
    });
    this.subscriber.on('ready', () => {
      if (this.subscribed) this.subscriber.subscribe(this.channel).catch(() => undefined);
    });
    // Errors while disconnected are reported by `available` and by the failing commands.
    this.redis.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const tab = message.indexOf('\t');
      if (message.slice(0, tab) === this.nodeId) return;
      const aor = message.slice(tab + 1);
      for (const listener of this.listeners) listener(aor);
    });
  }

  /** Connects both clients and subscribes to the change channel. */
  async ready(): Promise<this> {
    await Promise.all([this.redis.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(this.channel);
    this.subscribed = true;
    return this;
  }

  get available(): boolean {
    return this.redis.status === 'ready';
  }

  async restore(): Promise<StoredBinding[]> {
    return [];
  }

  async save(binding: StoredBinding): Promise<void> {
    const { aor, contact } = binding;
    await this.call(() =>
      this.redis.sipSaveBinding(
        this.bindingKey(aor, contact),
        this.setKey(aor),
        JSON.stringify(binding),
        binding.expiresAt,
        contact,
        binding.callId,
        binding.cseq,
        this.channel,
        `${this.nodeId}\t${aor}`,
      ),
    );
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.run(
      this.redis
        .multi()
        .del(this.bindingKey(aor, contact))
        .srem(this.setKey(aor), contact)
        .publish(this.channel, `${this.nodeId}\t${aor}`),
    );
  }

  async lookup(aor: string): Promise<StoredBinding[]> {
    const values = await this.call(() =>
      this.redis.sipLookupAor(this.setKey(aor), this.bindingKey(aor, '')),
    );
    return values.map((value) => JSON.parse(value) as StoredBinding);
  }

  onRemoteChange(listener: (aor: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    this.subscriber.disconnect();
  }

  private get channel(): string {
    return `${this.prefix}:changes`;
  }

  private bindingKey(aor: string, contact: string): string {
    return `${this.prefix}:{${aor}}:b:${contact}`;
  }

  private setKey(aor: string): string {
    return `${this.prefix}:{${aor}}:contacts`;
  }

  private async run(transaction: ReturnType<Redis['multi']>): Promise<void> {
    const results = await this.call(() => transaction.exec());
    const failed = results?.find(([error]) => error !== null);
    if (results === null || failed !== undefined)
      throw new StoreUnavailableError('redis', String(failed?.[0] ?? 'transaction aborted'));
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    if (!this.available)
      throw new StoreUnavailableError('redis', `not connected (${this.redis.status})`);
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailableError(
        'redis',
        error instanceof Error ? error.message : String(error),
      );
    }
  }
}
