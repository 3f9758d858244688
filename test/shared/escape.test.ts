// Header escaping by version (STOMP 1.1 and 1.2 §Value Encoding): the tables both ways, the frames that are
// never escaped, undefined escapes, and first-header-wins.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeValue,
  headerValue,
  headerValues,
  interpretHeaders,
  unescapeValue,
} from '../../shared/stomp/escape.js';
import type { StompVersion } from '../../shared/stomp/types.js';

// [wire form, meaning] per version; the same wire form can mean different things in different versions.
const TABLES: Record<StompVersion, [string, string][]> = {
  '1.0': [
    ['a\\nb', 'a\\nb'],
    ['a\\cb', 'a\\cb'],
    ['a\\\\b', 'a\\\\b'],
    ['a\\rb', 'a\\rb'],
  ],
  '1.1': [
    ['a\\nb', 'a\nb'],
    ['a\\cb', 'a:b'],
    ['a\\\\b', 'a\\b'],
    ['\\\\n', '\\n'],
    ['\\c\\c\\n\\\\', '::\n\\'],
  ],
  '1.2': [
    ['a\\nb', 'a\nb'],
    ['a\\cb', 'a:b'],
    ['a\\\\b', 'a\\b'],
    ['a\\rb', 'a\rb'],
    ['\\r\\n', '\r\n'],
    ['\\\\r', '\\r'],
  ],
};

describe('unescaping (wire → meaning)', () => {
  for (const version of ['1.0', '1.1', '1.2'] as const) {
    it(`STOMP ${version}`, () => {
      for (const [wire, meaning] of TABLES[version]) {
        const undefinedEscapes: string[] = [];
        expect(unescapeValue(wire, version, (seq) => undefinedEscapes.push(seq))).toBe(meaning);
        expect(undefinedEscapes).toEqual([]);
      }
    });
  }

  it('null (not negotiated yet) reads as 1.0', () => {
    expect(unescapeValue('a\\cb', null)).toBe('a\\cb');
  });
});

describe('escaping (meaning → wire)', () => {
  it('STOMP 1.0 writes values unchanged', () => {
    expect(escapeValue('a:b\\c', '1.0')).toBe('a:b\\c');
  });

  it('STOMP 1.1 escapes LF, colon and backslash, and leaves CR alone', () => {
    expect(escapeValue('a\nb:c\\d\re', '1.1')).toBe('a\\nb\\cc\\\\d\re');
  });

  it('STOMP 1.2 also escapes CR', () => {
    expect(escapeValue('a\nb:c\\d\re', '1.2')).toBe('a\\nb\\cc\\\\d\\re');
  });

  it('round-trips any string in 1.1 and 1.2, and the wire form holds no LF or colon (nor CR in 1.2)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('1.1' as const, '1.2' as const), (value, version) => {
        const wire = escapeValue(value, version);
        expect(wire).not.toMatch(version === '1.2' ? /[\n\r:]/ : /[\n:]/);
        expect(unescapeValue(wire, version, () => expect.fail('undefined escape in our own output'))).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe('undefined escapes are reported and kept as sent', () => {
  const cases: [StompVersion, string, string[]][] = [
    ['1.1', 'a\\tb', ['\\t']],
    ['1.1', 'a\\rb', ['\\r']], // \r only exists from 1.2 on
    ['1.2', 'trailing\\', ['\\']],
    ['1.2', '\\x\\c\\y', ['\\x', '\\y']],
  ];
  for (const [version, raw, seqs] of cases) {
    it(`${JSON.stringify(raw)} in ${version}`, () => {
      const seen: string[] = [];
      const value = unescapeValue(raw, version, (seq) => seen.push(seq));
      expect(seen).toEqual(seqs);
      for (const seq of seqs) expect(value).toContain(seq);
    });
  }
});

describe('interpretHeaders', () => {
  it('unescapes names and values, keeping order and repeats', () => {
    const { headers, issues } = interpretHeaders(
      'MESSAGE',
      [
        ['destination', '/queue/a\\cb'],
        ['fo\\co', 'x'],
        ['destination', 'second'],
      ],
      '1.2',
    );
    expect(headers).toEqual([
      ['destination', '/queue/a:b'],
      ['fo:o', 'x'],
      ['destination', 'second'],
    ]);
    expect(issues).toEqual([]);
  });

  it('never unescapes CONNECT, its 1.2 alias STOMP, or CONNECTED', () => {
    for (const command of ['CONNECT', 'STOMP', 'CONNECTED']) {
      const { headers, issues } = interpretHeaders(command, [['passcode', 'pa\\ss\\c']], '1.2');
      expect(headers).toEqual([['passcode', 'pa\\ss\\c']]);
      expect(issues).toEqual([]);
    }
  });

  it('reports undefined escapes as issues at the frame', () => {
    const { headers, issues } = interpretHeaders('SEND', [['x', 'tab\\there']], '1.1', 1234);
    expect(headers).toEqual([['x', 'tab\\there']]);
    expect(issues).toMatchObject([{ code: 'undefined-escape', severity: 'error', offset: 1234 }]);
    expect(issues[0].message).toContain('\\\\t');
  });

  it('reads a frame as 1.0, 1.1 or 1.2', () => {
    const raw: [string, string][] = [['v', 'a\\r\\nb']];
    expect(interpretHeaders('SEND', raw, '1.0').headers).toEqual([['v', 'a\\r\\nb']]);
    expect(interpretHeaders('SEND', raw, '1.1')).toMatchObject({ headers: [['v', 'a\\r\nb']], issues: [{ code: 'undefined-escape' }] });
    expect(interpretHeaders('SEND', raw, '1.2')).toEqual({ headers: [['v', 'a\r\nb']], issues: [] });
  });
});

describe('headerValue', () => {
  const headers: [string, string][] = [
    ['foo', 'World'],
    ['foo', 'Hello'],
  ];
  it('first one wins (STOMP 1.2 §Repeated Header Entries)', () => {
    expect(headerValue(headers, 'foo')).toBe('World');
    expect(headerValues(headers, 'foo')).toEqual(['World', 'Hello']);
  });
  it('is case-sensitive and undefined when absent', () => {
    expect(headerValue(headers, 'Foo')).toBeUndefined();
    expect(headerValue([], 'foo')).toBeUndefined();
  });
});
