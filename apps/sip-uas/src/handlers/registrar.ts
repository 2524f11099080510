import { performance } from 'node:perf_hooks';
import {
  addressParams,
  addressUri,
  header,
  param,
  splitList,
  type SipRequest,
} from '../sip/sip-message';
import { dropBinding, putBinding, replaceAor } from '../state/binding-table';
import { isStoreUnavailable } from '../store/registrar-store';
import type { SipContext } from './sip-context';
import type { SipChannel } from '../transport/sip-channel';
import { serializeRegister } from './register-queue';
import { respond } from './respond';

interface ContactRequest {
  readonly uri: string;
  readonly expires: number;
}

/**
 * RFC 3261 §10.3: a registrar's answer to REGISTER. What the request alone decides (scheme,
 * Expires, Contact syntax, Min-Expires) is answered at once; the rest waits for the store (see
 * `apply`), so the 200 goes out only once the change is durable (journal) or shared (Redis).
 * The bindings are kept in the local table on the timers service as well.
 */
export function register(ctx: SipContext, request: SipRequest, channel: SipChannel): void {
  const { config, state } = ctx;
  const aor = normalizeAor(addressUri(request.to));
  if (!/^sips?:/i.test(aor)) return reply(ctx, channel, request, 416, 'Unsupported URI Scheme');

  const expiresHeader = header(request, 'expires');
  if (expiresHeader !== undefined && !/^\d{1,10}$/.test(expiresHeader.trim())) {
    return reply(ctx, channel, request, 400, 'Bad Expires');
  }
  const defaultExpires =
    expiresHeader === undefined ? config.defaultExpires : Number(expiresHeader.trim());
  const contacts = (request.headers.get('contact') ?? []).flatMap(splitList);

  let change: RegisterChange;
  if (contacts.length === 1 && contacts[0] === '*') {
    // §10.3 step 6: "*" removes every binding, only with Expires: 0.
    if (defaultExpires !== 0 || expiresHeader === undefined) {
      return reply(ctx, channel, request, 400, 'Wildcard Contact Needs Expires 0');
    }
    change = '*';
  } else {
    if (contacts.includes('*'))
      return reply(ctx, channel, request, 400, 'Wildcard With Other Contacts');
    const wanted: ContactRequest[] = [];
    for (const contact of contacts) {
      const text = param(addressParams(contact), 'expires');
      if (text !== '' && !/^\d{1,10}$/.test(text))
        return reply(ctx, channel, request, 400, 'Bad Expires');
      const expires = text === '' ? defaultExpires : Number(text);
      if (expires > 0 && expires < config.minExpires) {
        return reply(
          ctx,
          channel,
          request,
          423,
          'Interval Too Brief',
          `Min-Expires: ${config.minExpires}\r\n`,
        );
      }
      wanted.push({ uri: addressUri(contact), expires: Math.min(expires, config.maxExpires) });
    }
    change = wanted;
  }
  // The memory store keeps nothing beyond the table and takes every change at once: the
  // REGISTER is decided, applied and answered in this call, with no queue entry, promise or
  // await (unless earlier REGISTERs of this address of record still wait: then after them).
  if (state.store.kind === 'memory' && !state.registering.has(aor)) {
    try {
      const plan = planRegister(ctx, aor, change, request);
      if (isRefusal(plan)) return reply(ctx, channel, request, ...plan);
      return commitRegister(ctx, aor, plan, request, channel);
    } catch (error) {
      ctx.logger.error({ err: error, aor }, 'REGISTER failed');
      return reply(ctx, channel, request, 500, 'Server Internal Error');
    }
  }
  // The rest reads and writes the store: it runs after the earlier REGISTERs of this address of
  // record, and answers when the store settled — the transport's domain does not wait for it.
  const queued = serializeRegister(
    state,
    aor,
    () =>
      apply(ctx, aor, change, request, channel).catch((error: unknown) => {
        ctx.logger.error({ err: error, aor }, 'REGISTER failed');
        reply(ctx, channel, request, 500, 'Server Internal Error');
      }),
    (error) => ctx.logger.error({ err: error, aor }, 'REGISTER answer failed'),
  );
  if (!queued) {
    state.counters.overloaded++;
    reply(ctx, channel, request, 503, 'Service Unavailable', 'Retry-After: 5\r\n');
  }
}

