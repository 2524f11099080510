import { InvalidArgumentError } from '@aem/core';
import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { SipTransactionTimeoutError } from '../errors/sip-transaction-timeout.error';

/**
 * Transport of a SIP transaction: timers D, I, J, K and retransmissions depend on it.
 *
 * @example
 * ```ts
 * const transport: SipTransport = socket.type === 'udp4' ? 'unreliable' : 'reliable';
 * ```
 */
export type SipTransport = 'reliable' | 'unreliable';

/**
 * Options of the RFC 3261 transaction timers; defaults are the RFC's recommended values.
 *
 * @example
 * ```ts
 * const options: SipTimerOptions = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000, transport: 'unreliable' };
 * ```
 */
export interface SipTimerOptions {
  /** T1, RTT estimate; default 500 ms. */
  readonly t1Ms?: number;
  /** T2, maximum retransmit interval for non-INVITE requests and INVITE responses; default 4000 ms. */
  readonly t2Ms?: number;
  /** T4, maximum time a message stays in the network; default 5000 ms. */
  readonly t4Ms?: number;
  /** `unreliable` (UDP, the default) or `reliable` (TCP, TLS, SCTP). */
  readonly transport?: SipTransport;
}

/**
 * The RFC 3261 (§17, table 4) timer values of one transaction configuration, in ms.
 *
 * @example
 * ```ts
 * const { B, D } = sipTimerValues({ transport: 'unreliable' }); // 32000, 32000
 * ```
 */
export interface SipTimerValues {
  /** T1, the RTT estimate. */
  readonly T1: number;
  /** T2, the cap of the E and G intervals. */
  readonly T2: number;
  /** T4, the maximum message lifetime in the network. */
  readonly T4: number;
  /** INVITE request retransmit interval, initially T1, doubling (unreliable only; 0 if reliable). */
  readonly A: number;
  /** INVITE transaction timeout: 64·T1. */
  readonly B: number;
  /** Wait time for response retransmits: 32 s or 64·T1 if larger (unreliable), 0 (reliable). */
  readonly D: number;
  /** Non-INVITE request retransmit interval, initially T1, doubling up to T2 (unreliable; 0 if reliable). */
  readonly E: number;
  /** Non-INVITE transaction timeout: 64·T1. */
  readonly F: number;
  /** INVITE response retransmit interval, initially T1, doubling up to T2 (unreliable; 0 if reliable). */
  readonly G: number;
  /** Wait time for ACK receipt: 64·T1. */
  readonly H: number;
  /** Wait time for ACK retransmits: T4 (unreliable), 0 (reliable). */
  readonly I: number;
  /** Wait time for non-INVITE request retransmits: 64·T1 (unreliable), 0 (reliable). */
  readonly J: number;
  /** Wait time for response retransmits: T4 (unreliable), 0 (reliable). */
  readonly K: number;
}

/** A retransmission timer (A, E, G) and the timeout timer that bounds it (B, F, H). */
const TIMEOUT_OF = { A: 'B', E: 'F', G: 'H' } as const;

/**
 * Computes the RFC 3261 transaction timer values for T1/T2/T4 and a transport.
 *
 * @example
 * ```ts
 * import { sipTimerValues } from '@aem/timers';
 * const udp = sipTimerValues();                         // T1 500: B = F = H = 32000, D = 32000
 * const tcp = sipTimerValues({ transport: 'reliable' }); // A = E = G = D = I = J = K = 0
 * ```
 * @param options - T1, T2, T4 and the transport.
 * @returns the values in ms.
 * @throws {@link @aem/core!InvalidArgumentError} when a T is not a finite number > 0 or T2 < T1.
 */
export function sipTimerValues(options: SipTimerOptions = {}): SipTimerValues {
  const T1 = positive('options.t1Ms', options.t1Ms ?? 500);
  const T2 = positive('options.t2Ms', options.t2Ms ?? 4000);
  const T4 = positive('options.t4Ms', options.t4Ms ?? 5000);
  if (T2 < T1) throw new InvalidArgumentError('options.t2Ms', `≥ T1 (${T1} ms)`, T2);
  const transport = options.transport ?? 'unreliable';
  if (transport !== 'reliable' && transport !== 'unreliable') {
    throw new InvalidArgumentError('options.transport', '"reliable" or "unreliable"', transport);
  }
  const udp = transport === 'unreliable';
  const timeout = 64 * T1;
  return {
    T1,
    T2,
    T4,
    A: udp ? T1 : 0,
    B: timeout,
    D: udp ? Math.max(32_000, timeout) : 0,
    E: udp ? T1 : 0,
    F: timeout,
    G: udp ? T1 : 0,
    H: timeout,
    I: udp ? T4 : 0,
    J: udp ? timeout : 0,
    K: udp ? T4 : 0,
  };
}

