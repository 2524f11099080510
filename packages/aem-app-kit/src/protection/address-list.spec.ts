import fc from 'fast-check';
import { BlockList } from 'node:net';
import { AddressList } from './address-list';

const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const ipv4 = fc.oneof(
  octets.map((o) => o.join('.')),
  // Near the entries below, so that matches are frequent.
  fc
    .tuple(fc.constantFrom('10', '127', '192'), fc.nat(255), fc.nat(3))
    .map(([a, b, c]) => `${a}.${b}.${c}.7`),
);
const entry = fc.oneof(
  ipv4,
  fc.tuple(ipv4, fc.nat(32)).map(([address, prefix]) => `${address}/${prefix}`),
  fc.constantFrom('::1', '2001:db8::/32', '::ffff:0:0/96'),
);

/** Node's BlockList with the same entries: the semantics AddressList keeps. */
function reference(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const item of entries) {
    const [address, prefix] = item.split('/');
    const type = address.includes(':') ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    const plain =
      address.startsWith('::ffff:') && !address.slice(7).includes(':') ? address.slice(7) : address;
    return list.check(plain, plain.includes(':') ? 'ipv6' : 'ipv4');
  };
}

describe('AddressList', () => {
  it('matches IPv4 addresses exactly as net.BlockList does, mapped forms included', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 6 }),
        fc.array(fc.tuple(ipv4, fc.boolean()), { minLength: 1, maxLength: 10 }),
        (entries, addresses) => {
          const list = new AddressList(entries);
          const expected = reference(entries);
          for (const [address, mapped] of addresses) {
            const asked = mapped ? `::ffff:${address}` : address;
            expect(list.has(asked)).toBe(expected(asked));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('matches IPv6 addresses and refuses what is not an address', () => {
    const list = new AddressList(['127.0.0.0/8', '2001:db8::/32', '::1']);
    expect(list.has('2001:db8::5')).toBe(true);
    expect(list.has('::1')).toBe(true);
    expect(list.has('2001:db9::5')).toBe(false);
    expect(list.has('127.1.2.3')).toBe(true);
    expect(list.has('::ffff:127.1.2.3')).toBe(true);
    expect(list.has('128.0.0.1')).toBe(false);
    expect(list.has('localhost')).toBe(false);
    expect(list.has('127.0.0.01')).toBe(false);
  });
});