/** What a REGISTER asks for: every binding removed (`*`), or these contacts set (none: a query). */
type RegisterChange = '*' | readonly ContactRequest[];

/** The store writes and table changes a REGISTER makes: `expires` 0 removes the binding. */
type RegisterPlan = readonly ContactRequest[];

/** A REGISTER refused against the current bindings: status, reason and extra header lines. */
type Refusal = readonly [status: number, reason: string, headers?: string];

function isRefusal(plan: RegisterPlan | Refusal): plan is Refusal {
  return typeof plan[0] === 'number';
}

/**
 * §10.3 steps 6–8 against the store, answered once the store took the change. A store that
 * cannot take or give the bindings makes it 503 with `Retry-After` (counted in
 * `storeUnavailable`).
 */
async function apply(
  ctx: SipContext,
  aor: string,
  change: RegisterChange,
  request: SipRequest,
  channel: SipChannel,
): Promise<void> {
  try {
    await (ctx.state.store.update !== undefined
      ? applyInStore(ctx, aor, change, request, channel)
      : applyOnTable(ctx, aor, change, request, channel));
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    ctx.state.counters.storeUnavailable++;
    ctx.logger.debug({ aor, reason: error.reason }, 'REGISTER refused: store unavailable');
    reply(
      ctx,
      channel,
      request,
      503,
      'Service Unavailable',
      `Retry-After: ${error.retryAfterS}\r\n`,
    );
  }
}

/**
 * A store without `update` (the embedded journal, or the primary's journal over IPC): the
 * address of record's bindings are read from it when it is shared (other workers' included) into
 * the local table, the change is decided on the table, written to the store, and only once the
 * store took it applied to the table and answered 200.
 */
async function applyOnTable(
  ctx: SipContext,
  aor: string,
  change: RegisterChange,
  request: SipRequest,
  channel: SipChannel,
): Promise<void> {
  const { state, timers } = ctx;
  const { store } = state;
  const view = await store.lookup(aor);
  if (view !== null) replaceAor(state, timers, aor, view);
  const plan = planRegister(ctx, aor, change, request);
  if (isRefusal(plan)) return reply(ctx, channel, request, ...plan);
  const now = Date.now();
  await Promise.all(
    plan.map(({ uri, expires }) =>
      expires > 0
        ? store.save({
            aor,
            contact: uri,
            expiresAt: now + expires * 1000,
            callId: request.callId,
            cseq: request.cseqNumber,
          })
        : store.remove(aor, uri),
    ),
  );
  commitRegister(ctx, aor, plan, request, channel);
}

/**
 * A store with `update` (Redis, shared by several nodes): the whole change is decided and written
 * by the store on its own view of the address of record — other nodes' bindings included — in
 * one step and one round trip, and the bindings it returns become the local table's copy.
 */
async function applyInStore(
  ctx: SipContext,
  aor: string,
  change: RegisterChange,
  request: SipRequest,
  channel: SipChannel,
): Promise<void> {
  const { config, state, timers } = ctx;
  // The node's own limit, checked on its local copy before the store is asked: a contact the
  // copy lacks (another node's, or a copy dropped by a change notice) counts as added, so the
  // estimate errs towards refusing.
  if (
    change !== '*' &&
    state.bindings + addedContacts(change, state.registrar.get(aor)) > config.maxBindings
  ) {
    state.counters.overloaded++;
    return reply(ctx, channel, request, ...OVERLOADED);
  }
  const now = Date.now();
  const result = await state.store.update!(aor, {
    contacts:
      change === '*'
        ? '*'
        : change.map(({ uri, expires }) => ({
            contact: uri,
            expiresAt: expires > 0 ? now + expires * 1000 : 0,
          })),
    callId: request.callId,
    cseq: request.cseqNumber,
    maxContacts: config.maxContactsPerAor,
  });
  replaceAor(state, timers, aor, result.bindings);
  if (!result.accepted) return reply(ctx, channel, request, 403, 'Too Many Contacts');
  state.counters.registers++;
  reply(ctx, channel, request, 200, 'OK', change === '*' ? '' : currentContacts(ctx, aor));
}

