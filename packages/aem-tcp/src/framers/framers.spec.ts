import fc from 'fast-check';
import { FrameTooLargeError } from '../errors/frame-too-large.error';
import { MalformedFrameError } from '../errors/malformed-frame.error';
import { TcpError } from '../errors/tcp.error';
import { contentLength } from './content-length.framer';
import { delimited } from './delimiter.framer';
import type { FramerFactory } from './framer';
import { lengthPrefixed } from './length-prefixed.framer';

/** Feeds `stream` to a fresh framer in the given pieces and collects every frame (copied). */
function frameAll(factory: FramerFactory, stream: Buffer, cuts: number[] = []): Buffer[] {
  const framer = factory();
  const frames: Buffer[] = [];
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, stream.length]) {
    framer.push(stream.subarray(from, to));
    from = to;
    for (let frame = framer.next(); frame !== null; frame = framer.next())
      frames.push(Buffer.from(frame));
  }
  return frames;
}

const hex = (frames: Buffer[]) => frames.map((f) => f.toString('hex'));

function prefixed(payload: Buffer, width: 1 | 2 | 3 | 4, endian: 'big' | 'little' = 'big'): Buffer {
  const header = Buffer.alloc(width);
  if (endian === 'big') header.writeUIntBE(payload.length, 0, width);
  else header.writeUIntLE(payload.length, 0, width);
  return Buffer.concat([header, payload]);
}

