// Two nodes sharing one Redis (a real redis-server started here): a REGISTER taken by node A is
// returned by a binding query on node B, and the other way round. Redis killed while REGISTERs
// keep coming: each is answered 200 or 503 with Retry-After — none is lost, nothing crashes,
// OPTIONS (which needs no store) is still answered — and once Redis is back the node takes
// REGISTERs again by itself.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisProcess } from './redis-server';
import { contactsOf, registerRequest, udpSipClient, type UdpSipClient } from './sip-udp-client';
import { startUas, type UasProcess } from './uas-process';

const REDIS_MISSING =
  spawnSync('redis-server', ['--version']).status === 0
    ? undefined
    : 'redis-server is not installed (Debian: apt-get install redis-server)';
const suite = REDIS_MISSING === undefined || process.env.CI === 'true' ? describe : describe.skip;
if (REDIS_MISSING !== undefined) console.warn(`sip-uas Redis tests: ${REDIS_MISSING}`);

jest.setTimeout(90_000);

suite('two sip-uas nodes on one Redis', () => {
  let redis: RedisProcess;
  let a: UasProcess;
  let b: UasProcess;
  let client: UdpSipClient;

  beforeAll(async () => {
    if (REDIS_MISSING !== undefined) throw new Error(REDIS_MISSING);
    redis = await startRedis();
    [a, b] = await Promise.all([
      startUas({ SIP_STORE: redis.url }),
      startUas({ SIP_STORE: redis.url }),
    ]);
    client = await udpSipClient();
  });
  afterAll(async () => {
    client?.close();
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await redis?.kill();
  });

  it('names the store at start', () => {
    expect(a.output()).toContain(`registrations: redis ${redis.url}, 0 restored`);
  });

  it('returns a REGISTER taken by node A to a query on node B, and back', async () => {
    const onA = await client.request(
      a.port,
      registerRequest(client.port, 'alice', { contact: 'sip:alice@10.0.0.1', expires: 600 }),
    );
    expect(onA).toMatch(/^SIP\/2\.0 200 OK/);
    const onB = await client.request(b.port, registerRequest(client.port, 'alice'));
    expect(contactsOf(onB).map(([uri]) => uri)).toEqual(['sip:alice@10.0.0.1']);
    // A second contact through B: A's answer lists both, from Redis's view.
    const second = await client.request(
      b.port,
      registerRequest(client.port, 'alice', { contact: 'sip:alice@10.0.0.2', expires: 300 }),
    );
    expect(contactsOf(second)).toHaveLength(2);
    const back = await client.request(a.port, registerRequest(client.port, 'alice'));
    expect(
      contactsOf(back)
        .map(([uri]) => uri)
        .sort(),
    ).toEqual(['sip:alice@10.0.0.1', 'sip:alice@10.0.0.2']);
  });

  // The registrar decides on Redis's view in one step: the contact limit counts other nodes'
  // bindings, a wildcard on one node removes what another wrote, and an older CSeq of a Call-ID
  // taken by the other node does not undo the newer one.
  it("decides each REGISTER on Redis's view of the address of record", async () => {
    const register = (port: number, contact: string, options = {}) =>
      client.request(port, registerRequest(client.port, 'many', { contact, ...options }));
    for (let i = 0; i < 16; i++) {
      const reply = await register(i % 2 === 0 ? a.port : b.port, `sip:many@10.0.2.${i}`);
      expect(reply).toMatch(/^SIP\/2\.0 200 OK/);
    }
    expect(await register(b.port, 'sip:many@10.0.2.99')).toMatch(/^SIP\/2\.0 403 /);
    const view = await client.request(a.port, registerRequest(client.port, 'many'));
    expect(contactsOf(view)).toHaveLength(16);

    const wildcard = registerRequest(client.port, 'many').replace(
      'Content-Length: 0',
      'Contact: *\r\nExpires: 0\r\nContent-Length: 0',
    );
    expect(await client.request(b.port, wildcard)).toMatch(/^SIP\/2\.0 200 OK/);
    expect(contactsOf(await client.request(a.port, registerRequest(client.port, 'many')))).toEqual(
      [],
    );

    const phone = 'sip:many@10.0.3.1';
    await register(a.port, phone, { callId: 'many-phone', cseq: 5, expires: 600 });
    const older = await register(b.port, phone, { callId: 'many-phone', cseq: 4, expires: 60 });
    expect(older).toMatch(/^SIP\/2\.0 200 OK/);
    expect(contactsOf(older)[0]?.[1]).toBeGreaterThan(500);
  });

  it('answers 503 with Retry-After while Redis is down, and recovers when it returns', async () => {
    const statuses: string[] = [];
    let n = 0;
    const load = async (until: () => boolean): Promise<void> => {
      while (!until()) {
        const user = `load${n++ % 50}`;
        const response = await client.request(
          a.port,
          registerRequest(client.port, user, { contact: `sip:${user}@10.0.1.1`, expires: 600 }),
        );
        const status = response.slice(8, 11);
        statuses.push(status);
        if (status === '503') expect(response).toMatch(/^Retry-After: \d+\r$/m);
        else expect(status).toBe('200');
      }
    };
    let stop = false;
    const running = load(() => stop);
    running.catch(() => undefined); // awaited below; failing early must not go unhandled meanwhile
    await sleep(300);
    await redis.kill();
    // Keep going until refusals show the outage (bounded by the request timeouts).
    const deadline = Date.now() + 15_000;
    while (!statuses.includes('503') && Date.now() < deadline) await sleep(50);
    expect(statuses).toContain('503');
    // Requests that need no store are still answered.
    const options = await client.request(
      a.port,
      registerRequest(client.port, 'x').replace(/REGISTER/g, 'OPTIONS'),
    );
    expect(options).toMatch(/^SIP\/2\.0 200 OK/);

    redis = await startRedis(redis.port);
    const back = statuses.length;
    while (!statuses.slice(back).includes('200')) {
      expect(Date.now()).toBeLessThan(deadline + 15_000);
      await sleep(50);
    }
    stop = true;
    await running;
    expect(statuses.filter((s) => s === '200').length).toBeGreaterThan(0);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    expect(await a.stop('SIGTERM')).toBe(0);
  });
});
