import type { SipState } from '../state/sip-state';

/** A REGISTER's work once the requests of its address of record before it are done. */
export type RegisterJob = () => Promise<void>;

/**
 * Most REGISTERs of one address of record waiting behind the one being written to the store.
 * Beyond, a REGISTER gets 503 with `Retry-After` (counted in `overloaded`): a client that
 * sends more than this many REGISTERs for one address before any is answered is flooding.
 */
export const MAX_QUEUED_REGISTERS_PER_AOR = 32;

/**
 * Runs `job` once every earlier job of `aor` settled: the REGISTERs of one address of record
 * read and write its bindings one at a time (each decides on the bindings the previous one
 * left), while those of other addresses — and everything else the transport carries — go on
 * meanwhile; the transport's domain never waits for the store. A job's rejection is handed to
 * `onError` (the job itself answers the request; this is only its last resort).
 *
 * @returns `false` (and `job` is not queued) when `aor` already has
 *   {@link MAX_QUEUED_REGISTERS_PER_AOR} waiting.
 */
export function serializeRegister(
  state: SipState,
  aor: string,
  job: RegisterJob,
  onError: (error: unknown) => void,
): boolean {
  const queue = state.registering.get(aor);
  if (queue !== undefined) {
    if (queue.length > MAX_QUEUED_REGISTERS_PER_AOR) return false;
    queue.push(job);
    return true;
  }
  const fresh = [job];
  state.registering.set(aor, fresh);
  void drain(state, aor, fresh, onError);
  return true;
}

async function drain(
  state: SipState,
  aor: string,
  queue: RegisterJob[],
  onError: (error: unknown) => void,
): Promise<void> {
  // Invariant: the queue's head is the job running; the queue leaves the map when it is empty.
  while (queue.length > 0) {
    try {
      await queue[0]!();
    } catch (error) {
      onError(error);
    }
    queue.shift();
  }
  state.registering.delete(aor);
}