function sip(body: string, extra = ''): Buffer {
  return Buffer.from(
    `INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP host;branch=z9hG4bK1\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

describe('framers', () => {
  describe('lengthPrefixed', () => {
    it('frames simple prefixes of every width and endianness, stripping the header', () => {
      for (const width of [1, 2, 3, 4] as const) {
        for (const endian of ['big', 'little'] as const) {
          const stream = Buffer.concat([
            prefixed(Buffer.from('ab'), width, endian),
            prefixed(Buffer.from(''), width, endian),
            prefixed(Buffer.from('xyz'), width, endian),
          ]);
          expect(frameAll(lengthPrefixed({ width, endian }), stream).map(String)).toEqual([
            'ab',
            '',
            'xyz',
          ]);
        }
      }
    });

    it('frames Diameter: 3-byte length at offset 1 counting the whole message', () => {
      const message = Buffer.alloc(24);
      message[0] = 1; // version
      message.writeUIntBE(24, 1, 3);
      message.write('diameter-body', 8);
      const frames = frameAll(
        lengthPrefixed({ offset: 1, width: 3, lengthIncludesHeader: true }),
        Buffer.concat([message, message]),
      );
      expect(frames).toEqual([message, message]);
    });

    it('frames M3UA: 4-byte length at offset 4 counting the whole message', () => {
      const message = Buffer.alloc(16);
      message.writeUInt8(1, 0);
      message.writeUInt32BE(16, 4);
      expect(
        frameAll(lengthPrefixed({ offset: 4, width: 4, lengthIncludesHeader: true }), message),
      ).toEqual([message]);
    });

    it('rejects an announced frame over maxFrameBytes before buffering its body', () => {
      const framer = lengthPrefixed({ width: 4, maxFrameBytes: 100 })();
      framer.push(Buffer.from([0, 0, 1, 0]));
      expect(() => framer.next()).toThrow(FrameTooLargeError);
      expect(() => framer.next()).toThrow('frame of 260 bytes exceeds the limit of 100 bytes');
    });

    it('rejects a whole-message length smaller than its header', () => {
      const framer = lengthPrefixed({ offset: 1, width: 3, lengthIncludesHeader: true })();
      framer.push(Buffer.from([1, 0, 0, 2, 9, 9]));
      expect(() => framer.next()).toThrow(MalformedFrameError);
    });

    it('validates its options', () => {
      expect(() => lengthPrefixed({ width: 5 as never })).toThrow(/1, 2, 3 or 4/);
      expect(() => lengthPrefixed({ offset: -1 })).toThrow(/offset/);
      expect(() => lengthPrefixed({ width: 4, maxFrameBytes: 3 })).toThrow(/maxFrameBytes/);
    });

    it('any split of the stream yields the same frames (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
          fc.constantFrom<1 | 2 | 3 | 4>(2, 3, 4),
          fc.array(fc.nat(), { maxLength: 30 }),
          (payloads, width, cuts) => {
            const stream = Buffer.concat(payloads.map((p) => prefixed(Buffer.from(p), width)));
            const frames = frameAll(lengthPrefixed({ width }), stream, cuts);
            expect(hex(frames)).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          },
        ),
      );
    });
  });

  describe('delimited', () => {
    it('splits on CRLF by default and can keep the delimiter', () => {
      expect(frameAll(delimited(), Buffer.from('a\r\nbc\r\n\r\nrest')).map(String)).toEqual([
        'a',
        'bc',
        '',
      ]);
      expect(
        frameAll(delimited({ delimiter: '\0', includeDelimiter: true }), Buffer.from('x\0y\0')).map(
          String,
        ),
      ).toEqual(['x\0', 'y\0']);
    });

    it('fails a frame longer than maxFrameBytes without a delimiter', () => {
      const framer = delimited({ maxFrameBytes: 8 })();
      framer.push(Buffer.from('123456789'));
      expect(framer.next()).toBeNull(); // rejected at the latest with maxFrameBytes + delimiter bytes buffered
      framer.push(Buffer.from('0'));
      expect(() => framer.next()).toThrow(FrameTooLargeError);
      const fits = delimited({ maxFrameBytes: 8 })();
      fits.push(Buffer.from('12345678\r\n'));
      expect(String(fits.next())).toBe('12345678');
    });

    it('any split of the stream yields the same frames (property)', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
            { maxLength: 20 },
          ),
          fc.array(fc.nat(), { maxLength: 30 }),
          (lines, cuts) => {
            const stream = Buffer.from(lines.map((l) => `${l}\r\n`).join(''));
            expect(frameAll(delimited(), stream, cuts).map(String)).toEqual(lines);
          },
        ),
      );
    });
  });

  describe('contentLength', () => {
    it('frames SIP messages with bodies, skipping keep-alive CRLFs', () => {
      const a = sip('v=0\r\n');
      const b = sip('');
      const frames = frameAll(
        contentLength(),
        Buffer.concat([Buffer.from('\r\n\r\n'), a, Buffer.from('\r\n'), b]),
      );
      expect(frames).toEqual([a, b]);
    });

    it('accepts the compact form and any header case, treats a missing length as empty', () => {
      const compact = Buffer.from('OPTIONS sip:x SIP/2.0\r\nl: 3\r\n\r\nabc');
      const lower = Buffer.from('MESSAGE sip:x SIP/2.0\r\ncontent-LENGTH:2\r\n\r\nhi');
      const none = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(frameAll(contentLength(), Buffer.concat([compact, lower, none]))).toEqual([
        compact,
        lower,
        none,
      ]);
    });

    it('rejects bad, conflicting or (when required) missing lengths', () => {
      const frame =
        (text: string, options = {}) =>
        () =>
          frameAll(contentLength(options), Buffer.from(text));
      expect(frame('A sip:x SIP/2.0\r\nContent-Length: x1\r\n\r\n')).toThrow(MalformedFrameError);
      expect(frame('A sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n')).toThrow(/not a number/);
      expect(frame('A sip:x SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab')).toThrow(
        /conflicting/,
      );
      expect(frame('A sip:x SIP/2.0\r\n\r\n', { requireContentLength: true })).toThrow(/missing/);
    });

    it('bounds the header block and the frame', () => {
      expect(() => frameAll(contentLength({ maxHeaderBytes: 64 }), Buffer.alloc(100, 'a'))).toThrow(
        FrameTooLargeError,
      );
      expect(() => frameAll(contentLength({ maxFrameBytes: 100 }), sip('x'.repeat(200)))).toThrow(
        expect.objectContaining({ what: 'frame', limit: 100 }),
      );
    });

    it('any split of the stream yields the same frames (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.string({ maxLength: 200 }), { maxLength: 10 }),
          fc.array(fc.nat(), { maxLength: 40 }),
          (bodies, cuts) => {
            const messages = bodies.map((body) => sip(body));
            expect(hex(frameAll(contentLength(), Buffer.concat(messages), cuts))).toEqual(
              hex(messages),
            );
          },
        ),
      );
    });
  });

  describe('all framers', () => {
    const factories: [string, FramerFactory][] = [
      ['lengthPrefixed', lengthPrefixed({ width: 2, maxFrameBytes: 512 })],
      [
        'diameter',
        lengthPrefixed({ offset: 1, width: 3, lengthIncludesHeader: true, maxFrameBytes: 512 }),
      ],
      ['delimited', delimited({ maxFrameBytes: 512 })],
      ['contentLength', contentLength({ maxFrameBytes: 512, maxHeaderBytes: 256 })],
    ];

    it.each(factories)(
      '%s: random garbage only ever yields frames or a typed error (property)',
      (_name, factory) => {
        fc.assert(
          fc.property(
            fc.uint8Array({ maxLength: 4096 }),
            fc.array(fc.nat(), { maxLength: 20 }),
            (bytes, cuts) => {
              try {
                const frames = frameAll(factory, Buffer.from(bytes), cuts);
                for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(512);
              } catch (error) {
                expect(error).toBeInstanceOf(TcpError);
              }
            },
          ),
          { numRuns: 300 },
        );
      },
    );

    it('12,000 pipelined frames in one chunk come out in a loop, not a recursion', () => {
      const count = 12_000;
      const streams: [FramerFactory, Buffer][] = [
        [
          lengthPrefixed({ width: 2 }),
          Buffer.concat(
            Array.from({ length: count }, (_, i) => prefixed(Buffer.from(String(i)), 2)),
          ),
        ],
        [delimited(), Buffer.from(Array.from({ length: count }, (_, i) => `${i}\r\n`).join(''))],
        [contentLength(), Buffer.concat(Array.from({ length: count }, (_, i) => sip(String(i))))],
      ];
      for (const [factory, stream] of streams)
        expect(frameAll(factory, stream)).toHaveLength(count);
    });
  });
});
