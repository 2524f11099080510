import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsFile } from '../src/auth/credentials-file';
import { digestHa1 } from '../src/auth/digest-algorithm';

// The built command, as `npm run sip-uas:passwd` runs it (jest runs after the build).
const passwd = join(__dirname, '..', 'dist', 'passwd.js');

function run(args: string[], input: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [passwd, ...args], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
}

describe('sip-uas:passwd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-passwd-'));

  it('adds a user with both HA1s, mode 0600, never printing the password', () => {
    const file = join(dir, 'users');
    const result = run(['--file', file, '--realm', 'example.org', 'alice'], 'correct horse\n');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`added alice in realm example.org (${file})\n`);
    expect(result.stdout + result.stderr).not.toContain('correct horse');
    expect(readFileSync(file, 'utf8')).not.toContain('correct horse');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const users = CredentialsFile.read(file);
    expect(users.ha1('alice', 'example.org', 'MD5')).toBe(
      digestHa1('MD5', 'alice', 'example.org', 'correct horse'),
    );
    expect(users.ha1('alice', 'example.org', 'SHA-256')).toBe(
      digestHa1('SHA-256', 'alice', 'example.org', 'correct horse'),
    );
  });

  it('changes an existing user in place and keeps the others; SIP_AUTH_FILE and SIP_REALM default', () => {
    const file = join(dir, 'env-users');
    const env = { SIP_AUTH_FILE: file, SIP_REALM: 'r' };
    expect(run(['bob'], 'one\n', env).status).toBe(0);
    expect(run(['carol'], 'two\n', env).status).toBe(0);
    const changed = run(['bob'], 'three\n', env);
    expect(changed.stdout).toMatch(/^changed bob in realm r/);
    const users = CredentialsFile.read(file);
    expect(users.size).toBe(2);
    expect(users.ha1('bob', 'r', 'MD5')).toBe(digestHa1('MD5', 'bob', 'r', 'three'));
    expect(users.ha1('carol', 'r', 'MD5')).toBe(digestHa1('MD5', 'carol', 'r', 'two'));
  });

  it.each([
    [[], 'x\n', /usage: sip-uas:passwd/],
    [['a:b'], 'x\n', /usage/],
    [['dave'], '\n', /empty password: nothing written/],
  ])('refuses %j with a reason and exit 1', (args, input, message) => {
    const result = run(['--file', join(dir, 'refused'), ...args], input);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('does not rewrite a broken file', () => {
    const file = join(dir, 'broken');
    writeFileSync(file, 'eve:r:nothex\n');
    const result = run(['--file', file, 'eve'], 'pw\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${file}:1: the MD5 HA1 is not 32 hex digits`);
    expect(readFileSync(file, 'utf8')).toBe('eve:r:nothex\n');
  });
});