/** The refusal when the node holds its most bindings, `maxBindings` (counted in `overloaded`). */
const OVERLOADED: Refusal = [503, 'Service Unavailable', 'Retry-After: 60\r\n'];

/** How many distinct contacts `wanted` adds to `bindings` (those set that it lacks). */
function addedContacts(
  wanted: readonly ContactRequest[],
  bindings: ReadonlyMap<string, unknown> | undefined,
): number {
  const added = new Set<string>();
  for (const { uri, expires } of wanted) {
    if (expires > 0 && bindings?.get(uri) === undefined) added.add(uri);
  }
  return added.size;
}

/**
 * §10.3 steps 6–7 against the table's current bindings of `aor`: what to write, or why not.
 * `*` removes every binding; otherwise a binding last refreshed by a later CSeq of the same
 * Call-ID stays as it is, and the per-AOR and total binding limits are checked.
 */
function planRegister(
  ctx: SipContext,
  aor: string,
  change: RegisterChange,
  request: SipRequest,
): RegisterPlan | Refusal {
  const { config, state } = ctx;
  const bindings = state.registrar.get(aor);
  if (change === '*') {
    return [...(bindings?.values() ?? [])].map((binding) => ({ uri: binding.contact, expires: 0 }));
  }
  const plan = change.filter(({ uri }) => {
    const existing = bindings?.get(uri);
    return !(
      existing !== undefined &&
      existing.callId === request.callId &&
      existing.cseq >= request.cseqNumber
    );
  });
  // New contacts, a URI listed twice counted once.
  const added = addedContacts(plan, bindings);
  if ((bindings?.size ?? 0) + added > config.maxContactsPerAor) {
    return [403, 'Too Many Contacts'];
  }
  if (state.bindings + added > config.maxBindings) {
    state.counters.overloaded++;
    return OVERLOADED;
  }
  return plan;
}

/** Applies a plan the store took to the table, and answers 200 with the current bindings. */
function commitRegister(
  ctx: SipContext,
  aor: string,
  plan: RegisterPlan,
  request: SipRequest,
  channel: SipChannel,
): void {
  const { state, timers } = ctx;
  for (const { uri, expires } of plan) {
    if (expires > 0) {
      putBinding(state, timers, aor, uri, expires * 1000, request.callId, request.cseqNumber);
    } else {
      const existing = state.registrar.get(aor)?.get(uri);
      if (existing !== undefined) dropBinding(state, aor, existing);
    }
  }
  state.counters.registers++;
  reply(ctx, channel, request, 200, 'OK', currentContacts(ctx, aor));
}

/** The Contact lines of a 200 to REGISTER: every current binding with its remaining time. */
function currentContacts(ctx: SipContext, aor: string): string {
  const now = performance.now();
  let lines = '';
  for (const binding of ctx.state.registrar.get(aor)?.values() ?? []) {
    const left = Math.max(0, Math.round((binding.expiresAt - now) / 1000));
    lines += `Contact: <${binding.contact}>;expires=${left}\r\n`;
  }
  return lines;
}

/** An address of record as the registrar keys it: scheme and host case-folded, no parameters. */
export function normalizeAor(uri: string): string {
  const noParams = uri.split(';')[0].split('?')[0];
  const at = noParams.indexOf('@');
  const colon = noParams.indexOf(':');
  const scheme = noParams.slice(0, colon + 1).toLowerCase();
  if (at < 0) return scheme + noParams.slice(colon + 1).toLowerCase();
  return scheme + noParams.slice(colon + 1, at + 1) + noParams.slice(at + 1).toLowerCase();
}

function reply(
  ctx: SipContext,
  channel: SipChannel,
  request: SipRequest,
  status: number,
  reason: string,
  headers = '',
): void {
  respond(ctx, channel, request, status, reason, registrarTag, headers);
}

/** The To tag of the registrar's responses. */
const registrarTag = `reg${process.pid.toString(36)}`;
