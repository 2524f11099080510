// Runs sipp (Debian package `sip-tester`) and reads its verdict: the exit status (0: every
// call succeeded) and the final counters of its statistics file.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Path of the sipp binary, or `undefined` when it is not installed. */
export const SIPP = findSipp();

/** Why the sipp tests cannot run here, or `undefined`. */
export const SIPP_MISSING =
  SIPP === undefined ? 'sipp is not installed (Debian: apt-get install sip-tester)' : undefined;

/** The repository's own sipp scenarios. */
export const SCENARIOS = join(__dirname, '..', 'sipp');

/** What one sipp run ended with. */
export interface SippResult {
  /** sipp's exit status: 0 when every call succeeded, 1 when some failed, 255 on errors. */
  readonly code: number | null;
  readonly successful: number;
  readonly failed: number;
  /** sipp's own output (its final screen), for failure messages. */
  readonly output: string;
}

/**
 * Places `calls` calls of `scenario` at `rate` per second: `uac` is sipp's built-in caller,
 * any other name a file of the repository's `sipp/` folder.
 *
 * @param transport - `t1` (one TCP connection for every call) or `tn` (one per call).
 */
export function placeCalls(
  port: number,
  scenario: string,
  transport: 't1' | 'tn',
  calls: number,
  rate: number,
  extra: string[] = [],
): Promise<SippResult> {
  const source = scenario === 'uac' ? ['-sn', 'uac'] : ['-sf', join(SCENARIOS, `${scenario}.xml`)];
  return runSipp(port, [...source, '-t', transport, '-m', `${calls}`, '-r', `${rate}`, ...extra]);
}

/** The result of a run where every one of `calls` calls succeeded. */
export function allSucceeded(calls: number): Partial<SippResult> {
  return { code: 0, successful: calls, failed: 0 };
}

/**
 * Runs sipp against `127.0.0.1:port` with `args` (scenario, transport, -m, -r …) and a bounded
 * run time.
 */
export function runSipp(port: number, args: string[], timeoutMs = 60_000): Promise<SippResult> {
  if (SIPP === undefined) throw new Error(SIPP_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stats = join(dir, 'stats.csv');
  const argv = [
    ...args,
    '-nostdin',
    '-i',
    '127.0.0.1',
    '-trace_stat',
    '-stf',
    stats,
    '-fd',
    '1',
    '-timeout',
    `${Math.ceil(timeoutMs / 1000)}s`,
    `127.0.0.1:${port}`,
  ];
  return new Promise((resolve) => {
    execFile(
      SIPP as string,
      argv,
      { cwd: dir, timeout: timeoutMs + 10_000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        const counters = lastCounters(stats);
        rmSync(dir, { recursive: true, force: true });
        resolve({
          code,
          successful: counters.get('SuccessfulCall(C)') ?? 0,
          failed: counters.get('FailedCall(C)') ?? 0,
          output: `${stdout}\n${stderr}`.slice(-4000),
        });
      },
    );
  });
}

function lastCounters(file: string): Map<string, number> {
  const counters = new Map<string, number>();
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return counters;
  }
  if (lines.length < 2) return counters;
  const names = lines[0].split(';');
  const values = lines[lines.length - 1].split(';');
  names.forEach((name, i) => counters.set(name, Number(values[i])));
  return counters;
}

function findSipp(): string | undefined {
  for (const dir of (process.env.PATH ?? '')
    .split(delimiter)
    .concat(['/usr/bin', '/usr/local/bin'])) {
    const candidate = join(dir, 'sipp');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
