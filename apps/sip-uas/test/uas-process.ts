// Starts the built server (dist/main.js) as its own process, the way `npm start` does, and
// watches its output. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built entry point; the test script builds before jest runs. */
export const DIST_MAIN = join(__dirname, '..', 'dist', 'main.js');

/** A running server process. */
export interface UasProcess {
  /** The TCP port it listens on. */
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `main` on a free port with `env` added to the environment.
 *
 * One worker and a journal of its own in a fresh temporary folder unless `env` says otherwise
 * (`SIP_WORKERS`, `SIP_STORE`).
 *
 * @param env - extra environment (SIP_RING_DELAY_MS, SIP_STATUS_MS…).
 * @param main - the entry file (a copy of dist for the hot-upgrade test).
 */
export async function startUas(
  env: Record<string, string> = {},
  main = DIST_MAIN,
): Promise<UasProcess> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: '0',
      SIP_STATUS_MS: '0',
      SIP_WORKERS: '1',
      SIP_STORE: join(mkdtempSync(join(tmpdir(), 'sip-uas-store-')), 'registrations.journal'),
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const waitFor = (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = text.match(pattern);
        if (match === null) return;
        done();
        resolve(match);
      };
      // eslint-disable-next-line no-restricted-globals -- a watchdog on another process: wall time
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  let match: RegExpMatchArray;
  try {
    match = await waitFor(/listening on sip:[\d.]+:(\d+)/);
  } catch (error) {
    // A server that never came up must not outlive the test (a cluster primary would keep
    // restarting its workers and hold jest open): kill it, then report why.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    port: Number(match[1]),
    child,
    output: () => text,
    waitFor,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      // eslint-disable-next-line no-restricted-globals -- a watchdog on another process: wall time
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
