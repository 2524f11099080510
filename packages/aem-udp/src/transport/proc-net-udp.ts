import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * Reading the kernel's per-socket drop counter from `/proc/net/udp` and `/proc/net/udp6`: a
 * header line, then one line per socket — `sl local_address rem_address st … drops`, the
 * local address as the kernel prints it (`%08X` per 32-bit word of the address *in host byte
 * order*, then `:%04X` for the port) and `drops` last (`sk_drops`: datagrams the socket's full
 * receive buffer refused, among others).
 *
 * @internal
 */

const LITTLE_ENDIAN = endianness() === 'LE';

/** The 16 bytes of an IPv6 literal (with `::`, an embedded IPv4 tail, or a `%scope`). */
export function ipv6Bytes(literal: string): Uint8Array {
  const text = literal.split('%')[0];
  const bytes = new Uint8Array(16);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined): number[] => {
    if (part === undefined || part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const front = groups(head);
  const back = groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** The local address column of a socket bound to `address:port`, as the kernel prints it. */
export function procLocalAddress(address: string, port: number, family: 4 | 6): string {
  const bytes = family === 4 ? Uint8Array.from(address.split('.').map(Number)) : ipv6Bytes(address);
  let hex = '';
  for (let word = 0; word < bytes.length; word += 4) {
    const b = bytes.subarray(word, word + 4);
    const ordered = LITTLE_ENDIAN ? [b[3], b[2], b[1], b[0]] : [b[0], b[1], b[2], b[3]];
    for (const byte of ordered) hex += byte.toString(16).padStart(2, '0');
  }
  return `${hex}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/** The sum of the `drops` column over the lines of `table` whose local address is `local`. */
export function dropsIn(table: string, local: string): number {
  let drops = 0;
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13 || fields[1] !== local) continue;
    const value = Number(fields[fields.length - 1]);
    if (Number.isSafeInteger(value)) drops += value;
  }
  return drops;
}

/**
 * The kernel's drop count for the socket(s) bound to `address:port`; 0 when the file cannot be
 * read (no procfs, another kernel).
 */
export function readKernelDrops(address: string, port: number, family: 4 | 6): number {
  let table: string;
  try {
    table = readFileSync(family === 4 ? '/proc/net/udp' : '/proc/net/udp6', 'latin1');
  } catch {
    return 0;
  }
  return dropsIn(table, procLocalAddress(address, port, family));
}
