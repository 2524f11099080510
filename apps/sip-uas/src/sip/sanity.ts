import { isIP } from 'node:net';
import { header, type SipRequest } from './sip-message';
import { simpleVia } from './simple-via';

/** A request that fails a sanity check: answer it with this status (RFC 3261 §8.2, §16.3). */
export interface SanityFailure {
  readonly status: 400 | 483;
  readonly reason: string;
}

/** `hostname` of RFC 3261 §25.1: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;

/**
 * The checks Kamailio's stock configuration runs before routing (`maxfwd` and `sanity`):
 * a Max-Forwards that is not 0–255 is 400, and 0 is 483 Too Many Hops; a top Via whose sent-by
 * host is neither an IP address nor a host name is 400.
 *
 * @returns the failure, or `null` for a request that passes.
 */
export function checkSanity(request: SipRequest): SanityFailure | null {
  const maxForwards = header(request, 'max-forwards')?.trim();
  if (maxForwards !== undefined) {
    if (!/^\d{1,3}$/.test(maxForwards) || Number(maxForwards) > 255)
      return { status: 400, reason: 'Bad Max-Forwards' };
    if (Number(maxForwards) === 0) return { status: 483, reason: 'Too Many Hops' };
  }
  const host = viaHost(request.via[0] ?? '');
  if (host === null) return { status: 400, reason: 'Bad Via' };
  return null;
}

/**
 * The host of a Via's sent-by (`SIP/2.0/UDP host[:port];params`), brackets removed from an IPv6
 * reference, or `null` when it is not an IP address or a host name.
 */
export function viaHost(via: string): string | null {
  const simple = simpleVia(via);
  if (simple !== null) {
    const host = simple.host; // letters, digits, dots and hyphens: IPv4 or a name, or neither
    return isIP(host) === 4 || HOSTNAME.test(host) ? host : null;
  }
  const match =
    /^SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z-]+\s+(\[[^\]]*\]|[^\s:;]+)(?:\s*:\s*(\d{1,5}))?\s*(?:;|$)/i.exec(
      via.trim(),
    );
  if (match === null) return null;
  const [, host, port] = match as unknown as [string, string, string | undefined];
  if (port !== undefined && Number(port) > 65_535) return null;
  if (host.startsWith('[')) {
    const inner = host.slice(1, -1);
    return isIP(inner) === 6 ? inner : null;
  }
  if (isIP(host) === 4) return host;
  return HOSTNAME.test(host) ? host : null;
}
