import { startRedis, type RedisProcess } from '../../test/redis-server';
import { RedisStore } from './redis-store';
import { StoreUnavailableError, type StoredBinding } from './registrar-store';

const binding = (contact: string, ttlMs: number, aor = 'sip:alice@example.org'): StoredBinding => ({
  aor,
  contact,
  expiresAt: Date.now() + ttlMs,
  callId: `call-${contact}`,
  cseq: 1,
});

async function eventually(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('RedisStore (a real redis-server)', () => {
  let redis: RedisProcess;
  const stores: RedisStore[] = [];
  const open = async (): Promise<RedisStore> => {
    const store = await new RedisStore(redis.url).ready();
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await redis.kill();
  });

  it('saves, looks up and removes bindings; a binding expires with its key', async () => {
    const store = await open();
    await store.save(binding('sip:a@10.0.0.1', 60_000));
    await store.save(binding('sip:short@10.0.0.2', 150));
    expect((await store.lookup('sip:alice@example.org')).map((b) => b.contact).sort()).toEqual([
      'sip:a@10.0.0.1',
      'sip:short@10.0.0.2',
    ]);
    await eventually(async () => (await store.lookup('sip:alice@example.org')).length === 1);
    await store.remove('sip:alice@example.org', 'sip:a@10.0.0.1');
    expect(await store.lookup('sip:alice@example.org')).toEqual([]);
    expect(await store.restore()).toEqual([]);
  });

  it("shows one node's registration to another, and tells the other of the change", async () => {
    const nodeA = await open();
    const nodeB = await open();
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    nodeA.onRemoteChange((aor) => seenByA.push(aor));
    nodeB.onRemoteChange((aor) => seenByB.push(aor));
    await nodeA.save(binding('sip:bob@10.0.0.9', 60_000, 'sip:bob@example.org'));
    expect((await nodeB.lookup('sip:bob@example.org')).map((b) => b.contact)).toEqual([
      'sip:bob@10.0.0.9',
    ]);
    await eventually(() => seenByB.includes('sip:bob@example.org'));
    expect(seenByA).toEqual([]);
  });

  describe('two nodes writing one address of record at the same instant', () => {
    const aor = 'sip:carol@example.org';
    const contactsOf = async (store: RedisStore): Promise<string[]> =>
      (await store.lookup(aor)).map((b) => b.contact).sort();

    it('keeps every binding both nodes wrote concurrently', async () => {
      const nodeA = await open();
      const nodeB = await open();
      const wanted: string[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        for (const [node, name] of [
          [nodeA, 'a'],
          [nodeB, 'b'],
        ] as const) {
          const contact = `sip:${name}${i}@10.0.1.${i}`;
          wanted.push(contact);
          writes.push(node.save(binding(contact, 60_000, aor)));
        }
      }
      await Promise.all(writes);
      expect(await contactsOf(nodeA)).toEqual(wanted.sort());
      expect(await contactsOf(nodeB)).toEqual(wanted.sort());
    });

    // Regression: a lookup read the contact set, then the bindings, then dropped from the set
    // the members whose binding it had not found — three steps another node could interleave
    // with. Node B unregistering and registering its phone again between the steps left the
    // phone's binding in Redis but out of the set: the binding was lost to every lookup.
    it("never drops from the set a binding another node wrote again while it looked up", async () => {
      const nodeA = await open();
      const nodeB = await open();
      const phone = 'sip:phone@10.0.2.1';
      await nodeB.save(binding(phone, 60_000, aor));
      for (let round = 0; round < 200; round++) {
        await Promise.all([
          nodeA.lookup(aor),
          nodeA.lookup(aor),
          (async () => {
            await nodeB.remove(aor, phone);
            await nodeB.save(binding(phone, 60_000, aor));
          })(),
          nodeA.lookup(aor),
        ]);
        expect(await contactsOf(nodeB)).toContain(phone);
      }
    });

    it('keeps the later CSeq of one Call-ID whichever node writes last (RFC 3261 §10.3 step 7)', async () => {
      const nodeA = await open();
      const nodeB = await open();
      const contact = 'sip:dave@10.0.3.1';
      const newer = { ...binding(contact, 60_000, aor), callId: 'reg-1', cseq: 7 };
      const older = { ...newer, cseq: 6, expiresAt: newer.expiresAt + 5_000 };
      await nodeA.save(newer);
      await nodeB.save(older); // late: the older REGISTER of the same Call-ID
      const stored = (await nodeA.lookup(aor)).find((b) => b.contact === contact);
      expect(stored).toEqual(newer);
    });
  });

  it('fails fast while Redis is down and recovers by itself when it returns', async () => {
    const store = await open();
    await redis.kill();
    await eventually(() => !store.available);
    await expect(store.save(binding('sip:c@10.0.0.3', 60_000))).rejects.toThrow(
      StoreUnavailableError,
    );
    await expect(store.lookup('sip:alice@example.org')).rejects.toThrow(
      /redis store is unavailable/,
    );
    redis = await startRedis(redis.port);
    await eventually(() => store.available);
    await store.save(binding('sip:c@10.0.0.3', 60_000));
    expect((await store.lookup('sip:alice@example.org')).map((b) => b.contact)).toEqual([
      'sip:c@10.0.0.3',
    ]);
  });
  // Regression: the Redis client resubscribed by itself after a reconnect and left that
  // command's promise unhandled; a store closed before Redis answered it raised an unhandled
  // rejection ("Connection is closed") that failed an unrelated jest suite, and would have
  // ended a server whose Redis flapped.
  it('closes cleanly while it resubscribes after a reconnect', async () => {
    const unhandled: unknown[] = [];
    const collect = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', collect);
    try {
      const flapping = await Promise.all([open(), open(), open()]);
      await redis.kill();
      await eventually(() => flapping.every((store) => !store.available));
      redis = await startRedis(redis.port);
      await eventually(() => flapping.some((store) => store.available));
      await Promise.all(flapping.map((store) => store.close()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', collect);
    }
  });
});
