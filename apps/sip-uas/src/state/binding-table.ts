import { performance } from 'node:perf_hooks';
import type { Timers } from '@aem/timers';
import type { StoredBinding } from '../store/registrar-store';
import type { Binding } from './binding';
import type { SipState } from './sip-state';

/**
 * Adds or refreshes the binding of `aor` at `contact` in the registrar's table, expiring after
 * `expiresInMs` on its own timer (which removes it from the table, never from the store: the
 * journal drops expired bindings when it replays or compacts, Redis expires the key itself).
 *
 * @param state - the SIP state (its `registrar` table and `bindings` count).
 * @param timers - the timers service the expiry runs on.
 * @returns the binding.
 */
export function putBinding(
  state: SipState,
  timers: Timers,
  aor: string,
  contact: string,
  expiresInMs: number,
  callId: string,
  cseq: number,
): Binding {
  let bindings = state.registrar.get(aor);
  const existing = bindings?.get(contact);
  if (existing !== undefined) {
    existing.callId = callId;
    existing.cseq = cseq;
    existing.expiresAt = performance.now() + expiresInMs;
    timers.reschedule(existing.timer, expiresInMs);
    return existing;
  }
  if (bindings === undefined) state.registrar.set(aor, (bindings = new Map()));
  const binding: Binding = {
    contact,
    expiresAt: performance.now() + expiresInMs,
    callId,
    cseq,
    timer: timers.after(expiresInMs, () => dropBinding(state, aor, binding), { keepAlive: false }),
  };
  bindings.set(contact, binding);
  state.bindings++;
  return binding;
}

/** Removes `binding` from the table (no-op when it is no longer the one at its contact). */
export function dropBinding(state: SipState, aor: string, binding: Binding): void {
  const bindings = state.registrar.get(aor);
  if (bindings?.get(binding.contact) !== binding) return;
  binding.timer.shutdown();
  bindings.delete(binding.contact);
  state.bindings--;
  if (bindings.size === 0) state.registrar.delete(aor);
}

/** Removes every binding of `aor` from the table (a shared store's change notice). */
export function dropAor(state: SipState, aor: string): void {
  for (const binding of [...(state.registrar.get(aor)?.values() ?? [])]) {
    dropBinding(state, aor, binding);
  }
}

/**
 * Makes the table's bindings of `aor` exactly `stored` (a shared store's view: other nodes'
 * REGISTERs included), each with its remaining time. Expired ones are left out.
 *
 * @param now - `Date.now()` at the time of the lookup.
 */
export function replaceAor(
  state: SipState,
  timers: Timers,
  aor: string,
  stored: readonly StoredBinding[],
  now = Date.now(),
): void {
  const keep = new Set<string>();
  for (const binding of stored) {
    const left = binding.expiresAt - now;
    if (left <= 0) continue;
    keep.add(binding.contact);
    putBinding(state, timers, aor, binding.contact, left, binding.callId, binding.cseq);
  }
  for (const binding of [...(state.registrar.get(aor)?.values() ?? [])]) {
    if (!keep.has(binding.contact)) dropBinding(state, aor, binding);
  }
}

/**
 * Loads the bindings a store kept (the journal's, at start) into the table, each with its
 * remaining time; those expired meanwhile are skipped.
 *
 * @returns how many were loaded.
 */
export function restoreBindings(
  state: SipState,
  timers: Timers,
  stored: readonly StoredBinding[],
  now = Date.now(),
): number {
  let loaded = 0;
  for (const binding of stored) {
    const left = binding.expiresAt - now;
    if (left <= 0) continue;
    putBinding(state, timers, binding.aor, binding.contact, left, binding.callId, binding.cseq);
    loaded++;
  }
  return loaded;
}
