import Redis from 'ioredis';
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
    it('never drops from the set a binding another node wrote again while it looked up', async () => {
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

  describe('a REGISTER in one step (update)', () => {
    const aor = 'sip:erin@example.org';
    const later = (ms: number): number => Date.now() + ms;
    const contactsIn = (bindings: readonly StoredBinding[]): string[] =>
      bindings.map((b) => b.contact).sort();

    it('sets and removes contacts, returns the bindings after the change and notifies others once', async () => {
      const nodeA = await open();
      const nodeB = await open();
      const seenByB: string[] = [];
      nodeB.onRemoteChange((changed) => seenByB.push(changed));
      const first = await nodeA.update(aor, {
        contacts: [
          { contact: 'sip:e1@10.0.4.1', expiresAt: later(60_000) },
          { contact: 'sip:e2@10.0.4.2', expiresAt: later(60_000) },
        ],
        callId: 'erin-1',
        cseq: 1,
        maxContacts: 16,
      });
      expect(first.accepted).toBe(true);
      expect(contactsIn(first.bindings)).toEqual(['sip:e1@10.0.4.1', 'sip:e2@10.0.4.2']);
      expect(first.bindings.find((b) => b.contact === 'sip:e1@10.0.4.1')).toMatchObject({
        aor,
        callId: 'erin-1',
        cseq: 1,
      });
      const second = await nodeB.update(aor, {
        contacts: [
          { contact: 'sip:e1@10.0.4.1', expiresAt: 0 },
          { contact: 'sip:e3@10.0.4.3', expiresAt: later(60_000) },
        ],
        callId: 'erin-2',
        cseq: 1,
        maxContacts: 16,
      });
      expect(contactsIn(second.bindings)).toEqual(['sip:e2@10.0.4.2', 'sip:e3@10.0.4.3']);
      // A query changes nothing and tells no one.
      const query = { contacts: [], callId: 'erin-3', cseq: 1, maxContacts: 16 };
      expect(contactsIn((await nodeA.update(aor, query)).bindings)).toEqual(
        contactsIn(second.bindings),
      );
      await eventually(() => seenByB.length === 1);
      await nodeB.update(aor, query); // a round trip after A's notice would have arrived
      expect(seenByB).toEqual([aor]);
    });

    it('removes every binding with *', async () => {
      const store = await open();
      const wildcard = 'sip:wild@example.org';
      await store.save(binding('sip:w1@10.0.5.1', 60_000, wildcard));
      await store.save(binding('sip:w2@10.0.5.2', 60_000, wildcard));
      const gone = await store.update(wildcard, {
        contacts: '*',
        callId: 'w',
        cseq: 2,
        maxContacts: 16,
      });
      expect(gone).toEqual({ accepted: true, bindings: [] });
      expect(await store.lookup(wildcard)).toEqual([]);
    });

    it('refuses a change beyond the most contacts and writes none of it', async () => {
      const store = await open();
      const full = 'sip:full@example.org';
      const contacts = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => ({
          contact: `sip:f${from + i}@10.0.6.1`,
          expiresAt: later(60_000),
        }));
      const change = { callId: 'full', cseq: 1, maxContacts: 3 };
      expect((await store.update(full, { ...change, contacts: contacts(0, 2) })).accepted).toBe(
        true,
      );
      const refused = await store.update(full, { ...change, cseq: 2, contacts: contacts(1, 4) });
      expect(refused.accepted).toBe(false);
      expect(contactsIn(refused.bindings)).toEqual(['sip:f0@10.0.6.1', 'sip:f1@10.0.6.1']);
      expect(contactsIn(await store.lookup(full))).toEqual(['sip:f0@10.0.6.1', 'sip:f1@10.0.6.1']);
      // A contact listed twice counts once; a refresh adds none.
      const fits = await store.update(full, {
        ...change,
        cseq: 3,
        contacts: [...contacts(1, 3), ...contacts(2, 3)],
      });
      expect(fits.accepted).toBe(true);
      expect(fits.bindings).toHaveLength(3);
    });

    it('leaves a binding written by the same or a later CSeq of the Call-ID as it is', async () => {
      const store = await open();
      const cseqAor = 'sip:frank@example.org';
      const contact = 'sip:frank@10.0.7.1';
      const at = (cseq: number, expiresAt: number) =>
        store.update(cseqAor, {
          contacts: [{ contact, expiresAt }],
          callId: 'frank-1',
          cseq,
          maxContacts: 16,
        });
      const expiresAt = later(60_000);
      await at(5, expiresAt);
      expect((await at(5, later(10_000))).bindings[0]).toMatchObject({ cseq: 5, expiresAt });
      expect((await at(4, 0)).bindings).toHaveLength(1); // an older removal does not apply
      expect((await at(6, 0)).bindings).toEqual([]);
    });

    // The updates of one event-loop turn leave in one pipeline: they still apply in the order
    // they were issued, so the last one issued for an address of record is what stays.
    it('applies the updates issued in one turn in their order', async () => {
      const store = await open();
      const ordered = 'sip:grace@example.org';
      const contact = 'sip:grace@10.0.8.1';
      const updates = Array.from({ length: 200 }, (_, i) =>
        store.update(ordered, {
          contacts: [{ contact, expiresAt: later(60_000 + i) }],
          callId: `grace-${i}`,
          cseq: 1,
          maxContacts: 16,
        }),
      );
      const results = await Promise.all(updates);
      results.forEach((result, i) => expect(result.bindings[0]?.callId).toBe(`grace-${i}`));
      expect((await store.lookup(ordered))[0]?.callId).toBe('grace-199');
    });

    it('fails only the update whose script failed among those sent together', async () => {
      const store = await open();
      const raw = new Redis(redis.url);
      try {
        // Not a set: the script's SMEMBERS fails with WRONGTYPE for this address of record only.
        await raw.set('sip:{sip:broken@example.org}:contacts', 'not a set');
      } finally {
        raw.disconnect();
      }
      const change = (i: number) => ({
        contacts: [{ contact: `sip:h${i}@10.0.9.1`, expiresAt: later(60_000) }],
        callId: `h-${i}`,
        cseq: 1,
        maxContacts: 16,
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 9 }, (_, i) =>
          store.update(i === 4 ? 'sip:broken@example.org' : `sip:h${i}@example.org`, change(i)),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        ...Array(4).fill('fulfilled'),
        'rejected',
        ...Array(4).fill('fulfilled'),
      ]);
      const failure = (outcomes[4] as PromiseRejectedResult).reason as StoreUnavailableError;
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(failure.reason).toMatch(/WRONGTYPE/);
      expect(store.available).toBe(true);
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
