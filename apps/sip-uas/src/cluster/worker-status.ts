import type { AemApp } from '@aem/app-kit';
import type { SipState } from '../state/sip-state';

/** What a worker tells the primary for the aggregated status line (cumulative counters). */
export interface WorkerStatus {
  readonly pid: number;
  readonly version: string;
  /** Calls answered 200, since the worker started; of them over UDP. */
  readonly answered: number;
  readonly answeredUdp: number;
  readonly dialogs: number;
  readonly bindings: number;
  readonly connections: number;
  /** Refused: malformed, closed, dropped, overloaded (as the single-process status line sums them). */
  readonly refused: number;
  /** REGISTERs answered 503 because the store was unavailable. */
  readonly storeUnavailable: number;
}

/** The message a worker sends once it serves (the primary prints the listening line after all). */
export interface WorkerReady {
  readonly sipUas: 'ready';
  readonly pid: number;
  readonly version: string;
  /** The worker's UDP transport (`Udp.transport`: `mmsg`, `node` or `kernel`). */
  readonly udpTransport: string;
}

/** Whether an IPC message is a {@link WorkerReady}. */
export function isWorkerReady(message: unknown): message is WorkerReady {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { sipUas?: unknown }).sipUas === 'ready'
  );
}

/** This worker's {@link WorkerStatus} now. */
export function workerStatus(app: AemApp, state: SipState): WorkerStatus {
  const c = state.counters;
  return {
    pid: process.pid,
    version: app.version ?? '',
    answered: c.answered,
    answeredUdp: c.answeredUdp,
    dialogs: state.calls.size,
    bindings: state.bindings,
    connections: app.tcpServer?.stats().connections ?? 0,
    refused: c.malformed + c.closedForMalformed + c.datagramsDropped + c.overloaded,
    storeUnavailable: c.storeUnavailable,
  };
}

/**
 * The primary's status line: every worker's figures summed, calls per second over the last
 * period (from each worker's counter since the previous line; a worker new since then counts
 * from its start), then each worker's share by pid — so one sees that every core serves.
 *
 * @param statuses - the latest status of each live worker.
 * @param previous - answered counts by pid at the previous line; updated.
 * @param intervalMs - the period.
 */
export function aggregatedStatusLine(
  statuses: readonly WorkerStatus[],
  previous: Map<number, { answered: number; answeredUdp: number }>,
  intervalMs: number,
): string {
  const perSecond = (count: number): string => ((count * 1000) / intervalMs).toFixed(0);
  let all = 0;
  let udp = 0;
  const shares: string[] = [];
  const sum = { dialogs: 0, bindings: 0, connections: 0, refused: 0, storeUnavailable: 0 };
  const seen = new Set<number>();
  for (const status of statuses) {
    const before = previous.get(status.pid) ?? { answered: 0, answeredUdp: 0 };
    const answered = status.answered - before.answered;
    all += answered;
    udp += status.answeredUdp - before.answeredUdp;
    previous.set(status.pid, { answered: status.answered, answeredUdp: status.answeredUdp });
    seen.add(status.pid);
    shares.push(`pid ${status.pid}: ${perSecond(answered)} calls/s, ${status.answered} answered`);
    sum.dialogs += status.dialogs;
    sum.bindings += status.bindings;
    sum.connections += status.connections;
    sum.refused += status.refused;
    sum.storeUnavailable += status.storeUnavailable;
  }
  for (const pid of previous.keys()) if (!seen.has(pid)) previous.delete(pid);
  const versions = [...new Set(statuses.map((s) => s.version))].join('+');
  return (
    `[sip-uas] ${statuses.length} workers: ${perSecond(all)} calls/s (udp ${perSecond(udp)}, tcp ${perSecond(all - udp)}; ` +
    `${shares.join(', ')}), ${sum.dialogs} active dialogs, ${sum.bindings} registrations, ` +
    `${sum.connections} connections, handlers ${versions}` +
    (sum.refused > 0 ? `, refused ${sum.refused}` : '') +
    (sum.storeUnavailable > 0 ? `, store unavailable ${sum.storeUnavailable}` : '') +
    '\n'
  );
}
