import fc from 'fast-check';
import {
  COMPACT_HEADER_FORMS,
  KNOWN_HEADER_NAMES,
  knownHeaderName,
  matchesLowerCase,
} from './header-names';

const KNOWN = KNOWN_HEADER_NAMES;
const COMPACT = COMPACT_HEADER_FORMS;

/** The name as found inside a line of text, as the parser hands it over. */
function inText(name: string): string | undefined {
  const text = `xx${name}: value`;
  return knownHeaderName(text, 2, 2 + name.length);
}

describe('knownHeaderName', () => {
  it('recognizes every name it acts on in any letter case, and the compact forms', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KNOWN, ...Object.keys(COMPACT)),
        fc.array(fc.boolean(), { minLength: 19, maxLength: 19 }),
        (name, upper) => {
          const written = [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join('');
          expect(inText(written)).toBe(COMPACT[name] ?? name);
        },
      ),
    );
  });

  it('gives undefined for any other name: unknown, compact forms of ignored headers, near misses', () => {
    for (const name of ['Subject', 's', 'e', 'User-Agent', 'Call_ID', 'Vias', 'Fro', 'To2', '']) {
      expect(inText(name)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        const lower = name.toLowerCase();
        const expected =
          name.length === 1 && /^[a-z]$/i.test(name)
            ? COMPACT[lower]
            : KNOWN.includes(lower) && /^[a-z-]+$/i.test(name)
              ? lower
              : undefined;
        expect(inText(name)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('matchesLowerCase', () => {
  it('matches ASCII letters in either case and nothing else that differs', () => {
    expect(matchesLowerCase('xBRANCH=1', 1, 'branch')).toBe(true);
    expect(matchesLowerCase('x;tag', 2, 'tag')).toBe(true);
    expect(matchesLowerCase('sip:', 0, 'sips:')).toBe(false); // runs past the end
    expect(matchesLowerCase('call\rid', 0, 'call-id')).toBe(false); // '\r' | 0x20 is '-'
    expect(matchesLowerCase('max_forwards', 0, 'max-forwards')).toBe(false);
  });
});
