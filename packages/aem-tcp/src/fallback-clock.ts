import type { Aem } from '@aem/core';
import { TIMERS_RANGE, TIMERS_SERVICE, type TimersContract } from './timers-contract';

/** A cancellable one-shot alarm. @internal */
export interface Alarm {
  cancel(): void;
}

/**
 * Arms a one-shot alarm for the TCP service's own deadlines (graceful shutdown). It runs on the
 * runtime's `timers` service when one is loaded — so a virtual clock drives it in tests — and
 * falls back to one Node timer otherwise, so a program without the timers service can still
 * shut a server down on time.
 *
 * @internal
 */
export function scheduleOn(runtime: Aem): (ms: number, callback: () => void) => Alarm {
  return (ms, callback) => {
    let timers;
    try {
      timers = runtime.bind<TimersContract>(TIMERS_SERVICE, TIMERS_RANGE);
    } catch {
      // The fallback clock: the only Node timer of this package.
      // eslint-disable-next-line no-restricted-globals
      const handle = setTimeout(callback, ms);
      return { cancel: () => clearTimeout(handle) };
    }
    const event = timers.call('after', { ms }, () => callback(), { keepAlive: true });
    return { cancel: () => event.shutdown() };
  };
}
