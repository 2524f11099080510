import fc from 'fast-check';
import { isIP } from 'node:net';
import { ipv4Number } from './ipv4-number';

/** The reference: what isIP accepts, converted part by part. */
function reference(address: string): number {
  if (isIP(address) !== 4) return -1;
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

describe('ipv4Number', () => {
  it('reads dotted quads and refuses everything isIP does not call IPv4', () => {
    for (const [address, value] of [
      ['0.0.0.0', 0],
      ['127.0.0.2', 0x7f000002],
      ['255.255.255.255', 0xffffffff],
      ['10.1.2.3', 0x0a010203],
    ] as const) {
      expect(ipv4Number(address)).toBe(value);
    }
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1.2.3.256',
      '1..2.3',
      '1.2.3.4 ',
      '::1',
      '1.2.3.4/8',
      '1.2.3.04',
      '1.2.3.',
    ]) {
      expect(ipv4Number(bad)).toBe(-1);
    }
    expect(ipv4Number('::ffff:192.0.2.1', 7)).toBe(0xc0000201);
  });

  it('agrees with net.isIP on generated addresses and near misses', () => {
    const part = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('', '00', '01', '007', '1a', ' 1', '-1'),
    );
    const address = fc.oneof(
      fc.array(part, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
      fc.string({ maxLength: 16 }),
    );
    fc.assert(
      fc.property(address, (text) => expect(ipv4Number(text)).toBe(reference(text))),
      { numRuns: 20_000 },
    );
  });
});
