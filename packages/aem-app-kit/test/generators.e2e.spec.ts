// End to end: a temporary copy of the workspace (sharing node_modules), `nx g` of the
// application and handler generators through the Nx CLI, then the generated app's own build,
// lint and test, and a real `serve` that answers (on TCP, or UDP with --transport udp) and
// stops on SIGTERM with exit 0.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineClient } from '../src/application/line-client.spec-helper';
import { TestDatagramClient } from '../src/testing/test-datagram-client';

const workspace = join(__dirname, '../../..');
const COPIED = [
  'package.json',
  'nx.json',
  'tsconfig.base.json',
  'eslint.config.mjs',
  '.prettierrc.json',
  '.prettierignore',
  'tools',
  'packages/aem-core',
  'packages/aem-timers',
  'packages/aem-tcp',
  'packages/aem-udp',
  'packages/aem-app-kit',
];

describe('generators end to end (a temporary copy of the workspace)', () => {
  let root: string;
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', CI: 'true' };
  const run = (cwd: string, command: string, args: string[]): string =>
    execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: 'pipe' });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'aem-workspace-'));
    for (const entry of COPIED) {
      if (!existsSync(join(workspace, entry))) continue;
      cpSync(join(workspace, entry), join(root, entry), {
        recursive: true,
        filter: (source) => !/[/\\](node_modules|\.nx|coverage)$/.test(source),
      });
    }
    symlinkSync(join(workspace, 'node_modules'), join(root, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('nx g application + handler: the app builds, lints, passes its tests and serves', async () => {
    const nx = join(root, 'node_modules/.bin/nx');
    run(root, nx, ['g', '@aem/app-kit:application', 'demo', '--no-interactive']);
    run(root, nx, ['g', '@aem/app-kit:handler', 'registrar', '--project=demo', '--no-interactive']);
    const app = join(root, 'apps/demo');
    expect(existsSync(join(app, 'src/registrar.handler.spec.ts'))).toBe(true);

    const project = JSON.parse(run(root, nx, ['show', 'project', '@aem-apps/demo', '--json']));
    expect(Object.keys(project.targets)).toEqual(
      expect.arrayContaining(['build', 'serve', 'test', 'lint']),
    );

    run(app, 'npm', ['run', 'build']);
    expect(existsSync(join(app, 'dist/main.js'))).toBe(true);
    run(app, 'npm', ['run', 'lint']);
    const test = execFileSync('npm', ['test'], { cwd: app, env, encoding: 'utf8', stdio: 'pipe' });
    expect(test).toBeDefined(); // a failing jest run throws here with its output

    // Issue #16 point 8: a start-up error was swallowed into `process.exit(1)`.
    const refused = spawnSync(process.execPath, ['dist/main.js'], {
      cwd: app,
      env: { ...env, PORT: 'abc' },
      encoding: 'utf8',
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      'demo did not start: PORT must be an integer from 0 to 65535, got "abc"',
    );

    const code = await served<{ tcpPort: number; version: string }>(app, env, async (started) => {
      expect(started.version).toBe('0.0.0');
      const client = await LineClient.open(started.tcpPort);
      client.send('ping');
      await client.waitFor(2);
      expect(client.lines).toEqual(['demo ready', '1: ping']);
    });
    expect(code).toBe(0);
  }, 240_000);

  it('nx g application --transport udp: the app builds, lints, passes its tests and answers datagrams', async () => {
    const nx = join(root, 'node_modules/.bin/nx');
    run(root, nx, [
      'g',
      '@aem/app-kit:application',
      'resolver',
      '--transport=udp',
      '--no-interactive',
    ]);
    const app = join(root, 'apps/resolver');
    run(app, 'npm', ['run', 'build']);
    run(app, 'npm', ['run', 'lint']);
    execFileSync('npm', ['test'], { cwd: app, env, encoding: 'utf8', stdio: 'pipe' });

    const code = await served<{ udpPort: number }>(app, env, async (started) => {
      const client = await TestDatagramClient.open(started.udpPort);
      client.send('ping');
      expect(await client.receiveText()).toBe('resolver ready 1: ping');
      await client.close();
    });
    expect(code).toBe(0);
  }, 240_000);

  it('nx g service: the package builds, lints, passes its tests and runs its benchmark', () => {
    const nx = join(root, 'node_modules/.bin/nx');
    run(root, nx, ['g', '@aem/app-kit:service', 'presence', '--no-interactive']);
    const pkg = join(root, 'packages/aem-presence');
    run(pkg, 'npm', ['run', 'build']);
    expect(existsSync(join(pkg, 'dist/index.mjs'))).toBe(true); // the ESM face, as every package
    run(pkg, 'npm', ['run', 'lint']);
    run(pkg, 'npm', ['test']);
    const bench = run(pkg, process.execPath, ['bench/presence.bench.mjs']);
    expect(bench).toMatch(/^BENCH presence \{"activations":1000000,"perSecond":\d+\}$/m);
    // The README's example runs and exits by itself (inside the package, `@aem/presence`
    // resolves to the package itself through its `exports`).
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    writeFileSync(join(pkg, 'readme-example.mjs'), example);
    expect(run(pkg, process.execPath, ['readme-example.mjs'])).toContain('next major');
    // The workspace knows the new package: its benchmark is a root script.
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
    expect(scripts['bench:presence']).toContain('packages/aem-presence/bench/presence.bench.mjs');
  }, 240_000);
});

/**
 * Serves the built app in `app` on a free port, runs `check` with its `application started`
 * log line, then stops it with SIGTERM (SIGKILL if anything failed first).
 *
 * @returns the exit code after SIGTERM.
 */
async function served<T>(
  app: string,
  env: NodeJS.ProcessEnv,
  check: (started: T) => Promise<void>,
): Promise<number | null> {
  const serve = spawn(process.execPath, ['dist/main.js'], {
    cwd: app,
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => serve.on('close', resolve));
  try {
    await check(await startedLine<T>(serve));
    serve.kill('SIGTERM');
    return await exited;
  } finally {
    serve.kill('SIGKILL');
  }
}

/** The `application started` log line of a served app, parsed. */
function startedLine<T>(serve: ChildProcess): Promise<T> {
  return new Promise((resolve) => {
    let buffer = '';
    serve.stdout?.setEncoding('utf8');
    serve.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      for (const line of buffer.split('\n')) {
        if (line.includes('"application started"')) resolve(JSON.parse(line) as T);
      }
    });
  });
}
