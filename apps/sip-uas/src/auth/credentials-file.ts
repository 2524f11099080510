import { readFileSync } from 'node:fs';
import type { DigestAlgorithm } from './digest-algorithm';

/** One user's stored secrets: HA1 per algorithm, never the password. */
export interface StoredCredentials {
  /** `MD5(user:realm:password)`, hex. */
  readonly md5: string;
  /** `SHA-256(user:realm:password)`, hex, when the file has the fourth field. */
  readonly sha256?: string;
}

/** A credentials file line that cannot be used; the message names the file and line. */
export class CredentialsFileError extends Error {
  /** Stable code. */
  readonly code = 'SIP_CREDENTIALS_FILE';
  constructor(
    readonly path: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${path}:${line}: ${reason}`);
    this.name = 'CredentialsFileError';
  }
}

/**
 * The registrar's users, from a file of `user:realm:HA1` lines — Apache's `htdigest` format,
 * where HA1 is `MD5(user:realm:password)` — with an optional fourth field, the SHA-256 HA1.
 * Blank lines and lines starting with `#` are skipped. Passwords are never stored.
 *
 * ```text
 * # user:realm:md5-ha1[:sha256-ha1]
 * alice:example.org:5f4dcc3b5aa765d61d8327deb882cf99:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
 * ```
 */
export class CredentialsFile {
  private constructor(
    /** Where it was read from. */
    readonly path: string,
    private readonly users: ReadonlyMap<string, StoredCredentials>,
  ) {}

  /**
   * Reads and checks the whole file.
   *
   * @throws {@link CredentialsFileError} for a malformed line or a duplicate user and realm;
   *   the `fs` error when the file cannot be read.
   */
  static read(path: string): CredentialsFile {
    return CredentialsFile.parse(path, readFileSync(path, 'utf8'));
  }

  /** Parses file contents (`path` only names the source in errors). */
  static parse(path: string, text: string): CredentialsFile {
    const users = new Map<string, StoredCredentials>();
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const fields = line.split(':');
      const fail = (reason: string): never => {
        throw new CredentialsFileError(path, index + 1, reason);
      };
      if (fields.length < 3 || fields.length > 4) fail('expected user:realm:md5-ha1[:sha256-ha1]');
      const [user, realm, md5, sha256] = fields as [string, string, string, string?];
      if (user === '' || realm === '') fail('empty user or realm');
      if (!/^[0-9a-f]{32}$/i.test(md5)) fail('the MD5 HA1 is not 32 hex digits');
      if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256))
        fail('the SHA-256 HA1 is not 64 hex digits');
      const key = `${user}:${realm}`;
      if (users.has(key)) fail(`user ${user} appears twice for realm ${realm}`);
      users.set(key, {
        md5: md5.toLowerCase(),
        ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }),
      });
    });
    return new CredentialsFile(path, users);
  }

  /** Users in the file. */
  get size(): number {
    return this.users.size;
  }

  /** The HA1 of `user` in `realm` for `algorithm`, or `undefined` (no such user, or no such HA1). */
  ha1(user: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
    const stored = this.users.get(`${user}:${realm}`);
    if (stored === undefined) return undefined;
    if (algorithm === 'MD5') return stored.md5;
    return algorithm === 'SHA-256' ? stored.sha256 : undefined;
  }
}

/** The file line for a user: `user:realm:md5-ha1:sha256-ha1`. */
export function credentialsLine(user: string, realm: string, md5: string, sha256: string): string {
  return `${user}:${realm}:${md5}:${sha256}`;
}
