import fc from 'fast-check';
import { parseSipMessage, splitList, type SipRequest } from './sip-message';
import { SipParseError } from './sip-parse.error';

const INVITE_HEADERS: Array<[string, string, string]> = [
  // [full name, compact name, value]
  ['Via', 'v', 'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-1;rport'],
  ['From', 'f', '"Alice" <sip:alice@a.test>;tag=1928'],
  ['To', 't', '<sip:bob@b.test>'],
  ['Call-ID', 'i', 'a84b4c76e66710@pc33.a.test'],
  ['CSeq', 'CSeq', '314159 INVITE'],
  ['Contact', 'm', '<sip:alice@10.0.0.1;transport=tcp>'],
  ['Max-Forwards', 'Max-Forwards', '70'],
  ['Content-Type', 'c', 'application/sdp'],
];
const BODY =
  'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function message(lines: string[], body = BODY): Buffer {
  return Buffer.from(
    `INVITE sip:bob@b.test SIP/2.0\r\n${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function essentials(request: SipRequest) {
  const { method, uri, via, branch, from, fromTag, to, toTag, callId, cseq, cseqNumber } = request;
  return {
    method,
    uri,
    via,
    branch,
    from,
    fromTag,
    to,
    toTag,
    callId,
    cseq,
    cseqNumber,
    contact: request.headers.get('contact'),
    body: request.body.toString(),
  };
}

describe('parseSipMessage', () => {
  const reference = parseSipMessage(
    message(INVITE_HEADERS.map(([name, , value]) => `${name}: ${value}`)),
  );

  it('parses the fields a UAS decides on', () => {
    expect(reference.kind).toBe('request');
    expect(essentials(reference as SipRequest)).toEqual({
      method: 'INVITE',
      uri: 'sip:bob@b.test',
      via: ['SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-1;rport'],
      branch: 'z9hG4bK-1',
      from: '"Alice" <sip:alice@a.test>;tag=1928',
      fromTag: '1928',
      to: '<sip:bob@b.test>',
      toTag: '',
      callId: 'a84b4c76e66710@pc33.a.test',
      cseq: '314159 INVITE',
      cseqNumber: 314159,
      contact: ['<sip:alice@10.0.0.1;transport=tcp>'],
      body: BODY,
    });
  });

  it('reads the same request whatever the header order, case, compact form or folding', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(INVITE_HEADERS, { minLength: INVITE_HEADERS.length }),
        fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.nat(3)), {
          minLength: INVITE_HEADERS.length,
          maxLength: INVITE_HEADERS.length,
        }),
        (headers, styles) => {
          const lines = headers.map(([name, compact, value], i) => {
            const [useCompact, upper, fold, spaces] = styles[i];
            let label = useCompact ? compact : name;
            label = upper ? label.toUpperCase() : label.toLowerCase();
            if (label.length === 1 && !useCompact) label = name; // keep full names full
            const space = ' '.repeat(spaces);
            // Fold at the first space of the value onto a continuation line.
            const folded = fold && value.includes(' ') ? value.replace(' ', '\r\n   ') : value;
            return `${label}${space}:${space}${folded}`;
          });
          const parsed = parseSipMessage(message(lines)) as SipRequest;
          expect(essentials(parsed)).toEqual(essentials(reference as SipRequest));
        },
      ),
    );
  });

  it('splits Via lists given in one header or several, in order', () => {
    const one = parseSipMessage(
      message([
        ...INVITE_HEADERS.slice(1).map(([n, , v]) => `${n}: ${v}`),
        'Via: SIP/2.0/TCP a;branch=z9hG4bK-a, SIP/2.0/TCP b;branch=z9hG4bK-b',
        'Via: SIP/2.0/TCP c',
      ]),
    ) as SipRequest;
    expect(one.via).toEqual([
      'SIP/2.0/TCP a;branch=z9hG4bK-a',
      'SIP/2.0/TCP b;branch=z9hG4bK-b',
      'SIP/2.0/TCP c',
    ]);
    expect(one.branch).toBe('z9hG4bK-a');
  });

  it('answers defects with the status they deserve, keeping what a response needs', () => {
    const variants: Array<[string, string, number, string]> = [
      ['CSeq: 314159 INVITE', 'CSeq: x INVITE', 400, 'Bad CSeq'],
      ['CSeq: 314159 INVITE', 'CSeq: 1 BYE', 400, 'CSeq Method Mismatch'],
      [
        'To: <sip:bob@b.test>',
        'To: <sip:bob@b.test>\r\nTo: <sip:carol@b.test>',
        400,
        'Duplicate To',
      ],
      ['Max-Forwards: 70', 'Max-Forwards 70', 400, 'Malformed Header Line'],
    ];
    const base = INVITE_HEADERS.map(([n, , v]) => `${n}: ${v}`).join('\r\n');
    for (const [from, to, status, reason] of variants) {
      const error = catchParse(message([base.replace(from, to)]));
      expect(error).toMatchObject({ status, reason });
      expect(error.request?.callId).toBe('a84b4c76e66710@pc33.a.test');
    }
    const v3 = catchParse(
      Buffer.from(message([base]).toString().replace('SIP/2.0\r\n', 'SIP/3.0\r\n')),
    );
    expect(v3).toMatchObject({ status: 505 });
    const tel = catchParse(
      Buffer.from(message([base]).toString().replace('sip:bob@b.test SIP', 'tel:+1555 SIP')),
    );
    expect(tel).toMatchObject({ status: 416, reason: 'Unsupported URI Scheme' });
  });

  it('cannot address a response without Via, From, To, Call-ID and CSeq', () => {
    for (const [name] of INVITE_HEADERS.slice(0, 5)) {
      const lines = INVITE_HEADERS.filter(([n]) => n !== name).map(([n, , v]) => `${n}: ${v}`);
      const error = catchParse(message(lines));
      expect(error).toMatchObject({ status: 400, reason: `Missing ${name}`, request: undefined });
    }
    expect(catchParse(Buffer.from('HELLO\r\n\r\n'))).toMatchObject({ request: undefined });
  });

  it('recognises responses', () => {
    const response = parseSipMessage(
      Buffer.from('SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n'),
    );
    expect(response).toEqual({ kind: 'response', status: 200, callId: 'x' });
  });

  it('throws nothing but SipParseError on arbitrary input', () => {
    const valid = message(INVITE_HEADERS.map(([n, , v]) => `${n}: ${v}`));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
          fc
            .tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 }))
            .map(([at, bytes]) => {
              const copy = Buffer.from(valid);
              copy.set(bytes.subarray(0, copy.length - at), at);
              return copy;
            }),
        ),
        (input) => {
          try {
            parseSipMessage(input);
          } catch (error) {
            expect(error).toBeInstanceOf(SipParseError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseSipMessage on a datagram (RFC 3261 §18.3)', () => {
  const valid = message(INVITE_HEADERS.map(([n, , v]) => `${n}: ${v}`));

  it('takes Content-Length bytes of body and discards the rest of the datagram', () => {
    const padded = Buffer.concat([valid, Buffer.from('trailing bytes')]);
    expect((parseSipMessage(padded, true) as SipRequest).body.toString()).toBe(BODY);
  });

  it('takes the rest of the datagram as the body when there is no Content-Length', () => {
    const text = valid.toString().replace(/Content-Length: \d+\r\n/, '');
    expect((parseSipMessage(Buffer.from(text), true) as SipRequest).body.toString()).toBe(BODY);
  });

  it('answers a body shorter than its Content-Length, a missing end of headers, a bad length', () => {
    const text = valid.toString();
    const cases: Array<[string, string]> = [
      [text.replace(/Content-Length: \d+/, 'Content-Length: 999'), 'Truncated Body'],
      [text.slice(0, text.indexOf('\r\n\r\n') + 2), 'Missing End Of Headers'],
      [text.replace(/Content-Length: \d+/, 'Content-Length: lots'), 'Bad Content-Length'],
    ];
    for (const [datagram, reason] of cases) {
      expect(catchParse(Buffer.from(datagram), true)).toMatchObject({ status: 400, reason });
    }
  });

  it('throws nothing but SipParseError on arbitrary datagrams', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
          fc.nat(valid.length).map((length) => valid.subarray(0, length)),
        ),
        (input) => {
          try {
            parseSipMessage(input, true);
          } catch (error) {
            expect(error).toBeInstanceOf(SipParseError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('splitList', () => {
  it('splits at top-level commas only', () => {
    expect(splitList('<sip:a@x;p="1,2">;q=1, "B, Jr" <sip:b@y>,sip:c@z')).toEqual([
      '<sip:a@x;p="1,2">;q=1',
      '"B, Jr" <sip:b@y>',
      'sip:c@z',
    ]);
  });
});

function catchParse(frame: Buffer, datagram = false): SipParseError {
  try {
    parseSipMessage(frame, datagram);
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error('parsed without error');
}
