import type { CallSpec, ServiceDefinition } from '@aem/core';

/**
 * The name of the timers service TCP uses for idle timeouts and shutdown deadlines. TCP reaches
 * it through the AEM registry and never imports `@aem/timers` (services do not depend on each
 * other's packages), so the name and the calls below are the contract both sides keep.
 *
 * @internal
 */
export const TIMERS_SERVICE = 'timers';

/** The semver range of the timers service TCP binds. @internal */
export const TIMERS_RANGE = '^1';

/**
 * The slice of the timers service's definition TCP relies on: `after` and `every` with a delay
 * in ms, `every` activations carrying an expiration count. A binding typed with it needs no
 * cast.
 *
 * @internal
 */
export type TimersContract = ServiceDefinition<
  unknown,
  {
    readonly after: CallSpec<unknown, { readonly ms: number }, unknown>;
    readonly every: CallSpec<unknown, { readonly ms: number }, { readonly expirations: number }>;
  }
>;
