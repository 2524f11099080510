import type { FloodGuard } from '@aem/app-kit';
import { parseDigestHeader, quote } from './authorization-header';
import type { CredentialsFile } from './credentials-file';
import {
  DIGEST_ALGORITHMS,
  digestResponse,
  parseDigestAlgorithm,
  type DigestAlgorithm,
} from './digest-algorithm';
import { NonceCounts } from './nonce-counts';
import { NonceIssuer } from './nonce-issuer';
import { timingSafeEqual } from 'node:crypto';

/** Options of a {@link DigestAuthenticator}. */
export interface DigestAuthOptions {
  /** The realm challenged with and checked. */
  readonly realm: string;
  /** The users. */
  readonly credentials: CredentialsFile;
  /** The nonce HMAC key (≥ 16 bytes), the same on every node that should accept a nonce. */
  readonly secret: Buffer;
  /** Algorithms offered, in the challenge's order (RFC 8760: preferred first). Default SHA-256, MD5. */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** A nonce's lifetime, ms; older ones are re-challenged with `stale=true`. Default 300,000. */
  readonly nonceLifetimeMs?: number;
  /** Nonces whose counts are tracked at once (replay protection). Default 100,000. */
  readonly maxNonces?: number;
  /** Wrong answers from one address before it gets 403 and a ban. Default 5. */
  readonly maxFailures?: number;
  /** Bans sources over `maxFailures` (reason `auth`); without it they only get 403. */
  readonly guard?: FloodGuard;
  /** The clock, ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Why a request was challenged (again). */
export type ChallengeReason =
  | 'no-credentials'
  | 'malformed'
  | 'wrong-realm'
  | 'unknown-user'
  | 'wrong-password'
  | 'stale-nonce'
  | 'invalid-nonce'
  | 'replayed-nonce-count'
  | 'algorithm-unavailable';

/** What to answer. */
export type DigestOutcome =
  /** Authenticated as `user`. */
  | { readonly kind: 'ok'; readonly user: string }
  /** 401/407 with {@link DigestAuthenticator.challenges}(`stale`). */
  | { readonly kind: 'challenge'; readonly reason: ChallengeReason; readonly stale: boolean }
  /** 403: too many failures from this address (now banned when a guard is given). */
  | { readonly kind: 'forbidden' };

/** Counters of a {@link DigestAuthenticator}. */
export interface DigestAuthStats {
  /** Requests authenticated. */
  ok: number;
  /** Requests challenged, by any reason. */
  challenged: number;
  /** Challenges for a wrong password or unknown user. */
  failures: number;
  /** Requests whose nonce count was not above the last one (replays). */
  replays: number;
  /** Requests answered 403 for too many failures. */
  forbidden: number;
}

/** A challenge value without its nonce (a nonce is base64url: nothing in it needs quoting). */
interface ChallengeParts {
  readonly before: string;
  readonly after: string;
  readonly afterStale: string;
}

/** Most addresses whose failures are counted at once (the oldest is forgotten beyond). */
const MAX_FAILING_SOURCES = 10_000;

/**
 * The registrar's digest authentication (RFC 3261 §22 with RFC 7616 / RFC 8760 algorithms,
 * `qop=auth` only): challenges carry one `Digest` value per offered algorithm with a stateless
 * nonce; answers are checked against the stored HA1, the nonce's MAC and age, and a nonce count
 * that must grow. Failures are counted per address; past `maxFailures` the address gets 403 and,
 * with a {@link FloodGuard}, a ban.
 *
 * @example
 * ```ts
 * const auth = new DigestAuthenticator({ realm, credentials, secret });
 * const outcome = auth.verify('REGISTER', header(request, 'authorization'), source);
 * if (outcome.kind === 'challenge') reply(401, auth.challenges(outcome.stale));
 * ```
 */
export class DigestAuthenticator {
  /** The realm. */
  readonly realm: string;
  /** Counters. */
  readonly stats: DigestAuthStats = { ok: 0, challenged: 0, failures: 0, replays: 0, forbidden: 0 };
  private readonly credentials: CredentialsFile;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly nonces: NonceIssuer;
  private readonly counts: NonceCounts;
  private readonly maxFailures: number;
  private readonly guard: FloodGuard | undefined;
  private readonly failuresBySource = new Map<string, number>();
  /** Each algorithm's challenge value around its nonce, made once. */
  private readonly parts: ReadonlyMap<DigestAlgorithm, ChallengeParts>;

