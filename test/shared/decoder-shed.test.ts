// StompDecoder.shed(): bytes that went by unseen though nothing was lost on the wire (the proxy's recorder shed
// them to stay within its memory budget). A frame whose body they fall in is kept with its real length.
import { describe, expect, it } from 'vitest';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import type { DecodeEvent, DecodedFrame } from '../../shared/stomp/types.js';
import { bytes } from './stomp-helpers.js';

/** Runs steps against one decoder: strings/bytes are pushed, [n, nulAt] is shed. */
function run(...steps: Array<string | [number, number]>): DecodeEvent[] {
  const d = new StompDecoder();
  const events: DecodeEvent[] = [];
  const sink = (e: DecodeEvent) => events.push(e.kind === 'frame' && e.body ? { ...e, body: e.body.slice() } : e);
  for (const s of steps) {
    if (typeof s === 'string') d.push(bytes(s), 0, sink);
    else d.shed(s[0], s[1], 0, sink);
  }
  d.end(0, sink);
  return events;
}

const frames = (es: DecodeEvent[]) => es.filter((e): e is DecodedFrame => e.kind === 'frame');
const summary = (es: DecodeEvent[]) => frames(es).map((f) => [f.command, f.offset, f.length, f.bodyLength, f.body === null ? null : f.body.length, f.issues.map((i) => i.code)]);

describe('shed bytes', () => {
  it('inside a content-length body: the frame keeps its length, not its body, and the next frame decodes', () => {
    const head = 'SEND\ncontent-length:10\n\n';
    const es = run(head + 'abc', [5, -1], 'hi\0', 'SEND\n\nx\0');
    expect(summary(es)).toEqual([
      ['SEND', 0, head.length + 11, 10, null, ['recording-overload']],
      ['SEND', head.length + 11, 8, 1, 1, []],
    ]);
    expect(frames(es)[0].issues[0].message).toBe('5 bytes of this frame were forwarded but not recorded; its length is known, its body was not kept');
  });

  it('past the end of a content-length body: the frame ends where content-length says, then the decoder resynchronises', () => {
    const head = 'SEND\ncontent-length:4\n\n';
    // Shed: 2 body bytes, the NUL, and 6 bytes of whatever followed; a body piece then the next real frame.
    const es = run(head + 'ab', [9, 2], 'tail\0', 'MESSAGE\n\nm\0');
    expect(summary(es)).toEqual([
      ['SEND', 0, head.length + 5, 4, null, ['recording-overload']],
      ['MESSAGE', head.length + 2 + 9 + 5, 11, 1, 1, []],
    ]);
    expect(es.filter((e) => e.kind === 'issue').map((e) => e.kind === 'issue' && e.code)).toEqual(['garbage']);
  });

  it('inside a NUL-terminated body: the frame ends at the first NUL among the shed bytes', () => {
    const es = run('SEND\n\nabc', [100, -1], [50, 20], 'ERROR\n\n\0');
    // 9 bytes seen, 100 + 21 shed up to and including the NUL; the 29 after it are unknown, ERROR is found after.
    expect(summary(es)).toEqual([
      ['SEND', 0, 9 + 121, 3 + 120, null, ['recording-overload']],
      ['ERROR', 159, 8, 0, 0, []],
    ]);
    expect(frames(es)[0].issues[0].message).toMatch(/^121 bytes of this frame/);
  });

  it('in a body that never ends: the frame is listed at the end of the stream with every byte, seen or not', () => {
    const es = run('SEND\n\nabc', [1000, -1], 'more', [1000, -1]);
    expect(summary(es)).toEqual([['SEND', 0, 6 + 3 + 1000 + 4 + 1000, 3 + 2004, null, ['truncated-frame', 'recording-overload']]]);
  });

  it('inside the headers: the frame is dropped (its headers are unknown) and the next one decodes', () => {
    const es = run('SEND\ndestina', [30, 29], 'CONNECT\n\n\0');
    expect(summary(es)).toEqual([['CONNECT', 12 + 30, 10, 0, 0, []]]);
    expect(es.filter((e) => e.kind === 'issue').map((e) => e.kind === 'issue' && e.code)).toEqual(['truncated-frame']);
  });

  it('between frames: nothing to report, and the next frame is found', () => {
    const es = run('SEND\n\n\0', [64, 10], 'SEND\n\ny\0');
    expect(summary(es)).toEqual([['SEND', 0, 7, 0, 0, []], ['SEND', 7 + 64, 8, 1, 1, []]]);
    expect(es.filter((e) => e.kind === 'issue')).toEqual([]);
  });

  it('gives a body buffer back at once', () => {
    const d = new StompDecoder();
    d.push(bytes('SEND\n\n', 'x'.repeat(100_000)), 0, () => {});
    expect(d.heldBytes).toBeGreaterThanOrEqual(100_000);
    d.shed(10, -1, 0, () => {});
    expect(d.heldBytes).toBe(0);
  });
});
