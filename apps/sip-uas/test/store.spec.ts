// The embedded store end to end: the built server keeps its registrations in a journal, so a
// `kill -9` and a restart lose none of them — each comes back with its remaining time and still
// expires when it was due — and a torn last record (the write a kill cut short) is skipped with
// a warning, the records before it kept.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { contactsOf, registerRequest, udpSipClient, type UdpSipClient } from './sip-udp-client';
import { startUas, type UasProcess } from './uas-process';

jest.setTimeout(60_000);

describe('registrations across kill -9 (embedded journal)', () => {
  const journal = join(mkdtempSync(join(tmpdir(), 'sip-uas-journal-')), 'registrations.journal');
  const env = { SIP_STORE: journal, SIP_MIN_EXPIRES: '1' };
  let client: UdpSipClient;
  const running: UasProcess[] = [];
  const start = async (): Promise<UasProcess> => {
    const uas = await startUas(env);
    running.push(uas);
    return uas;
  };
  const query = async (uas: UasProcess, user: string): Promise<[string, number][]> => {
    const response = await client.request(uas.port, registerRequest(client.port, user));
    expect(response).toMatch(/^SIP\/2\.0 200 OK/);
    return contactsOf(response);
  };

  beforeAll(async () => {
    client = await udpSipClient();
  });
  afterAll(async () => {
    client.close();
    await Promise.all(running.map((uas) => uas.stop('SIGKILL')));
  });

  it('restores every binding with its remaining time, and expires it when it was due', async () => {
    const first = await start();
    expect(first.output()).toContain(`registrations: journal ${journal}, 0 restored`);
    for (const [user, expires] of [
      ['alice', 600],
      ['bob', 3],
    ] as const) {
      const response = await client.request(
        first.port,
        registerRequest(client.port, user, { contact: `sip:${user}@10.0.0.1:5060`, expires }),
      );
      expect(response).toMatch(/^SIP\/2\.0 200 OK/);
    }
    // No SIGTERM, no flush: the 200s went out only once the journal had the records.
    await first.stop('SIGKILL');

    const second = await start();
    expect(second.output()).toContain(`registrations: journal ${journal}, 2 restored`);
    const [[contact, left]] = (await query(second, 'alice')) as [[string, number]];
    expect(contact).toBe('sip:alice@10.0.0.1:5060');
    expect(left).toBeGreaterThan(500);
    expect(left).toBeLessThanOrEqual(600);
    const bob = await query(second, 'bob');
    if (bob.length > 0) expect(bob[0]![1]).toBeLessThanOrEqual(3);
    // bob's 3 s run out on the restarted server as they would have on the first (bounded wait).
    const until = Date.now() + 10_000;
    while ((await query(second, 'bob')).length > 0) {
      expect(Date.now()).toBeLessThan(until);
      await sleep(200);
    }
    expect(await query(second, 'alice')).toHaveLength(1);

    // A record cut short by a kill mid-write: skipped with a warning, alice kept.
    await second.stop('SIGKILL');
    appendFileSync(journal, '0badc0de {"op":"put","b":{"aor":"sip:carol@exam');
    const third = await start();
    expect(third.output()).toMatch(
      /warning: .*registrations\.journal:\d+: skipped a journal record: incomplete last record/,
    );
    expect(third.output()).toContain('1 restored');
    expect(await query(third, 'alice')).toHaveLength(1);
    // And the journal takes new records after the torn one was cut off.
    const response = await client.request(
      third.port,
      registerRequest(client.port, 'dave', { contact: 'sip:dave@10.0.0.4', expires: 600 }),
    );
    expect(response).toMatch(/^SIP\/2\.0 200 OK/);
    await third.stop('SIGKILL');
    const fourth = await start();
    expect(fourth.output()).toContain('2 restored');
    expect(await query(fourth, 'dave')).toHaveLength(1);
    expect(await fourth.stop('SIGTERM')).toBe(0);
  });
});

describe('the store modules a start loads', () => {
  // ioredis subclasses String (RESP3's VerbatimString); V8 then keeps String.prototype in
  // dictionary mode, and every string method call in optimized code (the whole SIP parser)
  // becomes a generic lookup, until redis-store.ts makes it fast again. Only a Redis store loads
  // ioredis at all.
  /** Runs `script` in a fresh node and returns the JSON its last output line holds. */
  const lastJsonOf = (script: string): unknown => {
    const run = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').pop() as string);
  };
  const fastStringsAfter = (code: string): unknown =>
    lastJsonOf(`${code}; console.log(JSON.stringify(%HasFastProperties(String.prototype)));`);
  const probe = (store: string): unknown =>
    lastJsonOf(`
      const { openStore } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'store', 'open-store.js'))});
      const { configFromEnv } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'config.js'))});
      openStore(configFromEnv({ SIP_STORE: ${JSON.stringify(store)} }), () => {}).then(async (opened) => {
        const ioredis = Object.keys(require.cache).filter((file) => file.includes('/ioredis/')).length;
        console.log(JSON.stringify({ ioredis, fastStrings: %HasFastProperties(String.prototype) }));
        await opened.close?.();
      });`);

  it('(the reason) ioredis alone leaves String.prototype slow; the Redis store module makes it fast', () => {
    const dist = join(__dirname, '..', 'dist', 'store');
    expect(fastStringsAfter('')).toBe(true);
    const ioredis = `require(require.resolve('ioredis', { paths: [${JSON.stringify(dist)}] }))`;
    expect(fastStringsAfter(ioredis)).toBe(false);
    expect(fastStringsAfter(`require(${JSON.stringify(join(dist, 'redis-store.js'))})`)).toBe(true);
  });

  it('a memory or journal store loads no ioredis, and String.prototype stays fast', () => {
    expect(probe('memory')).toEqual({ ioredis: 0, fastStrings: true });
    const journal = join(mkdtempSync(join(tmpdir(), 'sip-uas-journal-')), 'probe.journal');
    expect(probe(journal)).toEqual({ ioredis: 0, fastStrings: true });
  });
});
