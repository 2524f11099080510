/**
 * Shared by every connection's lists until their first element: most connections never get a
 * connection-level sink or a drain waiter, and an idle one has nothing to send (a client's owner
 * has no server-level sinks at all). Frozen, so a push onto it fails loudly: code that grows a
 * list replaces EMPTY with a new array first.
 *
 * @internal
 */
export const EMPTY: never[] = Object.freeze([]) as never[];
