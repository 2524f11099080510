import { isIP } from 'node:net';
import { findParam } from '../sip/sip-message';
import { simpleVia } from '../sip/simple-via';

/** Where the responses to a request that came over UDP go, and its top Via as they carry it. */
export interface UdpResponseRoute {
  /** The top Via for the responses: with `received` and a filled-in `rport` where due. */
  readonly via: string;
  /** The destination address. */
  readonly address: string;
  /** The destination port. */
  readonly port: number;
}

/** `SIP/2.0/UDP sent-by;params`, white space allowed around the slashes (RFC 3261 §25.1 SLASH). */
const VIA = /^\s*SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z0-9.!%*_+`'~-]+\s+([^;\s]+)\s*((?:;.*)?)$/;

/**
 * RFC 3261 §18.2.1/§18.2.2 and RFC 3581 for a request received over UDP from `source`: where
 * its responses go and the top Via they carry.
 *
 * - `rport` without a value (RFC 3581 §4): the Via gets `received=<source address>` and
 *   `rport=<source port>`, and responses go back to the source address and port — through the
 *   NAT that rewrote them.
 * - otherwise `received=<source address>` is added when the sent-by host is a name or another
 *   address than the source (§18.2.1), and responses go to the `maddr` address when there is
 *   one, else to the received (source) address, at the sent-by port or 5060 (§18.2.2).
 *
 * A top Via that does not parse as `SIP/2.0/<transport> <sent-by>` is left as it is and the
 * responses go to the source: the request parsed, so it gets an answer where it came from.
 *
 * @param topVia - the request's topmost Via value.
 * @param source - where the datagram came from.
 * @returns the responses' destination and top Via.
 */
export function udpResponseRoute(
  topVia: string,
  source: { readonly address: string; readonly port: number },
): UdpResponseRoute {
  const sourceAddress = unmapped(source.address);
  let host: string;
  let port: number | undefined;
  let params: string;
  const simple = simpleVia(topVia);
  if (simple !== null) {
    host = simple.host.toLowerCase();
    port = simple.port;
    params = simple.params;
  } else {
    const match = VIA.exec(topVia);
    if (match === null) return { via: topVia, address: sourceAddress, port: source.port };
    ({ host, port } = sentBy(match[1]));
    params = match[2];
  }
  const rport = findParam(params, 'rport');
  if (rport !== undefined) {
    // RFC 3581 §4: received even when it equals the sent-by host.
    const via = withParam(
      withParam(topVia, 'rport', String(source.port)),
      'received',
      sourceAddress,
    );
    return { via, address: sourceAddress, port: source.port };
  }
  const via = host === sourceAddress ? topVia : withParam(topVia, 'received', sourceAddress);
  const maddr = findParam(params, 'maddr');
  const address =
    maddr !== undefined && isIP(unbracket(maddr)) !== 0 ? unbracket(maddr) : sourceAddress;
  return { via, address, port: port ?? 5060 };
}

/** The host (brackets of an IPv6 reference removed) and port of a sent-by. */
function sentBy(text: string): { host: string; port: number | undefined } {
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = text.slice(1, close < 0 ? text.length : close);
    rest = close < 0 ? '' : text.slice(close + 1);
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon);
  }
  const port = /^:(\d{1,5})$/.exec(rest);
  const value = port === null ? undefined : Number(port[1]);
  return {
    host: host.toLowerCase(),
    port: value !== undefined && value <= 65_535 ? value : undefined,
  };
}

const PARAM = {
  rport: /;\s*rport(\s*=\s*[^;]*)?(?=;|$)/i,
  received: /;\s*received(\s*=\s*[^;]*)?(?=;|$)/i,
};

/** The Via with parameter `name` set to `value`: replaced where present, else appended. */
function withParam(via: string, name: 'rport' | 'received', value: string): string {
  const pattern = PARAM[name];
  return pattern.test(via) ? via.replace(pattern, `;${name}=${value}`) : `${via};${name}=${value}`;
}

/** An IPv4 address as a dual-stack socket reports it (`::ffff:10.0.0.1`) → `10.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
