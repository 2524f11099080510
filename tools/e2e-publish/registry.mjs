// A throwaway npm registry for the publish end-to-end test: verdaccio (a devDependency) on
// 127.0.0.1 and a free port, with its storage, config, users and npm client config in one
// temporary directory.
//
// `@aem/*` are served only from what is published to it. Everything else is proxied to the
// registry this machine's npm uses (`npm config get registry`, read at run time and written
// only into the temporary config: no registry host is named in the repository).
/* global fetch -- Node ≥ 18 has it; the workspace ESLint globals list predates its use. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Ms to wait for verdaccio to answer before giving up, and for it to exit when stopped. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** A free TCP port on 127.0.0.1 (the kernel picks it; verdaccio binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts verdaccio and creates a user to publish as.
 *
 * @param {object} options
 * @param {string} options.dir - a fresh temporary directory; everything goes under it.
 * @param {string} options.verdaccio - path of verdaccio's bin script.
 * @param {NodeJS.ProcessEnv} options.env - a clean environment for npm (no npm_config_* from a parent npm).
 * @returns {Promise<{ url: string, npmrc: string, env: NodeJS.ProcessEnv, stop(): Promise<void>, log(): string }>}
 */
export async function startRegistry({ dir, verdaccio, env }) {
  const upstream = spawnSync('npm', ['config', 'get', 'registry'], {
    encoding: 'utf8',
    env,
  }).stdout.trim();
  if (!/^https?:\/\//.test(upstream)) throw new Error(`npm config get registry: '${upstream}'`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      '    max_users: 10',
      'uplinks:',
      '  upstream:',
      `    url: ${JSON.stringify(upstream)}`,
      '    timeout: 60s',
      '    max_fails: 5',
      'packages:',
      // No proxy for @aem/*: the test must see what it published, never a same-named package.
      "  '@aem/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: upstream',
      'server:',
      '  keepAliveTimeout: 60',
      'logs: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );

  let output = '';
  const child = spawn(
    process.execPath,
    [verdaccio, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      env: { ...env, VERDACCIO_HANDLE_KILL_SIGNALS: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
    if ((await Promise.race([exited, timer])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`verdaccio exited (${child.exitCode}):\n${output}`);
      try {
        if ((await fetch(`${url}-/ping`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // npm adduser's request: creates the htpasswd user and returns a token.
    const user = 'aem-e2e';
    const response = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password: 'aem-e2e-password', type: 'user', roles: [] }),
    });
    const { token } = await response.json();
    if (!response.ok || !token) throw new Error(`adduser on verdaccio: HTTP ${response.status}`);
    const npmrc = join(dir, 'npmrc');
    const hostPath = url.replace(/^http:/, '');
    writeFileSync(npmrc, `registry=${url}\n${hostPath}:_authToken=${token}\n`);
    return {
      url,
      npmrc,
      env: { ...env, npm_config_userconfig: npmrc, npm_config_registry: url },
      stop,
      log: () => output,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
