// Malformed input is data: each case yields its issue, and the decoder resynchronises so that the good frame
// after it still decodes, whatever the chunking.
import { describe, expect, it } from 'vitest';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import type { DecodeEvent, DecoderLimits } from '../../shared/stomp/types.js';
import { bytes, coverage, decode, frames, issueCodes, text, untimed } from './stomp-helpers.js';

const GOOD = 'SEND\ndestination:/queue/good\n\nok\0';

interface Case {
  name: string;
  input: string | Uint8Array;
  /** Issue codes expected, in order, before the good frame. */
  codes: string[];
  limits?: Partial<DecoderLimits>;
  /** Good frames swallowed by the malformed one (a content-length that is too large eats the next frame). */
  eaten?: number;
}

const CASES: Case[] = [
  { name: 'text garbage before a frame', input: 'hello world\n\0', codes: ['garbage'] },
  { name: 'binary garbage', input: bytes([0xff, 0xfe, 0x00, 0x00, 0x00]), codes: ['garbage'] },
  { name: 'binary garbage with several NUL runs', input: bytes([0xff, 0, 1, 2, 0]), codes: ['garbage', 'garbage'] },
  { name: 'stray NULs between frames', input: '\0\0\0', codes: ['garbage'] },
  { name: 'a CR that does not start an EOL', input: '\rSEND\n\n\0', codes: ['garbage'] },
  { name: 'a command line with a trailing blank', input: 'SEND \ndestination:/q\n\nx\0', codes: ['garbage'] },
  { name: 'a command line with a CR inside', input: 'SE\rND\n\n\0', codes: ['garbage'] },
  { name: 'garbage ended by a known command line', input: '%%% not stomp %%%\nSEND\n\n\0', codes: ['garbage'] },
  { name: 'an over-long command token', input: `${'A'.repeat(100)}\n\n\0`, codes: ['garbage'] },
  { name: 'unknown command', input: 'FOO\nx:y\n\n\0', codes: ['unknown-command'] },
  {
    name: 'right after garbage, an unknown token line is more garbage, not a frame',
    input: '@@@\0FOO\n\nbar\0',
    codes: ['garbage', 'garbage'],
  },
  { name: 'lower-case command (commands are case-sensitive)', input: 'send\n\n\0', codes: ['unknown-command'] },
  { name: 'non-numeric content-length', input: 'SEND\ncontent-length:abc\n\nx\0', codes: ['bad-content-length'] },
  { name: 'negative content-length', input: 'SEND\ncontent-length:-1\n\nx\0', codes: ['bad-content-length'] },
  { name: 'content-length with a blank (never trimmed)', input: 'SEND\ncontent-length: 1\n\nx\0', codes: ['bad-content-length'] },
  { name: 'empty content-length', input: 'SEND\ncontent-length:\n\nx\0', codes: ['bad-content-length'] },
  { name: 'hex content-length', input: 'SEND\ncontent-length:0x1\n\nx\0', codes: ['bad-content-length'] },
  {
    name: 'absurdly large content-length',
    input: 'SEND\ncontent-length:99999999999999999999\n\nx\0',
    codes: ['bad-content-length'],
  },
  {
    name: 'content-length too small (characters counted instead of bytes)',
    input: 'SEND\ncontent-length:4\n\ncafé\0',
    codes: ['content-length-mismatch', 'garbage'],
  },
  {
    name: 'content-length too large swallows the next frame',
    input: 'SEND\ncontent-length:10\n\nhi\0',
    codes: ['content-length-mismatch', 'garbage'],
    eaten: 1,
  },
  { name: 'header line without a colon', input: 'SEND\nno colon here\n\nx\0', codes: ['malformed-header'] },
  { name: 'header with an empty name', input: 'SEND\n:value\n\nx\0', codes: ['malformed-header'] },
  { name: 'NUL inside the headers', input: 'SEND\ndestination:/q\0', codes: ['malformed-frame'] },
  { name: 'NUL right after the command line', input: 'DISCONNECT\n\0', codes: ['malformed-frame'] },
  {
    name: 'header line longer than the limit',
    input: `SEND\nx:${'y'.repeat(200)}\n\n\0`,
    codes: ['line-too-long'],
    limits: { maxLineBytes: 64 },
  },
  {
    name: 'over-long header line cut by a NUL',
    input: `SEND\nx:${'y'.repeat(200)}\0`,
    codes: ['line-too-long', 'malformed-frame'],
    limits: { maxLineBytes: 64 },
  },
  { name: 'too many headers', input: 'SEND\na:1\nb:2\nc:3\nd:4\n\n\0', codes: ['too-many-headers'], limits: { maxHeaders: 2 } },
  {
    name: 'content-length body over the limit',
    input: `SEND\ncontent-length:100\n\n${'z'.repeat(100)}\0`,
    codes: ['body-too-large'],
    limits: { maxBodyBytes: 16 },
  },
  {
    name: 'NUL-terminated body over the limit',
    input: `SEND\n\n${'z'.repeat(100)}\0`,
    codes: ['body-too-large'],
    limits: { maxBodyBytes: 16 },
  },
  { name: 'invalid UTF-8 in a header', input: bytes('SEND\nx:', [0xc3, 0x28], '\n\n\0'), codes: ['invalid-utf8'] },
  { name: 'a body on ACK', input: 'ACK\nid:1\n\nbody\0', codes: ['unexpected-body'] },
  { name: 'mixed line endings', input: 'SEND\r\nx:1\n\n\0', codes: ['mixed-line-endings'] },
];

