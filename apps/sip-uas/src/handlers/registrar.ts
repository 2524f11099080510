import { performance } from 'node:perf_hooks';
import {
  addressParams,
  addressUri,
  header,
  param,
  splitList,
  type SipRequest,
} from '../sip/sip-message';
import type { Binding } from '../state/binding';
import type { SipContext } from './sip-context';
import type { SipChannel } from '../transport/sip-channel';
import { respond } from './respond';

interface ContactRequest {
  readonly uri: string;
  readonly expires: number;
}

/** RFC 3261 §10.3: a registrar's answer to REGISTER, the bindings kept on the timers service. */
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

  const bindings = state.registrar.get(aor);
  if (contacts.length === 1 && contacts[0] === '*') {
    // §10.3 step 6: "*" removes every binding, only with Expires: 0.
    if (defaultExpires !== 0 || expiresHeader === undefined) {
      return reply(ctx, channel, request, 400, 'Wildcard Contact Needs Expires 0');
    }
    for (const binding of bindings?.values() ?? []) remove(ctx, aor, binding);
    state.counters.registers++;
    return reply(ctx, channel, request, 200, 'OK');
  }
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

  const added = wanted.filter(
    ({ uri, expires }) => expires > 0 && bindings?.get(uri) === undefined,
  );
  if ((bindings?.size ?? 0) + added.length > config.maxContactsPerAor) {
    return reply(ctx, channel, request, 403, 'Too Many Contacts');
  }
  if (state.bindings + added.length > config.maxBindings) {
    state.counters.overloaded++;
    return reply(ctx, channel, request, 503, 'Service Unavailable', 'Retry-After: 60\r\n');
  }
  for (const contact of wanted) update(ctx, aor, contact, request);
  state.counters.registers++;
  reply(ctx, channel, request, 200, 'OK', currentContacts(ctx, aor));
}

/** §10.3 step 7: add, refresh or remove one binding (an older CSeq of the same Call-ID is ignored). */
function update(ctx: SipContext, aor: string, contact: ContactRequest, request: SipRequest): void {
  const { state, timers } = ctx;
  let bindings = state.registrar.get(aor);
  const existing = bindings?.get(contact.uri);
  if (
    existing !== undefined &&
    existing.callId === request.callId &&
    existing.cseq >= request.cseqNumber
  ) {
    return;
  }
  if (contact.expires === 0) {
    if (existing !== undefined) remove(ctx, aor, existing);
    return;
  }
  const expiresAt = performance.now() + contact.expires * 1000;
  if (existing !== undefined) {
    existing.callId = request.callId;
    existing.cseq = request.cseqNumber;
    existing.expiresAt = expiresAt;
    timers.reschedule(existing.timer, contact.expires * 1000);
    return;
  }
  if (bindings === undefined) state.registrar.set(aor, (bindings = new Map()));
  const binding: Binding = {
    contact: contact.uri,
    expiresAt,
    callId: request.callId,
    cseq: request.cseqNumber,
    timer: timers.after(contact.expires * 1000, () => remove(ctx, aor, binding), {
      keepAlive: false,
    }),
  };
  bindings.set(contact.uri, binding);
  state.bindings++;
}

function remove(ctx: SipContext, aor: string, binding: Binding): void {
  const bindings = ctx.state.registrar.get(aor);
  if (bindings?.get(binding.contact) !== binding) return;
  binding.timer.shutdown();
  bindings.delete(binding.contact);
  ctx.state.bindings--;
  if (bindings.size === 0) ctx.state.registrar.delete(aor);
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
