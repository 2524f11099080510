// A real child process: SIGHUP and the CLI hot-upgrade it from disk; SIGTERM stops it
// gracefully with a message in flight, and it exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/app-kit-cli';
import { LineClient } from '../src/application/line-client.spec-helper';

const packageDir = join(__dirname, '..');
const template = readFileSync(join(__dirname, 'fixtures/handlers.template.cjs'), 'utf8');

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

class AppProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private waiters: { msg: string; count: number; resolve: (line: LogLine) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, at)) as LogLine;
        buffer = buffer.slice(at + 1);
        this.logs.push(line);
        this.check();
      }
    });
    this.exited = new Promise(
      (resolve) => child.on('close', (code) => resolve(code)) /* after stdout drained */,
    );
  }

  /** Resolves with the `count`-th log line whose msg is `msg`. */
  log(msg: string, count = 1): Promise<LogLine> {
    return new Promise((resolve) => {
      this.waiters.push({ msg, count, resolve });
      this.check();
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      const hits = this.logs.filter((line) => line.msg === w.msg);
      if (hits.length < w.count) return true;
      w.resolve(hits[w.count - 1]);
      return false;
    });
  }
}

describe('signals and the CLI (a real child process)', () => {
  let dir: string;
  let handlers: string;
  let app: AppProcess;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aem-app-kit-'));
    handlers = join(dir, 'handlers.cjs');
    writeFileSync(handlers, template.replaceAll('VERSION', 'v1'));
    app = new AppProcess(
      spawn(process.execPath, [join(__dirname, 'fixtures/signal-app.cjs')], {
        cwd: packageDir,
        env: { ...process.env, HANDLERS: handlers, APP_KIT: join(packageDir, 'dist/index.js') },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
  });
  afterEach(() => {
    app.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGHUP and `aem-app-kit upgrade <pid>` reload the handlers from disk; SIGTERM drains and exits 0', async () => {
    const started = await app.log('application started');
    const port = started.tcpPort as number;
    expect(started.version).toBe('v1');

    const old = await LineClient.open(port);
    old.send('a');
    await old.waitFor(1);

    writeFileSync(handlers, template.replaceAll('VERSION', 'v2'));
    app.child.kill('SIGHUP');
    const first = await app.log('hot upgrade done');
    expect(first).toMatchObject({ from: 'v1', to: 'v2', draining: 1 });

    writeFileSync(handlers, template.replaceAll('VERSION', 'v3'));
    const out: string[] = [];
    const code = runCli(['upgrade', String(app.child.pid)], {
      kill: (pid, signal) => process.kill(pid, signal),
      out: (line) => out.push(line),
      err: (line) => out.push(line),
    });
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^sent SIGHUP to \d+ \(upgrade\)$/);
    expect(await app.log('hot upgrade done', 2)).toMatchObject({ from: 'v2', to: 'v3' });

    const fresh = await LineClient.open(port);
    fresh.send('b');
    old.send('c');
    await fresh.waitFor(1);
    await old.waitFor(2);
    expect(fresh.lines).toEqual(['v3:b']);
    expect(old.lines).toEqual(['v1:a', 'v1:c']); // the live session finishes on v1

    old.send('slow'); // in flight for 300 ms when SIGTERM arrives
    fresh.send('slow');
    await new Promise((resolve) => setTimeout(resolve, 50)); // both reach their handler
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(old.lines).toEqual(['v1:a', 'v1:c', 'v1:slow']);
    expect(fresh.lines).toEqual(['v3:b', 'v3:slow']);
    const messages = app.logs.map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining(['signal: graceful stop', 'stopping', 'application stopped']),
    );
  }, 20_000);

  it('SIGINT stops an idle application with exit code 0', async () => {
    await app.log('application started');
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
    expect(app.logs.map((line) => line.msg)).toEqual([
      'application started',
      'signal: graceful stop',
      'stopping',
      'application stopped',
    ]);
  }, 20_000);
});
