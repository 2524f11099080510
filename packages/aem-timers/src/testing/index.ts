/**
 * Test support for `@aem/timers`: a virtual clock that tests advance deterministically; the
 * timing wheel, the timers service and the RxJS scheduler all follow it.
 *
 * @packageDocumentation
 */

/* Clocks */
export { VirtualClock } from './virtual-clock';
