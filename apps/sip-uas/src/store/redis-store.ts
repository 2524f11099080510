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
 * The shared registrar store on Redis (or Valkey): one key per binding,
 * `<prefix>:{<aor>}:b:<contact>`, holding the binding as JSON with the binding's expiry as the
 * key's own expiry (`PXAT`), plus a set per address of record, `<prefix>:{<aor>}:contacts`,
 * listing its contacts. The `{<aor>}` hash tag keeps an address of record's keys in one cluster
 * slot, so every change is one `MULTI` on one node. Each change is published on
 * `<prefix>:changes` so other nodes drop their cached copy.
 *
 * Commands never queue while Redis is unreachable: they fail at once with
 * {@link StoreUnavailableError} (the registrar answers 503 with `Retry-After`), and the client
 * reconnects by itself with back-off, the store available again as soon as it has.
 */
export class RedisStore implements RegistrarStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly nodeId = randomUUID();
  private readonly listeners: ((aor: string) => void)[] = [];

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
    this.redis = new Redis(url, common);
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: true });
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
    await this.subscriber.subscribe(`${this.prefix}:changes`);
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
    await this.run(
      this.redis
        .multi()
        .set(this.bindingKey(aor, contact), JSON.stringify(binding), 'PXAT', binding.expiresAt)
        .sadd(this.setKey(aor), contact)
        // The set lives as long as its longest binding (GT: never shortened by a shorter one).
        .pexpireat(this.setKey(aor), binding.expiresAt, 'GT')
        .pexpireat(this.setKey(aor), binding.expiresAt, 'NX')
        .publish(`${this.prefix}:changes`, `${this.nodeId}\t${aor}`),
    );
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.run(
      this.redis
        .multi()
        .del(this.bindingKey(aor, contact))
        .srem(this.setKey(aor), contact)
        .publish(`${this.prefix}:changes`, `${this.nodeId}\t${aor}`),
    );
  }

  async lookup(aor: string): Promise<StoredBinding[]> {
    const contacts = await this.call(() => this.redis.smembers(this.setKey(aor)));
    if (contacts.length === 0) return [];
    const values = await this.call(() =>
      this.redis.mget(contacts.map((contact) => this.bindingKey(aor, contact))),
    );
    const bindings: StoredBinding[] = [];
    const gone: string[] = [];
    values.forEach((value, i) => {
      if (value === null) gone.push(contacts[i]!);
      else bindings.push(JSON.parse(value) as StoredBinding);
    });
    // Members whose binding key expired: tidy the set (best effort; the next lookup retries).
    if (gone.length > 0) this.redis.srem(this.setKey(aor), ...gone).catch(() => undefined);
    return bindings;
  }

  onRemoteChange(listener: (aor: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    this.subscriber.disconnect();
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