/**
 * The successive intervals of retransmission timer A, E or G before its timeout timer (B, F, H)
 * fires: A doubles from T1 without cap; E and G double from T1 and are capped at T2. Empty over
 * a reliable transport (no retransmissions).
 *
 * @example
 * ```ts
 * import { sipRetransmitIntervals } from '@aem/timers';
 * sipRetransmitIntervals('A'); // [500, 1000, 2000, 4000, 8000, 16000] — sent at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
 * sipRetransmitIntervals('E'); // [500, 1000, 2000, 4000, 4000, …] up to 32 s
 * ```
 * @param timer - `A` (INVITE client), `E` (non-INVITE client) or `G` (INVITE server).
 * @param options - T1, T2, T4, transport.
 */
export function sipRetransmitIntervals(
  timer: 'A' | 'E' | 'G',
  options: SipTimerOptions = {},
): number[] {
  const values = sipTimerValues(options);
  const intervals: number[] = [];
  if (values[timer] === 0) return intervals;
  const timeout = values[TIMEOUT_OF[timer]];
  let interval = values.T1;
  for (let at = interval; at < timeout; at += interval) {
    intervals.push(interval);
    interval = timer === 'A' ? 2 * interval : Math.min(2 * interval, values.T2);
  }
  return intervals;
}

/**
 * The wake-ups of retransmission timer A, E or G together with the timeout timer that bounds
 * it (B, F or H), as the delay from each wake-up to the next: every delay but the last ends in
 * a retransmission, the last one in the timeout (its sum is the timeout's value). Over a
 * reliable transport it is the timeout alone.
 *
 * This is the allocation-free form of {@link sipRetransmissions} for code that keeps millions
 * of transactions on a {@link TimerWheel} directly: compute the array once per configuration,
 * keep a step index in each transaction, and arm `delays[step]` each time the timer fires. The
 * UAS core's 2xx retransmission (RFC 3261 §13.3.1.4: T1 doubling to T2, given up after 64·T1)
 * follows timer G's schedule with `transport: 'unreliable'`, whatever the transport.
 *
 * @example
 * ```ts
 * import { sipRetransmitDelays } from '@aem/timers';
 * sipRetransmitDelays('G'); // [500, 1000, 2000, 4000 ×7, 500]: 10 retransmissions, timer H at 32 s
 * sipRetransmitDelays('G', { transport: 'reliable' }); // [32000]: timer H only
 * ```
 * @param timer - `A` (INVITE client), `E` (non-INVITE client) or `G` (INVITE server).
 * @param options - T1, T2, T4, transport.
 * @returns the delays in ms; never empty, every one > 0.
 * @throws {@link @aem/core!InvalidArgumentError} as {@link sipTimerValues}.
 */
export function sipRetransmitDelays(
  timer: 'A' | 'E' | 'G',
  options: SipTimerOptions = {},
): number[] {
  const intervals = sipRetransmitIntervals(timer, options);
  const timeout = sipTimerValues(options)[TIMEOUT_OF[timer]];
  let sent = 0;
  for (const interval of intervals) sent += interval;
  // sipRetransmitIntervals keeps every retransmission strictly before the timeout: the last
  // delay is > 0.
  intervals.push(timeout - sent);
  return intervals;
}

/**
 * The retransmission schedule of a SIP client or server transaction as a stream: emits the
 * retransmission number (1, 2, …) each time timer A, E or G fires — send the message again
 * then — and errors with {@link SipTransactionTimeoutError} when the timeout timer B, F or H
 * fires. Over a reliable transport only the timeout runs. Stop it with `takeUntil(response$)`
 * or by unsubscribing; run it on a {@link WheelScheduler} to keep millions of them cheap.
 *
 * @example
 * ```ts
 * import { takeUntil } from 'rxjs';
 * import { sipRetransmissions } from '@aem/timers';
 *
 * sipRetransmissions('E', timers.scheduler, { transport: 'unreliable' })
 *   .pipe(takeUntil(finalResponse$))
 *   .subscribe({
 *     next: () => socket.send(request),
 *     error: (timeout) => transaction.fail(timeout), // SipTransactionTimeoutError, timer F
 *   });
 * ```
 * @param timer - `A`, `E` or `G`.
 * @param scheduler - where the timers run (a `WheelScheduler`).
 * @param options - T1, T2, T4, transport.
 */
export function sipRetransmissions(
  timer: 'A' | 'E' | 'G',
  scheduler: SchedulerLike,
  options: SipTimerOptions = {},
): Observable<number> {
  const intervals = sipRetransmitIntervals(timer, options);
  const values = sipTimerValues(options);
  const timeoutTimer = TIMEOUT_OF[timer];
  const timeoutMs = values[timeoutTimer];
  return new Observable<number>((subscriber) => {
    let sent = 0;
    const timeout = scheduler.schedule(
      () => subscriber.error(new SipTransactionTimeoutError(timeoutTimer, timeoutMs, sent)),
      timeoutMs,
    );
    if (intervals.length > 0) {
      const retransmit = scheduler.schedule(
        function (this: SchedulerAction<number>, index = 0) {
          sent++;
          subscriber.next(sent);
          if (index + 1 < intervals.length) this.schedule(index + 1, intervals[index + 1]);
        },
        intervals[0],
        0,
      );
      subscriber.add(retransmit);
    }
    subscriber.add(timeout);
  });
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0 && value < Infinity))
    throw new InvalidArgumentError(name, 'a finite number of ms > 0', value);
  return value;
}
