import fc from 'fast-check';
import { udpResponseRoute } from './udp-response-route';

describe('udpResponseRoute (RFC 3261 §18.2.2, RFC 3581)', () => {
  const source = { address: '192.0.2.9', port: 41_000 };

  it.each([
    // [top Via, where the response goes, the Via it carries]
    [
      'SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-1',
      '192.0.2.9:5070',
      'SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-1',
    ],
    [
      'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-1',
      '192.0.2.9:5060',
      'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-1',
    ],
    [
      'SIP/2.0/UDP pc.example:5070;branch=z9hG4bK-1',
      '192.0.2.9:5070',
      'SIP/2.0/UDP pc.example:5070;branch=z9hG4bK-1;received=192.0.2.9',
    ],
    [
      'SIP/2.0/UDP 10.1.1.1:5070;rport;branch=z9hG4bK-1',
      '192.0.2.9:41000',
      'SIP/2.0/UDP 10.1.1.1:5070;rport=41000;branch=z9hG4bK-1;received=192.0.2.9',
    ],
    [
      'SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-1;received=10.9.9.9',
      '192.0.2.9:5070',
      'SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-1;received=192.0.2.9',
    ],
    [
      'SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-1;maddr=192.0.2.50',
      '192.0.2.50:5070',
      'SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-1;maddr=192.0.2.50;received=192.0.2.9',
    ],
    [
      'SIP / 2.0 / UDP [2001:db8::1]:5070;branch=z9hG4bK-1',
      '192.0.2.9:5070',
      'SIP / 2.0 / UDP [2001:db8::1]:5070;branch=z9hG4bK-1;received=192.0.2.9',
    ],
    ['not a via', '192.0.2.9:41000', 'not a via'],
  ])('%s → %s', (via, destination, responseVia) => {
    const route = udpResponseRoute(via, source);
    expect(`${route.address}:${route.port}`).toBe(destination);
    expect(route.via).toBe(responseVia);
  });

  it('sees an IPv4 source of a dual-stack socket as IPv4', () => {
    const route = udpResponseRoute('SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-1', {
      address: '::ffff:192.0.2.9',
      port: 5070,
    });
    expect(route).toEqual({
      via: 'SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-1',
      address: '192.0.2.9',
      port: 5070,
    });
  });

  it('property: with rport the response goes back to the source, whatever the sent-by', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 1, max: 65_535 }),
        fc.oneof(fc.ipV4(), fc.domain()),
        fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
        (address, port, host, sentPort) => {
          const sentBy = sentPort === undefined ? host : `${host}:${sentPort}`;
          const route = udpResponseRoute(`SIP/2.0/UDP ${sentBy};branch=z9hG4bK-x;rport`, {
            address,
            port,
          });
          expect(route).toEqual({
            address,
            port,
            via: `SIP/2.0/UDP ${sentBy};branch=z9hG4bK-x;rport=${port};received=${address}`,
          });
        },
      ),
    );
  });
});
