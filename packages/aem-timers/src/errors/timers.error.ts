import { AemError } from '@aem/core';

/**
 * Base class of the errors raised by `@aem/timers`; each has a stable `code`. Catch it to tell
 * the timers' failures from the rest of an application's.
 *
 * @example
 * ```ts
 * try {
 *   timers.after(-1, () => undefined);
 * } catch (error) {
 *   if (error instanceof TimersError) console.log(error.code); // AEM_TIMERS_INVALID_DELAY
 * }
 * ```
 */
export abstract class TimersError extends AemError {}
