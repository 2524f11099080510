import { createHmac } from 'node:crypto';
import { createAem } from '@aem/core';
import fc from 'fast-check';
import { FloodGuard } from '@aem/app-kit';
import { Timers, createTimersService } from '@aem/timers';
import { VirtualClock } from '@aem/timers/testing';
import { parseDigestHeader, quote } from './authorization-header';
import { CredentialsFile, CredentialsFileError, credentialsLine } from './credentials-file';
import { digestHa1, digestResponse, type DigestAlgorithm } from './digest-algorithm';
import { DigestAuthenticator } from './digest-authenticator';
import { NonceCounts } from './nonce-counts';
import { NonceIssuer } from './nonce-issuer';

describe('digest computations', () => {
  // RFC 7616 §3.9.1 (the same request answered with MD5 and with SHA-256).
  const rfc7616 = {
    user: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as [DigestAlgorithm, string][])('RFC 7616 §3.9.1 with %s', (algorithm, response) => {
    const { user, realm, password, ...request } = rfc7616;
    const ha1 = digestHa1(algorithm, user, realm, password);
    expect(digestResponse({ algorithm, ha1, ...request })).toBe(response);
  });

  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const ha1 = digestHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(
      digestResponse({
        algorithm: 'MD5',
        ha1,
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });
});

describe('parseDigestHeader', () => {
  it('reads quoted, escaped and token values, names case-insensitive', () => {
    const params = parseDigestHeader(
      'Digest username="al\\"ice", Realm="x", nc=00000001, qop=auth,algorithm=SHA-256',
    );
    expect(Object.fromEntries(params!)).toEqual({
      username: 'al"ice',
      realm: 'x',
      nc: '00000001',
      qop: 'auth',
      algorithm: 'SHA-256',
    });
    expect(parseDigestHeader(`Digest realm=${quote('a"b\\c')}`)!.get('realm')).toBe('a"b\\c');
  });
  it.each([
    'Basic dXNlcjpwYXNz',
    'Digest username="open',
    'Digest username="a", username="b"',
    'Digest =x',
    'Digest a=1 b=2',
    `Digest ${Array.from({ length: 40 }, (_, i) => `p${i}=1`).join(', ')}`,
  ])('refuses %s', (value) => expect(parseDigestHeader(value)).toBeNull());
  it('reads back any parameters written as quoted strings or tokens, with any spacing', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    const param = fc.record({
      name,
      value: fc.string({ maxLength: 20 }),
      token: fc.boolean(),
      space: fc.constantFrom('', ' ', '  ', '\t'),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(param, { selector: (p) => p.name.toLowerCase(), maxLength: 12 }),
        (params) => {
          const written = params.map(({ name, value, token, space }) => {
            const plain = token && /^[^\s,"]+$/.test(value);
            return `${name}${space}=${space}${plain ? value : quote(value)}`;
          });
          const parsed = parseDigestHeader(`Digest ${written.join(', ')}`);
          expect(parsed === null ? null : Object.fromEntries(parsed)).toEqual(
            Object.fromEntries(params.map(({ name, value }) => [name.toLowerCase(), value])),
          );
        },
      ),
    );
  });
});

describe('NonceIssuer', () => {
  const secret = Buffer.alloc(32, 7);
  it('issues unique nonces that check fresh, then stale after the lifetime', () => {
    let now = 1_000_000;
    const issuer = new NonceIssuer(secret, 'r', 300_000, () => now);
    const a = issuer.issue();
    expect(issuer.issue()).not.toBe(a);
    expect(issuer.check(a)).toEqual({
      state: 'fresh',
      issuedAt: 1_000_000,
      issuer: issuer.id,
      serial: 0,
    });
    now += 300_001;
    expect(issuer.check(a).state).toBe('stale');
  });
  it('never repeats a nonce within one clock tick', () => {
    const issuer = new NonceIssuer(secret, 'r', 300_000, () => 42);
    const nonces = new Set(Array.from({ length: 2_000 }, () => issuer.issue()));
    expect(nonces.size).toBe(2_000);
    for (const nonce of nonces) expect(issuer.check(nonce).state).toBe('fresh');
  });
  it('carries issue time, issuer and serial under an HMAC-SHA-256 of the secret', () => {
    // The MAC is computed from precomputed pads with one-shot hashes: it must be RFC 2104's.
    for (const key of [secret, Buffer.alloc(100, 9)]) {
      const issuer = new NonceIssuer(key, 'realm.example', 300_000, () => 2 ** 40 + 7);
      issuer.issue();
      const nonce = issuer.issue();
      const raw = Buffer.from(nonce, 'base64url');
      const mac = createHmac('sha256', key).update(raw.subarray(0, 16)).update('realm.example');
      expect(raw.subarray(16)).toEqual(mac.digest().subarray(0, 16));
      expect(issuer.check(nonce)).toEqual({
        state: 'fresh',
        issuedAt: 2 ** 40 + 7,
        issuer: issuer.id,
        serial: 1,
      });
    }
  });
  it('refuses forged, altered, foreign-realm and other-secret nonces', () => {
    const issuer = new NonceIssuer(secret, 'r', 300_000, () => 5);
    const nonce = issuer.issue();
    const flipped = (nonce[0] === 'A' ? 'B' : 'A') + nonce.slice(1);
    expect(issuer.check(flipped).state).toBe('invalid');
    expect(issuer.check(nonce.slice(1)).state).toBe('invalid');
    expect(new NonceIssuer(secret, 'other', 300_000, () => 5).check(nonce).state).toBe('invalid');
    expect(new NonceIssuer(Buffer.alloc(32, 8), 'r', 300_000, () => 5).check(nonce).state).toBe(
      'invalid',
    );
    expect(() => new NonceIssuer(Buffer.alloc(8), 'r', 1, () => 0)).toThrow(RangeError);
  });
});

describe('NonceCounts', () => {
  /** A nonce of issuer 7 (not the own one in these tests) issued at `issuedAt`. */
  const other = (issuedAt: number) => ({ issuedAt, issuer: 7, serial: 0 });
  it('needs nc=1 first, then a growing count', () => {
    const counts = new NonceCounts(10, 1_000, () => 0);
    expect(counts.use('n', other(0), 2)).toBe('replay');
    expect(counts.use('n', other(0), 1)).toBe('ok');
    expect(counts.use('n', other(0), 1)).toBe('replay');
    expect(counts.use('n', other(0), 3)).toBe('ok');
    expect(counts.use('n', other(0), 2)).toBe('replay');
  });
  it('stays bounded, and a forgotten nonce is never accepted again', () => {
    const counts = new NonceCounts(2, 1_000_000, () => 0);
    counts.use('a', other(1), 1);
    counts.use('b', other(2), 1);
    counts.use('c', other(3), 1);
    expect(counts.size).toBe(2);
    expect(counts.forgotten).toBe(1);
    expect(counts.use('a', other(1), 1)).toBe('forgotten');
    expect(counts.use('d', other(4), 1)).toBe('ok');
  });
  describe('own nonces (an array slot per serial)', () => {
    const own = { id: 99, issued: 0 };
    const mine = (serial: number) => ({ issuedAt: 0, issuer: 99, serial });
    it('needs nc=1 first, then a growing count, per serial', () => {
      const counts = new NonceCounts(4, 1_000, () => 0, own);
      own.issued = 3;
      expect(counts.use('x', mine(1), 2)).toBe('replay');
      expect(counts.use('x', mine(1), 1)).toBe('ok');
      expect(counts.use('x', mine(1), 1)).toBe('replay');
      expect(counts.use('y', mine(2), 1)).toBe('ok');
      expect(counts.use('x', mine(1), 5)).toBe('ok');
      expect(counts.use('x', mine(1), 4)).toBe('replay');
      expect(counts.use('z', mine(3), 1)).toBe('forgotten'); // not issued yet
      expect(counts.size).toBe(0);
    });
    it('forgets a serial more than maxNonces issues old, and a reused slot is a new nonce', () => {
      const counts = new NonceCounts(4, 1_000, () => 0, own);
      own.issued = 2;
      expect(counts.use('x', mine(1), 1)).toBe('ok');
      own.issued = 6; // serial 5 takes serial 1's slot; 1 left the window of the last 4
      expect(counts.use('x', mine(1), 2)).toBe('forgotten');
      expect(counts.use('y', mine(5), 1)).toBe('ok');
      expect(counts.use('x', mine(1), 1)).toBe('forgotten');
      expect(counts.use('y', mine(5), 1)).toBe('replay');
    });
    it('counts across the wrap of the serial at 2³²', () => {
      const counts = new NonceCounts(4, 1_000, () => 0, own);
      own.issued = 1; // issued 2³² − 1, then wrapped to 0
      expect(counts.use('x', mine(2 ** 32 - 1), 1)).toBe('ok');
      expect(counts.use('x', mine(2 ** 32 - 1), 1)).toBe('replay');
      expect(counts.use('y', mine(0), 1)).toBe('ok');
    });
  });
});

describe('CredentialsFile', () => {
  it('reads htdigest lines with an optional SHA-256 HA1', () => {
    const md5 = digestHa1('MD5', 'alice', 'r', 'pw');
    const sha = digestHa1('SHA-256', 'alice', 'r', 'pw');
    const file = CredentialsFile.parse(
      'users',
      `# comment\n\n${credentialsLine('alice', 'r', md5, sha)}\nbob:r:${md5.toUpperCase()}\n`,
    );
    expect(file.size).toBe(2);
    expect(file.ha1('alice', 'r', 'SHA-256')).toBe(sha);
    expect(file.ha1('bob', 'r', 'MD5')).toBe(md5);
    expect(file.ha1('bob', 'r', 'SHA-256')).toBeUndefined();
    expect(file.ha1('carol', 'r', 'MD5')).toBeUndefined();
  });
  it.each([
    ['alice:r', /users:1: expected/],
    ['alice:r:123', /users:1: the MD5 HA1/],
    [`alice:r:${'a'.repeat(32)}:abc`, /SHA-256 HA1/],
    [`alice:r:${'a'.repeat(32)}\nalice:r:${'b'.repeat(32)}`, /users:2: user alice appears twice/],
  ])('names the file and line of a bad line (%s)', (text, message) => {
    expect(() => CredentialsFile.parse('users', text)).toThrow(CredentialsFileError);
    expect(() => CredentialsFile.parse('users', text)).toThrow(message);
  });
});

describe('DigestAuthenticator', () => {
  const realm = 'sip.example.org';
  const credentials = CredentialsFile.parse(
    'users',
    [
      credentialsLine(
        'alice',
        realm,
        digestHa1('MD5', 'alice', realm, 'secret'),
        digestHa1('SHA-256', 'alice', realm, 'secret'),
      ),
      `bob:${realm}:${digestHa1('MD5', 'bob', realm, 'hunter2')}`,
    ].join('\n'),
  );
  let now = 10_000;
  const make = (extra: Partial<ConstructorParameters<typeof DigestAuthenticator>[0]> = {}) =>
    new DigestAuthenticator({
      realm,
      credentials,
      secret: Buffer.alloc(32, 1),
      now: () => now,
      ...extra,
    });

  /** A client's answer to the challenge offering `algorithm`. */
  function answer(
    auth: DigestAuthenticator,
    user: string,
    password: string,
    algorithm: DigestAlgorithm,
    nc = 1,
    nonce?: string,
  ): string {
    const challenge = auth.challenges().find((c) => c.includes(`algorithm=${algorithm}`))!;
    const n = nonce ?? parseDigestHeader(challenge)!.get('nonce')!;
    const uri = `sip:${realm}`;
    const ncText = nc.toString(16).padStart(8, '0');
    const response = digestResponse({
      algorithm,
      ha1: digestHa1(algorithm, user, realm, password),
      method: 'REGISTER',
      uri,
      nonce: n,
      nc: ncText,
      cnonce: 'c0ffee',
    });
    return (
      `Digest username="${user}", realm="${realm}", nonce="${n}", uri="${uri}", ` +
      `response="${response}", algorithm=${algorithm}, cnonce="c0ffee", qop=auth, nc=${ncText}`
    );
  }
  const nonceOf = (header: string) => parseDigestHeader(header)!.get('nonce')!;

  it('challenges with SHA-256 first, then MD5, qop=auth', () => {
    const [first, second] = make().challenges();
    expect(first).toMatch(
      /^Digest realm="sip\.example\.org", nonce="[\w-]{43}", algorithm=SHA-256, qop="auth"$/,
    );
    expect(second).toMatch(/algorithm=MD5, qop="auth"$/);
  });

  it.each(['MD5', 'SHA-256'] as DigestAlgorithm[])('accepts the right password with %s', (alg) => {
    const auth = make();
    expect(auth.verify('REGISTER', answer(auth, 'alice', 'secret', alg), '192.0.2.1')).toEqual({
      kind: 'ok',
      user: 'alice',
    });
  });

  it('re-challenges a wrong password, then forbids and bans after maxFailures', () => {
    const clock = new VirtualClock();
    const runtime = createAem();
    runtime.load(createTimersService({ clock }));
    const guard = new FloodGuard(new Timers(runtime).wheel);
    const auth = make({ maxFailures: 3, guard });
    for (let i = 0; i < 2; i++)
      expect(auth.verify('REGISTER', answer(auth, 'alice', 'wrong', 'MD5'), '192.0.2.9')).toEqual({
        kind: 'challenge',
        reason: 'wrong-password',
        stale: false,
      });
    expect(auth.verify('REGISTER', answer(auth, 'alice', 'wrong', 'MD5'), '192.0.2.9')).toEqual({
      kind: 'forbidden',
    });
    expect(guard.isBanned('192.0.2.9')).toBe(true);
    expect(auth.stats).toMatchObject({ failures: 3, forbidden: 1 });
    guard.close();
    runtime.close();
  });

  it('answers a stale nonce with stale=true, and refuses a replayed nonce count', () => {
    const auth = make();
    const first = answer(auth, 'alice', 'secret', 'MD5');
    expect(auth.verify('REGISTER', first, 'a').kind).toBe('ok');
    expect(auth.verify('REGISTER', first, 'a')).toMatchObject({ reason: 'replayed-nonce-count' });
    const second = answer(auth, 'alice', 'secret', 'MD5', 2, nonceOf(first));
    expect(auth.verify('REGISTER', second, 'a').kind).toBe('ok');
    now += 300_001;
    const late = answer(auth, 'alice', 'secret', 'MD5', 3, nonceOf(first));
    expect(auth.verify('REGISTER', late, 'a')).toEqual({
      kind: 'challenge',
      reason: 'stale-nonce',
      stale: true,
    });
    expect(auth.challenges(true)[0]).toMatch(/, stale=true$/);
  });

  it('asks for MD5 when the user has no SHA-256 HA1', () => {
    const auth = make();
    expect(auth.verify('REGISTER', answer(auth, 'bob', 'hunter2', 'SHA-256'), 'b')).toMatchObject({
      reason: 'algorithm-unavailable',
    });
    expect(auth.verify('REGISTER', answer(auth, 'bob', 'hunter2', 'MD5'), 'b').kind).toBe('ok');
  });

  it.each([
    [undefined, 'no-credentials'],
    ['Digest username="alice"', 'malformed'],
    ['Basic YWxpY2U6c2VjcmV0', 'malformed'],
  ])('challenges %s as %s', (header, reason) => {
    expect(make().verify('REGISTER', header, 'c')).toMatchObject({ kind: 'challenge', reason });
  });

  it('refuses a nonce this server did not make, and an unknown user', () => {
    const auth = make();
    const forged = answer(auth, 'alice', 'secret', 'MD5', 1, 'A'.repeat(43));
    expect(auth.verify('REGISTER', forged, 'd')).toMatchObject({ reason: 'invalid-nonce' });
    expect(auth.verify('REGISTER', answer(auth, 'mallory', 'x', 'MD5'), 'd')).toMatchObject({
      reason: 'unknown-user',
    });
  });
});
