/**
 * `npm run sip-uas:passwd -- [--file PATH] [--realm REALM] USER`: adds USER to the registrar's
 * credentials file, or changes their password, storing only the MD5 and SHA-256 HA1.
 *
 * The password is read from the terminal without echo (asked twice), or as the first line of
 * standard input when that is not a terminal (for scripts). The file is rewritten atomically
 * (a temporary file, then a rename) with mode 0600. Defaults: the file `SIP_AUTH_FILE` names,
 * else `sip-users.htdigest` in the working directory; the realm `SIP_REALM`, else
 * `sip-uas` (the server's own default).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CredentialsFile, credentialsLine } from './auth/credentials-file';
import { digestHa1 } from './auth/digest-algorithm';
import { DEFAULT_REALM } from './config';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { file: { type: 'string' }, realm: { type: 'string' } },
    allowPositionals: true,
  });
  const [user] = positionals;
  if (user === undefined || positionals.length > 1 || !/^[^:\s]+$/.test(user)) {
    throw new Error('usage: sip-uas:passwd [--file PATH] [--realm REALM] USER (no ":" or spaces)');
  }
  const path = values.file ?? process.env.SIP_AUTH_FILE ?? 'sip-users.htdigest';
  const realm = values.realm ?? process.env.SIP_REALM ?? DEFAULT_REALM;
  if (realm.includes(':')) throw new Error(`the realm cannot contain ":" (got ${realm})`);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  CredentialsFile.parse(path, text); // refuse to rewrite a file that is already broken

  const password = await readPassword();
  if (password === '') throw new Error('empty password: nothing written');
  const line = credentialsLine(
    user,
    realm,
    digestHa1('MD5', user, realm, password),
    digestHa1('SHA-256', user, realm, password),
  );
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const index = lines.findIndex((l) => l.startsWith(`${user}:${realm}:`));
  if (index >= 0) lines[index] = line;
  else lines.push(line);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, lines.join('\n') + '\n', { mode: 0o600 });
  renameSync(temporary, path);
  process.stdout.write(`${index >= 0 ? 'changed' : 'added'} ${user} in realm ${realm} (${path})\n`);
}

/** The password: twice from a terminal without echo, or one line of piped input. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += String(chunk);
    return input.split(/\r?\n/)[0] ?? '';
  }
  const first = await ask('Password: ');
  const second = await ask('Retype password: ');
  if (first !== second) throw new Error('the passwords do not match: nothing written');
  return first;
}

function ask(prompt: string): Promise<string> {
  process.stdout.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          done();
          process.stdout.write('\n');
          return resolve(typed);
        }
        if (char === '\u0003') {
          done();
          return reject(new Error('interrupted: nothing written'));
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sip-uas:passwd: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
