import { SocketAddress } from 'node:net';
import fc from 'fast-check';
import { AF_INET, AF_INET6, addressText, parseAddress } from './kernel-udp-address';

/** A `struct aem_udp_addr` (24 bytes) with these address bytes, family and scope id. */
function kernelAddr(family: number, bytes: Uint8Array, scopeId = 0): Uint8Array {
  const addr = new Uint8Array(24);
  const view = new DataView(addr.buffer);
  view.setUint16(0, family, true);
  view.setUint16(2, 5060, true);
  view.setUint32(4, scopeId, true);
  addr.set(bytes, 8);
  return addr;
}

/** IPv6 address bytes with long zero runs as often as not (the interesting cases). */
const ipv6Bytes = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((groups) => {
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes[2 * i] = g >> 8;
      bytes[2 * i + 1] = g & 0xff;
    });
    return bytes;
  });

const fullForm = (bytes: Uint8Array): string =>
  Array.from({ length: 8 }, (_, g) => ((bytes[2 * g] << 8) | bytes[2 * g + 1]).toString(16)).join(
    ':',
  );

describe('kernel UDP addresses', () => {
  it('writes IPv6 as libuv does (node:dgram peers), and parses it back to the same bytes', () => {
    fc.assert(
      fc.property(ipv6Bytes, (bytes) => {
        const text = addressText(kernelAddr(AF_INET6, bytes), 0);
        expect(text).toBe(new SocketAddress({ address: fullForm(bytes), family: 'ipv6' }).address);
        const parsed = parseAddress(text);
        expect(parsed?.family).toBe(AF_INET6);
        expect(Array.from(parsed?.bytes ?? [])).toEqual(Array.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes IPv4 as a dotted quad and parses it back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (quad) => {
        const bytes = new Uint8Array(16);
        bytes.set(quad);
        const text = addressText(kernelAddr(AF_INET, bytes), 0);
        expect(text).toBe(Array.from(quad).join('.'));
        const parsed = parseAddress(text);
        expect(parsed?.family).toBe(AF_INET);
        expect(Array.from(parsed?.bytes ?? [])).toEqual(Array.from(bytes));
      }),
    );
  });

  it('adds a numeric scope to a link-local peer, and takes it back', () => {
    const bytes = new Uint8Array(16);
    bytes.set([0xfe, 0x80]);
    bytes[15] = 1;
    const text = addressText(kernelAddr(AF_INET6, bytes, 3), 0);
    expect(text).toBe('fe80::1%3');
    expect(parseAddress(text)).toEqual({ family: AF_INET6, scopeId: 3, bytes });
  });

  it('refuses what is not an IP literal (host names, zone names, malformed text)', () => {
    for (const bad of [
      'localhost',
      'fe80::1%eth0',
      '1.2.3',
      '1.2.3.256',
      '1.2.3.4.5',
      '::1::2',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      '',
    ])
      expect(parseAddress(bad)).toBeNull();
  });
});
