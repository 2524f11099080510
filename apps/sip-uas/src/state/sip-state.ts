import { injectionToken, type FloodGuard } from '@aem/app-kit';
import type { DigestAuthenticator } from '../auth/digest-authenticator';
import type { Aem } from '@aem/core';
import type { Binding } from './binding';
import type { Call } from './call';
import { openCallJobs, type CallJobs } from './call-jobs';
import { newCounters, type SipCounters } from './sip-counters';
import { MemoryStore } from '../store/memory-store';
import type { RegistrarStore } from '../store/registrar-store';
import type { ServerTransaction } from '../transaction/server-transaction';

/**
 * Everything the SIP server remembers between requests: the calls, the INVITE transactions,
 * the non-INVITE transactions of UDP, the registrar's bindings and the counters. It is created once per process (in `main`) and
 * injected into the handlers, so a hot upgrade swaps the code that acts on it, never the state
 * itself — as an Erlang release upgrade keeps its ETS tables. Hence plain data only: no class
 * whose methods would pin the old version's code.
 */
export interface SipState {
  /** The runtime (call domains are made by it). */
  readonly runtime: Aem;
  /** Live calls by Call-ID. */
  readonly calls: Map<string, Call>;
  /** INVITE server transactions by topmost Via branch (CANCEL and retransmissions find them). */
  readonly invites: Map<string, Call>;
  /** Non-INVITE server transactions over UDP by `nonInviteKey`, each kept for timer J. */
  readonly transactions: Map<string, ServerTransaction>;
  /** Registrar bindings: address of record → contact URI → binding. */
  readonly registrar: Map<string, Map<string, Binding>>;
  /** Number of bindings in `registrar`. */
  bindings: number;
  /** Counters since start. */
  readonly counters: SipCounters;
  /** Posts work into call domains. */
  readonly callJobs: CallJobs;
  /** A source of unique tags and SDP session ids. */
  nextId: number;
  /** Where the registrar writes its bindings through (journal, Redis, or none). */
  readonly store: RegistrarStore;
  /** REGISTERs waiting for the one of their address of record being written (see register-queue). */
  readonly registering: Map<string, (() => Promise<void>)[]>;
  /**
   * The flood guard and the digest authenticator. They are objects made by `main`, not by the
   * handler module, so a hot upgrade keeps them (their bans, nonce counts and failure counts).
   */
  readonly security: SipSecurity;
}

/** What {@link SipState.security} holds. */
export interface SipSecurity {
  /** Per-source request rate and bans. */
  readonly guard: FloodGuard;
  /** The registrar's digest authentication; `undefined` when `SIP_AUTH_FILE` is not set. */
  readonly auth: DigestAuthenticator | undefined;
  /** Challenge INVITEs too (407). */
  readonly authInvite: boolean;
}

/** The container token of the {@link SipState}. */
export const SIP_STATE = injectionToken<SipState>('sip-uas:state');

/**
 * A fresh state on `runtime`.
 *
 * @param runtime - the application's runtime (for call domains).
 * @param onError - receives what a call job threw.
 * @param security - the flood guard and the authenticator.
 * @param store - the registrar's store (default: none, {@link MemoryStore}).
 */
export function createSipState(
  runtime: Aem,
  onError: (error: unknown) => void,
  security: SipSecurity,
  store: RegistrarStore = new MemoryStore(),
): SipState {
  return {
    runtime,
    calls: new Map(),
    invites: new Map(),
    transactions: new Map(),
    registrar: new Map(),
    bindings: 0,
    counters: newCounters(),
    callJobs: openCallJobs(onError),
    nextId: Math.floor(Math.random() * 1e9),
    store,
    registering: new Map(),
    security,
  };
}
