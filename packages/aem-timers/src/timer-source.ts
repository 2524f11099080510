import { QueueFullError, type CallContext, type EventSourceHooks } from '@aem/core';
import type { TimerExpiration } from './timer-expiration';
import { NO_TIMER, type TimerHandle } from './timer-handle';
import type { TimerEngine } from './timer-engine';

/**
 * @internal The source behind one timer event: owns at most one wheel timer and turns its
 * expirations into activations. Stopping disarms; starting again re-arms from now with the full
 * delay.
 */
export class TimerSource implements EventSourceHooks {
  private handle: TimerHandle = NO_TIMER;
  private count = 0;
  /** Expirations refused by a full queue, delivered with the next activation. */
  private carried = 0;
  private closed = false;

  constructor(
    private readonly ctx: CallContext<TimerExpiration>,
    private readonly wheel: TimerEngine,
    private delayMs: number,
    /** 0 for a one-shot timer. */
    private periodMs: number,
  ) {}

  start(): void {
    if (this.closed || this.handle !== NO_TIMER) return;
    const wheel = this.wheel;
    this.handle =
      this.periodMs > 0
        ? wheel.every(this.periodMs, onExpire, this as TimerSource, { firstDelayMs: this.delayMs })
        : wheel.start(this.delayMs, onExpire, this as TimerSource);
  }

  stop(): void {
    if (this.handle !== NO_TIMER) {
      this.wheel.cancel(this.handle);
      this.handle = NO_TIMER;
    }
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  /** Re-arms from now with the current delay; false once the event is closed. */
  refresh(): boolean {
    if (this.closed) return false;
    if (
      this.handle !== NO_TIMER &&
      this.periodMs === 0 &&
      this.wheel.reschedule(this.handle, this.delayMs)
    ) {
      return true;
    }
    if (this.ctx.event.state !== 'active') return true;
    this.stop();
    this.start();
    return true;
  }

  /** Sets a new delay (one-shot) or period (periodic, first expiration one period from now) and re-arms. */
  reschedule(ms: number): boolean {
    if (this.closed) return false;
    if (this.periodMs > 0) this.periodMs = ms;
    this.delayMs = ms;
    return this.refresh();
  }

  /** @internal */
  _expired(expirations: number): void {
    const periodic = this.periodMs > 0;
    if (!periodic) this.handle = NO_TIMER;
    const total = expirations + this.carried;
    this.count += total;
    const ctx = this.ctx;
    try {
      ctx.activate({ expirations: total, count: this.count, time: this.wheel.now() });
      this.carried = 0;
    } catch (error) {
      if (periodic && error instanceof QueueFullError) {
        // Never lose an expiration: report it with the next activation instead.
        this.carried = total;
        this.count -= total;
      } else {
        ctx.fail(error);
      }
      return;
    }
    if (!periodic) ctx.end();
  }
}

function onExpire(source: TimerSource, expirations: number): void {
  source._expired(expirations);
}
