import { parseSipMessage, type SipRequest } from './sip-message';
import { checkSanity, viaHost } from './sanity';

function request(extra: string, via = 'SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1'): SipRequest {
  const text =
    `OPTIONS sip:uas@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\n` +
    'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:uas@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n' +
    `${extra}Content-Length: 0\r\n\r\n`;
  const parsed = parseSipMessage(Buffer.from(text));
  if (parsed.kind !== 'request') throw new Error('not a request');
  return parsed;
}

describe('checkSanity', () => {
  it('passes an ordinary request', () => {
    expect(checkSanity(request('Max-Forwards: 70\r\n'))).toBeNull();
    expect(checkSanity(request(''))).toBeNull();
  });
  it.each([
    ['Max-Forwards: 0\r\n', 483, 'Too Many Hops'],
    ['Max-Forwards: 256\r\n', 400, 'Bad Max-Forwards'],
    ['Max-Forwards: -1\r\n', 400, 'Bad Max-Forwards'],
    ['Max-Forwards: seventy\r\n', 400, 'Bad Max-Forwards'],
  ])('%j → %d %s', (extra, status, reason) => {
    expect(checkSanity(request(extra))).toEqual({ status, reason });
  });
  it('answers 400 Bad Via for a sent-by that is not an address or a name', () => {
    expect(checkSanity(request('', 'SIP/2.0/UDP bad_host!:5060;branch=z9hG4bK-2'))).toEqual({
      status: 400,
      reason: 'Bad Via',
    });
  });
});

describe('viaHost', () => {
  it.each([
    ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1', '192.0.2.1'],
    ['SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK-1', '2001:db8::1'],
    ['SIP/2.0/TLS pc33.atlanta.com;branch=z9hG4bK-1', 'pc33.atlanta.com'],
    ['SIP / 2.0 / UDP host-1.example.org. ; branch=z9hG4bK-1', 'host-1.example.org.'],
    ['SIP/2.0/UDP 192.0.2.1:70000;branch=z', null],
    ['SIP/2.0/UDP [zz::1];branch=z', null],
    ['SIP/2.0/UDP -bad-.example.org;branch=z', null],
    ['SIP/2.0/UDP 1.2.3.4.5;branch=z', null],
    ['garbage', null],
  ])('%s → %s', (via, host) => expect(viaHost(via)).toBe(host));
});
