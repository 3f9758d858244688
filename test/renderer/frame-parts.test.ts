// Where the parts of a frame lie in its raw bytes (the bytes pane highlights what the detail pane selects): command
// line, each header line in wire order (repeats too), the body up to its NUL; LF and CR LF line ends (STOMP 1.2
// §Augmented BNF); truncated frames give what can be found.
import { describe, expect, it } from 'vitest';
import { frameParts, partRange } from '../../src-renderer/src/lib/frame-parts.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (raw: Uint8Array, r: readonly [number, number] | null) => (r ? new TextDecoder().decode(raw.subarray(r[0], r[1])) : null);

describe('frameParts', () => {
  it('finds the command, each header line and the body of an LF frame', () => {
    const raw = bytes('SEND\ndestination:/queue/a\ncontent-type:text/plain\nx:1\nx:2\n\nhello\0');
    const p = frameParts(raw, 5);
    expect(text(raw, p.command)).toBe('SEND');
    expect(p.headers.map((h) => text(raw, h))).toEqual(['destination:/queue/a', 'content-type:text/plain', 'x:1', 'x:2']);
    expect(text(raw, p.body)).toBe('hello');
    expect(text(raw, partRange(p, { kind: 'header', index: 3 }))).toBe('x:2');
    expect(partRange(p, { kind: 'header', index: 9 })).toBeNull();
    expect(partRange(p, null)).toBeNull();
  });

  it('leaves CR out of CR LF lines, skips heart-beat EOLs before the command, and finds the body without its length', () => {
    const raw = bytes('\r\n\nMESSAGE\r\nsubscription:s\r\n\r\n{"a":1}\0');
    const p = frameParts(raw);
    expect(text(raw, p.command)).toBe('MESSAGE');
    expect(p.headers.map((h) => text(raw, h))).toEqual(['subscription:s']);
    expect(text(raw, p.body)).toBe('{"a":1}');
  });

  it('gives the parts found in a frame cut inside its headers, and an empty body for a frame without one', () => {
    const cut = bytes('SEND\ndestination:/q\nconte');
    expect(frameParts(cut)).toEqual({ command: [0, 4], headers: [[5, 19]], body: null });
    const empty = bytes('DISCONNECT\n\n\0');
    expect(text(empty, frameParts(empty, 0).body)).toBe('');
    expect(frameParts(bytes('GARBAGE'))).toEqual({ command: [0, 7], headers: [], body: null });
  });
});
