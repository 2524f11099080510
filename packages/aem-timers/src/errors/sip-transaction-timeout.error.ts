import { TimersError } from './timers.error';

/**
 * Raised (as the error of the retransmission stream) when an RFC 3261 transaction timeout timer
 * fires: timer B (INVITE client), F (non-INVITE client) or H (INVITE server, waiting for ACK),
 * each 64·T1 by default.
 *
 * @example
 * ```ts
 * import { SipTransactionTimeoutError } from '@aem/timers';
 * retransmissions$.subscribe({
 *   error: (error) => {
 *     if (error instanceof SipTransactionTimeoutError) console.log(`timer ${error.timer} after ${error.afterMs} ms`);
 *   },
 * });
 * ```
 */
export class SipTransactionTimeoutError extends TimersError {
  /** @inheritDoc */
  readonly code = 'AEM_SIP_TRANSACTION_TIMEOUT';

  /**
   * @param timer - which timeout timer fired: `B`, `F` or `H`.
   * @param afterMs - its duration in milliseconds.
   * @param retransmissions - how many retransmissions were made before it fired.
   */
  constructor(
    readonly timer: 'B' | 'F' | 'H',
    readonly afterMs: number,
    readonly retransmissions: number,
  ) {
    super(
      `SIP transaction timer ${timer} fired after ${afterMs} ms (${retransmissions} retransmissions)`,
    );
  }
}
