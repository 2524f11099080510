import { TimersError } from './timers.error';

/**
 * Raised when a value given as a {@link TimerHandle} was not made by this wheel: it carries
 * another wheel's id, or it is not a handle at all (not an integer, out of range). The wheel is
 * unchanged. A *stale* handle of this wheel (its timer fired or was cancelled, the slot maybe
 * reused) is not an error: operations on it are documented no-ops returning `false`.
 *
 * Detection uses the 8-bit wheel id carried in every handle: handles of two wheels whose ids
 * collide modulo 255 (only after 255 wheels were created in one process) cannot be told apart.
 *
 * @example
 * ```ts
 * import { ForeignHandleError, TimerWheel } from '@aem/timers';
 * const a = new TimerWheel();
 * const b = new TimerWheel();
 * const handle = a.start(1000, () => undefined);
 * try {
 *   b.cancel(handle);
 * } catch (error) {
 *   if (error instanceof ForeignHandleError) console.log(error.code); // AEM_TIMERS_FOREIGN_HANDLE
 * }
 * a.close();
 * b.close();
 * ```
 */
export class ForeignHandleError extends TimersError {
  /** @inheritDoc */
  readonly code = 'AEM_TIMERS_FOREIGN_HANDLE';

  /**
   * @param handle - the value that was given.
   * @param wheelId - the id of the wheel it was given to.
   * @param reason - why it was refused.
   */
  constructor(
    readonly handle: unknown,
    readonly wheelId: number,
    readonly reason: 'other-wheel' | 'not-a-handle',
  ) {
    super(
      reason === 'other-wheel'
        ? `timer handle ${String(handle)} belongs to another wheel than wheel ${wheelId}`
        : `${String(handle)} is not a timer handle of wheel ${wheelId}`,
    );
  }
}
