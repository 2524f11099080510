import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError } from '@aem/core';
import { ipv4Number } from './ipv4-number';

/**
 * A set of IP addresses and subnets (`10.0.0.0/8`, `::1`, `2001:db8::/32`), matched in O(entries):
 * an IPv4 address against the IPv4 entries in plain arithmetic (the flood guard asks for every
 * datagram), anything else by Node's `net.BlockList`, which holds every entry. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack
 * socket reports for an IPv4 peer) match the IPv4 entries.
 *
 * @example
 * ```ts
 * const trusted = new AddressList(['127.0.0.0/8', '::1']);
 * trusted.has('127.0.0.2'); // true
 * ```
 */
export class AddressList {
  private readonly list = new BlockList();
  /** The IPv4 entries as network and mask (unsigned 32-bit), `networks[i] & masks[i] === networks[i]`. */
  private readonly networks: number[] = [];
  private readonly masks: number[] = [];
  /** IPv6 entries: an IPv4 address is checked against them by the BlockList too. */
  private ipv6Entries = 0;
  /** Entries given, in order. */
  readonly entries: readonly string[];

  /**
   * @param entries - addresses and `address/prefix` subnets.
   * @throws {@link @aem/core!InvalidArgumentError} for an entry that is neither.
   */
  constructor(entries: readonly string[] = []) {
    for (const entry of entries) this.add(entry);
    this.entries = [...entries];
  }

  /** Whether `address` is in the list. An unparsable address is not. */
  has(address: string): boolean {
    const v4 = address.startsWith('::ffff:') ? ipv4Number(address, 7) : ipv4Number(address);
    if (v4 >= 0) {
      const { networks, masks } = this;
      for (let i = 0; i < networks.length; i++) {
        if ((v4 & masks[i]) >>> 0 === networks[i]) return true;
      }
      if (this.ipv6Entries === 0) return false;
    }
    const plain = unmapIPv4(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  private add(entry: string): void {
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    const prefix = slash < 0 ? -1 : Number(entry.slice(slash + 1));
    const maxPrefix = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      (slash >= 0 && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= maxPrefix))
    )
      throw new InvalidArgumentError(
        'address list entry',
        'an IP address or address/prefix',
        entry,
      );
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (family === 4) {
      // `>>> 32` shifts by 0 in JavaScript, so a /32 (and a single address) is spelled out.
      const mask = prefix < 0 || prefix === 32 ? 0xffffffff : ~(0xffffffff >>> prefix) >>> 0;
      this.networks.push((ipv4Number(address) & mask) >>> 0);
      this.masks.push(mask);
    } else {
      this.ipv6Entries++;
    }
    if (prefix < 0) this.list.addAddress(address, type);
    else this.list.addSubnet(address, prefix, type);
  }
}

/** `::ffff:10.1.2.3` → `10.1.2.3`; any other address unchanged. */
export function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
