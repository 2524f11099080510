// The tests' face of sipp (Debian package `sip-tester`): placing calls of a scenario and the
// verdict of a run. The run itself is sipp/run-sipp.cjs, shared with the benchmark.
import { join } from 'node:path';
import { runSipp, tlsSipp, which, type SippRun } from '../sipp/run-sipp.cjs';

/** Why the sipp tests cannot run here, or `undefined`. */
export const SIPP_MISSING =
  which('sipp') === undefined
    ? 'sipp is not installed (Debian: apt-get install sip-tester)'
    : undefined;

/**
 * Why sipp cannot run TLS here, or `undefined`: Debian's sipp is built without it, and
 * scripts/build-sipp-tls.sh (run by .ci/run) builds one that has it.
 */
export const SIPP_TLS_MISSING =
  tlsSipp() === undefined
    ? 'no sipp with TLS (run apps/sip-uas/scripts/build-sipp-tls.sh, or set SIPP_TLS)'
    : undefined;

/** The repository's own sipp scenarios. */
const SCENARIOS = join(__dirname, '..', 'sipp');

/**
 * Places `calls` calls of `scenario` at `rate` per second: `uac` is sipp's built-in caller,
 * any other name a file of the repository's `sipp/` folder.
 *
 * @param transport - `t1` (one TCP connection for every call), `tn` (one per call), `l1` (one TLS connection), `u1` (one
 *   UDP socket for every call) or `un` (one per call).
 */
export function placeCalls(
  port: number,
  scenario: string,
  transport: 't1' | 'tn' | 'u1' | 'un' | 'l1',
  calls: number,
  rate: number,
  extra: string[] = [],
): Promise<SippRun> {
  const source = scenario === 'uac' ? ['-sn', 'uac'] : ['-sf', join(SCENARIOS, `${scenario}.xml`)];
  return runSipp(port, [...source, '-t', transport, '-m', `${calls}`, '-r', `${rate}`, ...extra]);
}

/** The result of a run where every one of `calls` calls succeeded. */
export function allSucceeded(calls: number): Partial<SippRun> {
  return { code: 0, successful: calls, failed: 0 };
}
