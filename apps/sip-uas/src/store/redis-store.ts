import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { AorChange, AorUpdate, RegistrarStore, StoredBinding } from './registrar-store';
import { StoreUnavailableError } from './registrar-store';
import { makeStringPrototypeFast } from './fast-string-prototype';

// ioredis has just defined `class VerbatimString extends String` (see makeStringPrototypeFast).
makeStringPrototypeFast();

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Prefix of every key and of the change channel. Default `sip`. */
  readonly prefix?: string;
  /** Longest a command may take before the store counts as unavailable, ms. Default 1,000. */
  readonly commandTimeoutMs?: number;
}

/**
 * A REGISTER's change to one address of record, in one step that runs alone on the server (no
 * other node's command falls between its reads and writes). KEYS: the contact set. ARGV: the
 * prefix of the binding keys (same hash tag, so the same cluster slot), the Call-ID, the CSeq,
 * the most contacts (0: no limit), the change channel, the change message, `*` to remove every
 * binding (else empty), then a triple per contact: the contact, its expiry in ms since the epoch
 * (`0` removes it), the binding as JSON.
 *
 * Reads the bindings first, dropping from the set the members whose key expired. A contact whose
 * binding was last written by a CSeq ≥ this one of the same Call-ID is left as it is (RFC 3261
 * §10.3 step 7, whichever node's write arrives last). When the contacts added would exceed the
 * limit nothing is written. Publishes one change notice when something changed. Returns 1 (or 0:
 * refused by the limit) followed by the JSON of every binding after the change.
 */
const UPDATE_SCRIPT = `
local set, prefix = KEYS[1], ARGV[1]
local values, count = {}, 0
for _, contact in ipairs(redis.call('SMEMBERS', set)) do
  local value = redis.call('GET', prefix .. contact)
  if value then
    values[contact] = value
    count = count + 1
  else
    redis.call('SREM', set, contact)
  end
end
local changed = false
if ARGV[7] == '*' then
  for contact in pairs(values) do redis.call('DEL', prefix .. contact) end
  if count > 0 then redis.call('DEL', set) end
  values, changed = {}, count > 0
else
  local plan, added, adding = {}, 0, {}
  local cseq = tonumber(ARGV[3])
  for i = 8, #ARGV, 3 do
    local contact, old = ARGV[i], values[ARGV[i]]
    local keep = false
    if old and ARGV[2] ~= '' then
      local ok, stored = pcall(cjson.decode, old)
      keep = ok and stored.callId == ARGV[2] and tonumber(stored.cseq) >= cseq
    end
    if not keep then
      plan[#plan + 1] = i
      if ARGV[i + 1] ~= '0' and not old and not adding[contact] then
        adding[contact] = true
        added = added + 1
      end
    end
  end
  local limit = tonumber(ARGV[4])
  if limit > 0 and count + added > limit then
    local refused = {0}
    for _, value in pairs(values) do refused[#refused + 1] = value end
    return refused
  end
  for _, i in ipairs(plan) do
    local contact, expiresAt = ARGV[i], ARGV[i + 1]
    if expiresAt == '0' then
      if values[contact] then
        redis.call('DEL', prefix .. contact)
        redis.call('SREM', set, contact)
        values[contact], changed = nil, true
      end
    else
      redis.call('SET', prefix .. contact, ARGV[i + 2], 'PXAT', expiresAt)
      redis.call('SADD', set, contact)
      redis.call('PEXPIREAT', set, expiresAt, 'GT')
      redis.call('PEXPIREAT', set, expiresAt, 'NX')
      values[contact], changed = ARGV[i + 2], true
    end
  end
end
if changed then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
local result = {1}
for _, value in pairs(values) do result[#result + 1] = value end
return result
`;

/** The script above as a command of the client (`defineCommand`). */
interface ScriptCommands {
  sipUpdateAor(...args: (string | number)[]): Promise<[0 | 1, ...string[]]>;
}

/**
 * The shared registrar store on Redis (or Valkey): one key per binding,
 * `<prefix>:{<aor>}:b:<contact>`, holding the binding as JSON with the binding's expiry as the
 * key's own expiry (`PXAT`), plus a set per address of record, `<prefix>:{<aor>}:contacts`,
 * listing its contacts. The `{<aor>}` hash tag keeps an address of record's keys in one cluster
 * slot, so a whole REGISTER — read, decide, write, notify — is one Lua script on one node
 * ({@link RedisStore.update}): two nodes updating one address of record at the same instant
 * cannot interleave. Each change is published on `<prefix>:changes` so other nodes drop their
 * cached copy.
 *
 * The scripts of one event-loop turn go out together in one write (the client's automatic
 * pipelining), each with its own answer: an error of one reaches only its caller. Commands never
 * queue while Redis is unreachable: they fail at once with {@link StoreUnavailableError} (the
 * registrar answers 503 with `Retry-After`), and the client reconnects by itself with back-off,
 * the store available again as soon as it has.
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
    // Automatic pipelining: the commands issued in one turn of the event loop (the REGISTERs of
    // one batch of datagrams) leave in one write once the turn ends, instead of a write each —
    // the write was most of the client's CPU per REGISTER. While one batch awaits its answers
    // the next one gathers (one batch in flight per connection), so a batch grows with the load.
    this.redis = new Redis(url, { ...common, enableAutoPipelining: true }) as Redis &
      ScriptCommands;
    // Sent by SHA (EVALSHA), the script's text only when the server does not know it yet.
    this.redis.defineCommand('sipUpdateAor', { lua: UPDATE_SCRIPT, numberOfKeys: 1 });
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
    const { aor, contact, expiresAt, callId, cseq } = binding;
    await this.update(aor, { contacts: [{ contact, expiresAt }], callId, cseq, maxContacts: 0 });
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.update(aor, removal(contact));
  }

  async lookup(aor: string): Promise<StoredBinding[]> {
    return [...(await this.update(aor, QUERY)).bindings];
  }

  async update(aor: string, change: AorChange): Promise<AorUpdate> {
    const { contacts, callId, cseq } = change;
    const args: (string | number)[] = [
      this.setKey(aor),
      this.bindingKey(aor, ''),
      callId,
      cseq,
      change.maxContacts,
      this.channel,
      `${this.nodeId}\t${aor}`,
      contacts === '*' ? '*' : '',
    ];
    if (contacts !== '*') {
      for (const { contact, expiresAt } of contacts) {
        const binding: StoredBinding = { aor, contact, expiresAt, callId, cseq };
        args.push(contact, expiresAt, expiresAt === 0 ? '' : JSON.stringify(binding));
      }
    }
    const [accepted, ...values] = await this.call(() => this.redis.sipUpdateAor(...args));
    return {
      accepted: accepted === 1,
      bindings: values.map((value) => JSON.parse(value) as StoredBinding),
    };
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

/** An {@link AorChange} that changes nothing: the update script as a lookup. */
const QUERY: AorChange = { contacts: [], callId: '', cseq: 0, maxContacts: 0 };

/** The change that removes `contact` whatever REGISTER wrote it. */
const removal = (contact: string): AorChange => ({
  contacts: [{ contact, expiresAt: 0 }],
  callId: '',
  cseq: 0,
  maxContacts: 0,
});
