/**
 * The AEM soft-timer service: a hierarchical timing wheel, RxJS streams and scheduler, telecom
 * timer helpers.
 *
 * @packageDocumentation
 */

/* Timing wheel */
export { MAX_DELAY_TICKS, MAX_TIMERS, TimerWheel } from './timing-wheel';
export type { PeriodicOptions, TimerWheelOptions } from './timing-wheel';
export { NO_TIMER } from './timer-handle';
export type { TimerCallback, TimerHandle } from './timer-handle';

/* Service */
export { Timers } from './timers';
export type { EveryOptions, SleepOptions } from './timers';
export {
  TIMERS_SERVICE_NAME,
  TIMERS_SERVICE_VERSION,
  createTimersService,
  timersService,
} from './timers-service';
export type {
  AfterArgs,
  EveryArgs,
  TimersCalls,
  TimersServiceDefinition,
  TimersServiceOptions,
  TimersState,
} from './timers-service';
export type { TimerExpiration } from './timer-expiration';

/* RxJS */
export { WheelScheduler } from './wheel-scheduler';
export type { WheelSchedulerOptions } from './wheel-scheduler';

/* Telecom */
export {
  sipRetransmissions,
  sipRetransmitDelays,
  sipRetransmitIntervals,
  sipTimerValues,
} from './telecom/sip-transaction-timers';
export type {
  SipTimerOptions,
  SipTimerValues,
  SipTransport,
} from './telecom/sip-transaction-timers';
export {
  DIAMETER_TW_INIT_DEFAULT_MS,
  DIAMETER_TW_INIT_MIN_MS,
  DIAMETER_TW_JITTER_MS,
  diameterWatchdog,
  diameterWatchdogInterval,
} from './telecom/diameter-watchdog';
export type { DiameterWatchdogOptions } from './telecom/diameter-watchdog';

/* Clocks */
export { NodeClock } from './node-clock';
export type { NodeClockOptions } from './node-clock';
export type { ClockAlarm, TimerClock } from './timer-clock';

/* Errors */
export { TimersError } from './errors/timers.error';
export { ForeignHandleError } from './errors/foreign-handle.error';
export { InvalidDelayError } from './errors/invalid-delay.error';
export { SipTransactionTimeoutError } from './errors/sip-transaction-timeout.error';
export { WheelCapacityError } from './errors/wheel-capacity.error';
