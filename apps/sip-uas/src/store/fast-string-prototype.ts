/**
 * Takes `String.prototype` out of V8's dictionary mode after a library subclassed `String`.
 *
 * Making an object the prototype of a new one (`class X extends String`, as ioredis 6 does for
 * RESP3's `VerbatimString`) puts it in V8's "prototype setup mode", a dictionary, so that adding
 * methods to it is cheap. V8 makes it fast again only when a property is stored on, or an
 * instance built from, an object that inherits from it. A string primitive's method call never does
 * either, so until then every `charCodeAt`, `indexOf` or `slice` in optimized code (the whole SIP
 * parser) is a generic lookup: 13–20 % of a worker's CPU over UDP, measured in session 11. One
 * store on a `String` wrapper object puts the prototype back in fast mode. It costs nothing when
 * the prototype is already fast. `test/store.spec.ts` checks both the cause and this fix.
 */
export function makeStringPrototypeFast(): void {
  const wrapper = new String('') as string & { fast?: boolean };
  wrapper.fast = true;
}