function chunkings(n: number): (number | number[] | undefined)[] {
  return [undefined, 1, 2, 3, 5, 64, [Math.floor(n / 2)], [1, n - 1]];
}

describe('malformed corpus: issue, then resynchronisation', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const input = bytes(c.input, GOOD, GOOD);
      const whole = decode(input, { limits: c.limits });
      for (const chunks of chunkings(input.length)) {
        expect(untimed(decode(input, { limits: c.limits, chunks }))).toEqual(untimed(whole));
      }
      expect(issueCodes(whole)).toEqual(c.codes);
      // The good frames after the malformed bytes decode intact (minus any the bad one swallowed).
      const good = frames(whole).filter((f) => f.command === 'SEND' && text(f.body) === 'ok' && f.issues.length === 0);
      expect(good).toHaveLength(2 - (c.eaten ?? 0));
      const last = whole[whole.length - 1];
      expect(last).toMatchObject({ kind: 'frame', offset: input.length - GOOD.length, length: GOOD.length });
      // Nothing unexplained: events cover every byte exactly once.
      expect(coverage(whole)).toEqual([[0, input.length]]);
    });
  }
});

describe('end of stream inside a frame', () => {
  const cases: [string, string, string[]][] = [
    ['missing NUL after a body', 'SEND\ndestination:/q\n\nbody', ['truncated-frame']],
    ['missing NUL after a content-length body', 'SEND\ncontent-length:4\n\nbody', ['truncated-frame']],
    ['short content-length body', 'SEND\ncontent-length:40\n\nbody', ['truncated-frame']],
    ['inside the headers', 'SEND\ndestination:/q', ['truncated-frame']],
    ['inside the command line', 'SEN', ['truncated-frame']],
    ['after a lone CR', 'SEND\n\n\0\r', ['garbage']],
    ['inside garbage', '@@@@', ['garbage']],
  ];
  for (const [name, input, codes] of cases) {
    it(name, () => {
      const whole = decode(input);
      expect(untimed(decode(input, { chunks: 1 }))).toEqual(untimed(whole));
      expect(issueCodes(whole)).toEqual(codes);
      expect(coverage(whole)).toEqual([[0, input.length]]);
    });
  }

  it('without end() nothing is reported yet: the frame may still complete', () => {
    expect(decode('SEND\n\nbody', { end: false })).toEqual([]);
  });
});

describe('gaps', () => {
  it('a gap inside garbage closes the garbage run and the gap is reported', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    const sink = (e: DecodeEvent): void => void events.push(e);
    d.push(bytes('@@@'), 0, sink);
    d.gap(5, 1, sink);
    d.push(bytes(GOOD), 2, sink);
    expect(events.map((e) => (e.kind === 'issue' ? [e.code, e.offset, e.length] : e.kind))).toEqual([
      ['garbage', 0, 3],
      ['tcp-gap', 3, 5],
      'frame',
    ]);
  });

  it('a gap at a frame boundary loses nothing else', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    const sink = (e: DecodeEvent): void => void events.push(e);
    d.push(bytes(GOOD), 0, sink);
    d.gap(7, 1, sink);
    d.push(bytes('\n', GOOD), 2, sink);
    expect(events.map((e) => (e.kind === 'issue' ? e.code : e.kind))).toEqual(['frame', 'tcp-gap', 'heartbeat', 'frame']);
    expect(events[3]).toMatchObject({ offset: GOOD.length + 7 + 1 });
  });

  it('a zero-byte gap changes nothing', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    d.push(bytes('SEND\n\nab'), 0, (e) => events.push(e));
    d.gap(0, 1, (e) => events.push(e));
    d.push(bytes('c\0'), 2, (e) => events.push(e));
    expect(frames(events).map((f) => text(f.body))).toEqual(['abc']);
  });
});
