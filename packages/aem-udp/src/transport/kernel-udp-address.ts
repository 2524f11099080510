/**
 * IP addresses between their text (what `Datagram.peer` and `send` use, as `node:dgram` prints
 * them) and `struct aem_udp_addr`, the kernel UDP service's 24 bytes: family (u16), port (u16,
 * host order), scope id (u32), 16 address bytes (network order; IPv4 uses the first 4).
 *
 * Both directions are on the hot path (one lookup per datagram received and per datagram
 * sent), so each keeps a bounded cache: a server talks to a bounded set of peers at a time, and
 * a cache that fills is simply emptied (no eviction bookkeeping per hit).
 *
 * @internal
 */

/** `sizeof(struct aem_udp_addr)`. */
export const UDP_ADDR_SIZE = 24;
/** Linux's address families. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** Most entries of each cache before it is emptied. */
const CACHE_MAX = 4096;

/** An address parsed for the kernel: its family and the 20 bytes after the port. */
export interface KernelAddress {
  /** `AF_INET` or `AF_INET6`. */
  readonly family: number;
  /** Scope id (a link-local IPv6 address's `%<n>`), else 0. */
  readonly scopeId: number;
  /** 16 bytes, network order (IPv4: the first 4, the rest zero). */
  readonly bytes: Uint8Array;
}

const ipv4Text = new Map<number, string>();
const ipv6Text = new Map<string, string>();
const parsed = new Map<string, KernelAddress | null>();

/**
 * The text of the address in `struct aem_udp_addr` at `at` of `data`, as node:dgram prints a
 * peer: dotted quad, or IPv6 as libuv writes it (`::1`, `::ffff:127.0.0.1` for an IPv4 peer of a
 * dual-stack socket), with `%<scope id>` after a link-local one.
 */
export function addressText(data: Uint8Array, at: number): string {
  const family = data[at] | (data[at + 1] << 8);
  const a = at + 8;
  if (family === AF_INET) {
    const key = ((data[a] << 24) | (data[a + 1] << 16) | (data[a + 2] << 8) | data[a + 3]) >>> 0;
    let text = ipv4Text.get(key);
    if (text === undefined) {
      if (ipv4Text.size >= CACHE_MAX) ipv4Text.clear();
      text = `${data[a]}.${data[a + 1]}.${data[a + 2]}.${data[a + 3]}`;
      ipv4Text.set(key, text);
    }
    return text;
  }
  if (family !== AF_INET6) return '';
  const scope =
    (data[at + 4] | (data[at + 5] << 8) | (data[at + 6] << 16) | (data[at + 7] << 24)) >>> 0;
  let key = String.fromCharCode(
    data[a],
    data[a + 1],
    data[a + 2],
    data[a + 3],
    data[a + 4],
    data[a + 5],
    data[a + 6],
    data[a + 7],
    data[a + 8],
    data[a + 9],
    data[a + 10],
    data[a + 11],
    data[a + 12],
    data[a + 13],
    data[a + 14],
    data[a + 15],
  );
  if (scope !== 0) key += `%${scope}`;
  let text = ipv6Text.get(key);
  if (text === undefined) {
    if (ipv6Text.size >= CACHE_MAX) ipv6Text.clear();
    text = formatIpv6(data, a) + (scope === 0 ? '' : `%${scope}`);
    ipv6Text.set(key, text);
  }
  return text;
}

/**
 * IPv6 text as libuv's `inet_ntop` writes it (so as node:dgram reports peers): lowercase hex
 * groups, the first longest run of two or more zero groups as `::`, and a dotted IPv4 tail for
 * IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses.
 */
function formatIpv6(data: Uint8Array, a: number): string {
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push((data[a + 2 * g] << 8) | data[a + 2 * g + 1]);
  let best = -1;
  let bestLength = 1;
  for (let g = 0; g < 8;) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let end = g;
    while (end < 8 && groups[end] === 0) end++;
    if (end - g > bestLength) {
      best = g;
      bestLength = end - g;
    }
    g = end;
  }
  if (best === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    const tail = `${data[a + 12]}.${data[a + 13]}.${data[a + 14]}.${data[a + 15]}`;
    return bestLength === 6 ? `::${tail}` : `::ffff:${tail}`;
  }
  const hex = groups.map((g) => g.toString(16));
  return best < 0
    ? hex.join(':')
    : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/**
 * Parses an IP literal for the kernel (IPv4, IPv6 with `::`, an embedded IPv4 tail and a
 * numeric `%scope`). Returns `null` for anything else (a zone given by interface name, a
 * host name), which the caller counts as a refused datagram.
 */
export function parseAddress(text: string): KernelAddress | null {
  let address = parsed.get(text);
  if (address === undefined) {
    if (parsed.size >= CACHE_MAX) parsed.clear();
    address = text.includes(':') ? parseIpv6(text) : parseIpv4(text);
    parsed.set(text, address);
  }
  return address;
}

function parseIpv4(text: string, into = new Uint8Array(16), at = 0): KernelAddress | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    into[at + i] = n;
  }
  return { family: AF_INET, scopeId: 0, bytes: into };
}

function parseIpv6(text: string): KernelAddress | null {
  let scopeId = 0;
  const percent = text.indexOf('%');
  if (percent >= 0) {
    const scope = text.slice(percent + 1);
    if (!/^\d{1,10}$/.test(scope) || Number(scope) > 0xffff_ffff) return null;
    scopeId = Number(scope);
    text = text.slice(0, percent);
  }
  const bytes = new Uint8Array(16);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  // An embedded IPv4 address takes the last two groups.
  const groups: number[] = [];
  const parseGroups = (list: string[], last: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const part = list[i];
      if (last && i === list.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === null) return false;
        groups.push((v4.bytes[0] << 8) | v4.bytes[1], (v4.bytes[2] << 8) | v4.bytes[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
        groups.push(parseInt(part, 16));
      }
    }
    return true;
  };
  if (!parseGroups(head, halves.length === 1)) return null;
  const headGroups = groups.length;
  if (!parseGroups(tail, true)) return null;
  const tailGroups = groups.length - headGroups;
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return null;
  const zeros = 8 - groups.length;
  const all = [
    ...groups.slice(0, headGroups),
    ...new Array<number>(zeros).fill(0),
    ...groups.slice(headGroups, headGroups + tailGroups),
  ];
  for (let g = 0; g < 8; g++) {
    bytes[2 * g] = all[g] >> 8;
    bytes[2 * g + 1] = all[g] & 0xff;
  }
  return { family: AF_INET6, scopeId, bytes };
}
