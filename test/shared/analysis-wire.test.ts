// Expert info, wire rules (found by the decoder and the per-version header view): for each, bytes that trigger
// it and nearly the same bytes that must not. The decoder's own tests go into every case; this is the catalogue's
// checklist, one pair per code.
import { describe, expect, it } from 'vitest';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import { interpretHeaders } from '../../shared/stomp/escape.js';
import type { DecodeEvent } from '../../shared/stomp/types.js';
import { decode, frames, issueCodes } from './stomp-helpers.js';

const cases: Array<{ code: string; bad: string; good: string; limits?: { maxLineBytes?: number } }> = [
  { code: 'garbage', bad: 'hello\0SEND\ndestination:/q\n\n\0', good: 'SEND\ndestination:/q\n\n\0' },
  { code: 'malformed-frame', bad: 'SEND\ndestination:/q\0', good: 'SEND\ndestination:/q\n\n\0' },
  { code: 'unknown-command', bad: 'SNED\ndestination:/q\n\n\0', good: 'SEND\ndestination:/q\n\n\0' },
  { code: 'content-length-mismatch', bad: 'SEND\ndestination:/q\ncontent-length:2\n\nabc\0', good: 'SEND\ndestination:/q\ncontent-length:3\n\nabc\0' },
  { code: 'bad-content-length', bad: 'SEND\ncontent-length:x\n\nabc\0', good: 'SEND\ncontent-length:3\n\nabc\0' },
  { code: 'line-too-long', bad: `SEND\nx:${'a'.repeat(100)}\n\n\0`, good: `SEND\nx:${'a'.repeat(20)}\n\n\0`, limits: { maxLineBytes: 64 } },
  { code: 'unexpected-body', bad: 'SUBSCRIBE\nid:1\ndestination:/q\n\nbody\0', good: 'SEND\ndestination:/q\n\nbody\0' },
  { code: 'truncated-frame', bad: 'SEND\ndestination:/q\n\nbod', good: 'SEND\ndestination:/q\n\nbody\0' },
];

describe('wire rules: one triggering and one clean input per code', () => {
  for (const c of cases) {
    it(c.code, () => {
      expect(issueCodes(decode(c.bad, { limits: c.limits }))).toContain(c.code);
      expect(issueCodes(decode(c.good, { limits: c.limits }))).not.toContain(c.code);
    });
  }
  it('undefined-escape (per version: \\r is defined in 1.2 only)', () => {
    const [f] = frames(decode('SEND\ndestination:/q\nx:a\\rb\n\n\0'));
    expect(interpretHeaders(f.command, f.headers, '1.1').issues.map((i) => i.code)).toEqual(['undefined-escape']);
    expect(interpretHeaders(f.command, f.headers, '1.2').issues).toEqual([]);
  });
  it('tcp-gap: bytes lost from a capture cut a frame; the next one is decoded', () => {
    const d = new StompDecoder();
    const out: DecodeEvent[] = [];
    d.push(new TextEncoder().encode('SEND\ndestination:/q\n\nhal'), 0, (e) => out.push(e));
    d.gap(10, 1, (e) => out.push(e));
    d.push(new TextEncoder().encode('\0SEND\ndestination:/r\n\n\0'), 2, (e) => out.push(e));
    expect(issueCodes(out)).toContain('tcp-gap');
    expect(frames(out).map((f) => f.headers)).toContainEqual([['destination', '/r']]);
    expect(issueCodes(decode('SEND\ndestination:/q\n\nhalf\0SEND\ndestination:/r\n\n\0', { chunks: 7 }))).toEqual([]);
  });
});