  constructor(options: DigestAuthOptions) {
    const now = options.now ?? Date.now;
    const lifetime = options.nonceLifetimeMs ?? 300_000;
    this.realm = options.realm;
    this.credentials = options.credentials;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    if (this.algorithms.length === 0) throw new RangeError('offer at least one digest algorithm');
    this.nonces = new NonceIssuer(options.secret, options.realm, lifetime, now);
    this.counts = new NonceCounts(options.maxNonces ?? 100_000, lifetime, now, this.nonces);
    const before = `Digest realm=${quote(this.realm)}, nonce="`;
    this.parts = new Map(
      DIGEST_ALGORITHMS.map((algorithm) => {
        const after = `", algorithm=${algorithm}, qop="auth"`;
        return [algorithm, { before, after, afterStale: `${after}, stale=true` }];
      }),
    );
    this.maxFailures = options.maxFailures ?? 5;
    this.guard = options.guard;
  }

  /**
   * The challenge header values (`WWW-Authenticate` in a 401, `Proxy-Authenticate` in a 407):
   * one per offered algorithm, each with its own fresh nonce.
   */
  challenges(stale = false, algorithms: readonly DigestAlgorithm[] = this.algorithms): string[] {
    return algorithms.map((algorithm) => this.challengeValue(algorithm, stale));
  }

  /**
   * The whole challenge as header lines: `name: value\r\n` for each of
   * {@link DigestAuthenticator.challenges}, built from parts made once (only the nonce is new).
   *
   * @param name - `WWW-Authenticate` or `Proxy-Authenticate`.
   */
  challengeLines(name: string, stale = false): string {
    let lines = '';
    for (const algorithm of this.algorithms)
      lines += `${name}: ${this.challengeValue(algorithm, stale)}\r\n`;
    return lines;
  }

  /** One challenge value with a fresh nonce. */
  private challengeValue(algorithm: DigestAlgorithm, stale: boolean): string {
    const parts = this.parts.get(algorithm)!;
    return parts.before + this.nonces.issue() + (stale ? parts.afterStale : parts.after);
  }

  /**
   * Checks a request's credentials.
   *
   * @param method - the request method (part of the digest).
   * @param authorization - the `Authorization` (or `Proxy-Authorization`) header value, if any.
   * @param source - the address the request came from (failures are counted per address).
   */
  verify(method: string, authorization: string | undefined, source: string): DigestOutcome {
    if (authorization === undefined) return this.challenge('no-credentials');
    const params = parseDigestHeader(authorization);
    const user = params?.get('username');
    const nonce = params?.get('nonce');
    const uri = params?.get('uri');
    const response = params?.get('response');
    const cnonce = params?.get('cnonce');
    const ncText = params?.get('nc');
    const algorithm = parseDigestAlgorithm(params?.get('algorithm'));
    if (
      params === null ||
      params === undefined ||
      user === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined ||
      cnonce === undefined ||
      ncText === undefined ||
      !/^[0-9a-f]{8}$/i.test(ncText) ||
      params.get('qop')?.toLowerCase() !== 'auth' ||
      algorithm === null ||
      !this.algorithms.includes(algorithm)
    )
      return this.challenge('malformed');
    if (params.get('realm') !== this.realm) return this.challenge('wrong-realm');

    const nonceCheck = this.nonces.check(nonce);
    if (nonceCheck.state === 'invalid') return this.challenge('invalid-nonce');
    if (nonceCheck.state === 'stale') return this.challenge('stale-nonce', true);

    const ha1 = this.credentials.ha1(user, this.realm, algorithm);
    if (ha1 === undefined) {
      if (this.credentials.ha1(user, this.realm, 'MD5') !== undefined)
        return this.challenge('algorithm-unavailable');
      return this.failure('unknown-user', source);
    }
    const expected = digestResponse({ algorithm, ha1, method, uri, nonce, nc: ncText, cnonce });
    if (!sameHex(expected, response)) return this.failure('wrong-password', source);

    const counted = this.counts.use(nonce, nonceCheck, Number.parseInt(ncText, 16));
    if (counted === 'forgotten') return this.challenge('stale-nonce', true);
    if (counted === 'replay') {
      this.stats.replays++;
      return this.challenge('replayed-nonce-count');
    }
    this.failuresBySource.delete(source);
    this.stats.ok++;
    return { kind: 'ok', user };
  }

  private challenge(reason: ChallengeReason, stale = false): DigestOutcome {
    this.stats.challenged++;
    return { kind: 'challenge', reason, stale };
  }

  private failure(reason: ChallengeReason, source: string): DigestOutcome {
    this.stats.failures++;
    const failures = (this.failuresBySource.get(source) ?? 0) + 1;
    this.failuresBySource.delete(source);
    if (failures >= this.maxFailures) {
      this.stats.forbidden++;
      this.guard?.ban(source, 'auth');
      return { kind: 'forbidden' };
    }
    if (this.failuresBySource.size >= MAX_FAILING_SOURCES) {
      const oldest = this.failuresBySource.keys().next().value;
      if (oldest !== undefined) this.failuresBySource.delete(oldest);
    }
    this.failuresBySource.set(source, failures);
    return this.challenge(reason);
  }
}

function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(given.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
