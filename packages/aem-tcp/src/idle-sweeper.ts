import { InvalidArgumentError, type Aem, type AemEvent } from '@aem/core';
import { TimersUnavailableError } from './errors/timers-unavailable.error';
import { TIMERS_RANGE, TIMERS_SERVICE, type TimersContract } from './timers-contract';

/** What the sweeper needs from a connection. @internal */
export interface Sweepable {
  /** Sweep tick of the connection's last activity. */
  _lastActiveTick: number;
  /** Closes the connection for idleness. */
  _idleTimeout(): void;
}

/** Sweeps per idle timeout: a connection closes after between 1 and 1.25 idle timeouts. */
const SWEEPS_PER_TIMEOUT = 4;

/**
 * Idle timeouts for many connections with one periodic timer of the `timers` service.
 *
 * Activity costs nothing but a store: a connection records the current sweep tick when bytes
 * move. Every `idleTimeoutMs / 4` the sweep advances the tick (by the timer's expiration
 * count, so a late sweep is not lost time) and closes connections whose last activity is more
 * than four ticks old — idle for more than `idleTimeoutMs` and at most `1.25 × idleTimeoutMs`.
 * Time comes from the timers service, so a virtual clock drives it in tests.
 *
 * The timers service is reached through the AEM registry ({@link TimersContract}), never
 * imported: services do not depend on each other's packages.
 *
 * @internal
 */
export class IdleSweeper {
  /** The current sweep tick. */
  tick = 0;
  private readonly members = new Set<Sweepable>();
  private readonly timer: AemEvent;

  constructor(runtime: Aem, idleTimeoutMs: number) {
    if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs < SWEEPS_PER_TIMEOUT) {
      throw new InvalidArgumentError(
        'idleTimeoutMs',
        `a number of milliseconds ≥ ${SWEEPS_PER_TIMEOUT}`,
        idleTimeoutMs,
      );
    }
    let timers;
    try {
      timers = runtime.bind<TimersContract>(TIMERS_SERVICE, TIMERS_RANGE);
    } catch (error) {
      throw new TimersUnavailableError(error);
    }
    const args = { ms: Math.ceil(idleTimeoutMs / SWEEPS_PER_TIMEOUT) };
    this.timer = timers.call('every', args, (expiration) => this.sweep(expiration), {
      keepAlive: false,
    });
  }

  add(member: Sweepable): void {
    member._lastActiveTick = this.tick;
    this.members.add(member);
  }

  delete(member: Sweepable): void {
    this.members.delete(member);
  }

  close(): void {
    this.timer.shutdown();
    this.members.clear();
  }

  private sweep(expiration: { readonly expirations: number }): void {
    const count = expiration.expirations;
    this.tick += count > 0 ? count : 1;
    const horizon = this.tick - SWEEPS_PER_TIMEOUT;
    for (const member of this.members) {
      if (member._lastActiveTick < horizon) {
        this.members.delete(member);
        member._idleTimeout();
      }
    }
  }
}
