// The frame-boundary scanner (shared/stomp/boundary.ts) is the decoder's state machine run framing-only: one
// machine, two consumers. For any bytes and any chunking the scanner ends frames exactly where the decoding
// consumer does, whichever path (whole line, line in pieces) each takes through it. And the injector built on it
// (src-main/core/proxy/injector.ts): injected frames land between the client's frames, never inside one, and the
// client's bytes reach the broker unchanged around them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameBoundary } from '../../shared/stomp/boundary.js';
import { KNOWN_COMMANDS, mayHaveBody } from '../../shared/stomp/spec.js';
import type { DecodeEvent, DecodedFrame, DecoderLimits } from '../../shared/stomp/types.js';
import { ClientInjector, type Injection } from '../../src-main/core/proxy/injector.js';
import { bytes, decode, split } from './stomp-helpers.js';

const te = new TextEncoder();

/** Stream offsets just past each frame the decoder delivers (without end(): the stream goes on). */
function decoderEnds(data: Uint8Array, limits?: Partial<DecoderLimits>): number[] {
  return decode(data, { end: false, limits }).filter((e): e is DecodedFrame => e.kind === 'frame').map((f) => f.offset + f.length);
}

function scannerEnds(data: Uint8Array, points: number | number[] | undefined, limits?: Partial<DecoderLimits>): number[] {
  const ends: number[] = [];
  const s = new FrameBoundary(limits, (o) => ends.push(o));
  for (const c of split(data, points)) expect(s.scan(c)).toBe(c.length);
  expect(s.offset).toBe(data.length);
  expect(s.frames).toBe(ends.length);
  return ends;
}

const frames = (data: Uint8Array) => decode(data, { end: false }).filter((e): e is DecodedFrame => e.kind === 'frame');

describe('FrameBoundary', () => {
  it('ends frames where the decoder does: NUL bodies, content-length bodies with NULs, heart-beats, CRLF', () => {
    const data = bytes('\n\r\nSEND\ndestination:/q\n\nhello\0', 'SEND\r\ncontent-length:5\r\n\r\na\0b\0c\0\n',
      'MESSAGE\ncontent-length:0\n\n\0', 'ACK\nid:1\n\n\0');
    expect(decoderEnds(data)).toHaveLength(4);
    for (const chunks of [undefined, 1, 3, 7]) expect(scannerEnds(data, chunks)).toEqual(decoderEnds(data));
  });

  it('follows only the first content-length, and only a strictly decimal one', () => {
    for (const head of ['content-length:2\ncontent-length:9\n', 'content-length:+2\n', 'content-length: 2\n', 'content-length:2 \n',
      'content-length:\n', 'content-length:0000000000000002\n', 'Content-Length:2\n', 'x-content-length:2\n', 'content-length:2\r\n',
      'content-length:\r2\n', 'content-length:2\r\r\n']) {
      const data = bytes(`SEND\n${head}\n`, 'a\0bc\0', 'SEND\n\n\0');
      expect(scannerEnds(data, 1), head).toEqual(decoderEnds(data));
      expect(scannerEnds(data, undefined), head).toEqual(decoderEnds(data));
    }
  });

  it('is at a boundary only between frames, not after a lone CR or inside a frame', () => {
    const s = new FrameBoundary();
    expect(s.atBoundary).toBe(true);
    s.scan(te.encode('\n'));
    expect(s.atBoundary).toBe(true);
    s.scan(te.encode('\r'));
    expect(s.atBoundary).toBe(false);
    s.scan(te.encode('\nSE'));
    expect(s.atBoundary).toBe(false);
    s.scan(te.encode('ND\ncontent-length:1\n\n\0'));
    expect(s.atBoundary).toBe(false); // the NUL is the body; the terminator is still to come
    s.scan(te.encode('\0'));
    expect(s.atBoundary).toBe(true);
  });

  it('stops at the first boundary when asked, and goes on from there', () => {
    const data = te.encode('ACK\nid:1\n\n\0ACK\nid:2\n\n\0SEND');
    const s = new FrameBoundary();
    expect(s.scan(data, 0, true)).toBe(11);
    expect(s.atBoundary).toBe(true);
    expect(s.scan(data, 11, true)).toBe(22);
    expect(s.scan(data, 22, true)).toBe(data.length);
    expect(s.atBoundary).toBe(false);
  });

  it('stops after each heart-beat, a CRLF one whole: never between its CR and LF', () => {
    const data = te.encode('\r\n\nACK\n\n\0\r\n');
    const s = new FrameBoundary();
    const stops: number[] = [];
    for (let at = 0; at < data.length; ) stops.push((at = s.scan(data, at, true)));
    expect(stops).toEqual([2, 3, 9, 11]);
  });

  it('resynchronises after garbage where the decoder does (NUL runs, a known command line)', () => {
    for (const text of ['xx yy\0\0SEND\n\n\0', 'SEND\ncontent-length:1\n\nab\0SEND\n\n\0', '\rX\nSEND\n\nb\0', 'SE ND\n\0FOO\n\n\0ACK\n\n\0',
      'SEND\ncontent-length:1\n\nabc\nMESSAGE\ncontent-length:2\n\n\0\0\0']) {
      const data = te.encode(text);
      for (const chunks of [undefined, 1, 2]) expect(scannerEnds(data, chunks), JSON.stringify(text)).toEqual(decoderEnds(data));
    }
  });

  it('a header line longer than maxLineBytes is no content-length, as in the decoder', () => {
    const limits = { maxLineBytes: 16 };
    const data = te.encode('SEND\ncontent-length:00000005\ncontent-length:2\n\na\0\0SEND\n\n\0');
    expect(decoderEnds(data, limits)).toEqual(scannerEnds(data, 1, limits));
    expect(decoderEnds(data, limits)).not.toEqual(decoderEnds(data));
  });

  it('decides as the decoder for every place a chunk may split the bytes, at the limits of a line and of a count', () => {
    // The places where framing only and decoding take different paths through the one state machine: a header
    // line whole in one chunk or in pieces (only its first bytes kept when framing), its trailing CR, a line at
    // and over maxLineBytes, a count of 15 and of 16 digits, a NUL in the headers, an unknown command after garbage.
    const cases = [
      'SEND\ncontent-length:00000005\ncontent-length:2\n\na\0\0SEND\n\n\0',
      'SEND\ncontent-length:0005\r\ncontent-length:2\r\n\r\na\0\0\0\0\0\0SEND\n\n\0',
      'SEND\ncontent-length:000000000000003\n\na\0b\0c\0',
      'SEND\ncontent-length:0000000000000003\n\na\0b\0c\0',
      'SEND\ncontent-type:text\ncontent-length:1\r\r\n\n\0\0\0',
      'SEND\ncontent-length:1\nx\0ACK\n\n\0',
      'xx\0FOO\ncontent-length:1\n\n\0\0SEND\ncontent-length:1\n\n\0\0',
      'SEND\ncontent-length:2\n\nabc\nMESSAGE\ncontent-length:1\n\n\0\0\0',
    ];
    for (const text of cases) {
      const data = te.encode(text);
      for (const limits of [undefined, { maxLineBytes: 16 }, { maxLineBytes: 17 }, { maxLineBytes: 30 }]) {
        const want = decoderEnds(data, limits);
        for (let at = 0; at <= data.length; at++) expect(scannerEnds(data, [at], limits), `${JSON.stringify(text)} split at ${at}`).toEqual(want);
        for (const size of [1, 2, 3, 5]) expect(scannerEnds(data, size, limits), `${JSON.stringify(text)} in ${size}-byte chunks`).toEqual(want);
      }
    }
  });

  const TOKENS = [
    'SEND\n', 'MESSAGE\r\n', 'CONNECT\n', 'FOO\n', 'send\n', '\n', '\r\n', '\r', '\0', ':', 'content-length:', 'content-length:3\n',
    'content-length:0\n', 'content-length:-1\n', '5', '12', 'abc', 'x:y\n', 'destination:/q\n', '\\', 'é', ' ', 'A', 'ACK\n\n\0',
  ];
  const fuzzBytes = fc
    .array(fc.oneof(fc.constantFrom(...TOKENS).map((t) => te.encode(t)), fc.uint8Array({ maxLength: 6 })), { maxLength: 60 })
    .map((parts) => bytes(...parts));

  it('property: for any bytes and any chunking, the scanner ends frames exactly where the decoder does', () => {
    fc.assert(
      fc.property(fuzzBytes, fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), (data, points) => {
        const want = decoderEnds(data);
        expect(scannerEnds(data, points)).toEqual(want);
        expect(scannerEnds(data, 1)).toEqual(want);
        const small = { maxLineBytes: 8 };
        expect(scannerEnds(data, points, small)).toEqual(decoderEnds(data, small));
      }),
      { numRuns: 1500 },
    );
  });
});

// --- injection -------------------------------------------------------------------------------------------------

interface Piece {
  bytes: Uint8Array;
  injected: boolean;
}

/** Feeds `data` in chunks through an injector, injecting frame k after chunk `at[k]` (or before the first chunk). */
function runInjector(data: Uint8Array, points: number[], at: number[]) {
  const out: Piece[] = [];
  const inj = new ClientInjector((b, injected) => out.push({ bytes: b.slice(), injected }));
  const chunks = split(data, points);
  const injections: Array<{ frame: Uint8Array; requestedAt: number; writtenAt: number | null; waited: boolean | null }> = [];
  const clientBytes = () => out.filter((p) => !p.injected).reduce((n, p) => n + p.bytes.length, 0);
  const request = (k: number) => {
    const frame = te.encode(`SEND\ndestination:/queue/injected-${k}\n\ninjected ${k}\0`);
    const rec = { frame, requestedAt: clientBytes(), writtenAt: null as number | null, waited: null as boolean | null };
    injections.push(rec);
    const i: Injection = {
      bytes: frame,
      done: (waited) => {
        rec.writtenAt = clientBytes();
        rec.waited = waited;
      },
      failed: () => {},
    };
    inj.inject(i);
  };
  at.forEach((c, k) => c < 0 && request(k));
  chunks.forEach((c, n) => {
    inj.forward(c);
    at.forEach((x, k) => x === n && request(k));
  });
  return { out, injections, inj };
}

describe('ClientInjector', () => {
  it('a client that wrote half a frame: the injected frame waits, and lands after the client frame, never inside it', () => {
    const out: Piece[] = [];
    const inj = new ClientInjector((b, injected) => out.push({ bytes: b.slice(), injected }));
    inj.forward(te.encode('SEND\ndestination:/queue/a\ncontent-length:3\n\nx'));
    let waited: boolean | null = null;
    inj.inject({ bytes: te.encode('SEND\ndestination:/queue/inj\n\nI\0'), done: (w) => (waited = w), failed: () => {} });
    expect(waited).toBe(null);
    expect(out.filter((p) => p.injected)).toEqual([]);
    // The rest of the frame and the start of the next arrive in one read: it is split at the boundary.
    inj.forward(te.encode('\0y\0SUBSCRIBE\nid:1\n'));
    expect(waited).toBe(true);
    expect(out.map((p) => [new TextDecoder().decode(p.bytes), p.injected])).toEqual([
      ['SEND\ndestination:/queue/a\ncontent-length:3\n\nx', false],
      ['\0y\0', false],
      ['SEND\ndestination:/queue/inj\n\nI\0', true],
      ['SUBSCRIBE\nid:1\n', false],
    ]);
    // At a boundary (after heart-beats) an injection goes out at once.
    inj.forward(te.encode('destination:/q\n\n\0\n'));
    inj.inject({ bytes: te.encode('ACK\nid:9\n\n\0'), done: (w) => (waited = w), failed: () => {} });
    expect(waited).toBe(false);
    expect(out.at(-1)).toMatchObject({ injected: true });
    const d = frames(bytes(...out.map((p) => p.bytes)));
    expect(d.map((f) => [f.command, f.issues.length])).toEqual([['SEND', 0], ['SEND', 0], ['SUBSCRIBE', 0], ['ACK', 0]]);
  });

  it('a closed connection fails what waits, and a cancelled injection is never written', () => {
    const out: Piece[] = [];
    const inj = new ClientInjector((b, injected) => out.push({ bytes: b, injected }));
    inj.forward(te.encode('SEND\n'));
    const failed: string[] = [];
    const a: Injection = { bytes: te.encode('ACK\n\n\0'), done: () => failed.push('done?'), failed: (r) => failed.push(r) };
    const b: Injection = { bytes: te.encode('NACK\n\n\0'), done: () => failed.push('done?'), failed: (r) => failed.push(r) };
    inj.inject(a);
    inj.inject(b);
    expect(inj.cancel(a)).toBe(true);
    expect(inj.cancel(a)).toBe(false);
    inj.close('client closed');
    expect(failed).toEqual(['client closed']);
    inj.inject(a);
    expect(failed).toEqual(['client closed', 'client closed']);
    expect(out.some((p) => p.injected)).toBe(false);
  });

  const headerName = fc.constantFrom('destination', 'receipt', 'x-a', 'content-type', 'id');
  const genFrame = fc
    .record({
      command: fc.constantFrom(...KNOWN_COMMANDS),
      headers: fc.array(fc.tuple(headerName, fc.constantFrom('', '/q', 'a:b', 'é'))),
      body: fc.uint8Array({ maxLength: 40 }),
      cl: fc.boolean(),
      crlf: fc.boolean(),
      beats: fc.constantFrom('', '\n', '\r\n', '\n\n'),
    })
    .map(({ command, headers, body, cl, crlf, beats }) => {
      const b = mayHaveBody(command) ? body : new Uint8Array(0);
      const hs = headers.map(([n, v]) => `${n}:${v}`);
      if (cl || b.includes(0)) hs.push(`content-length:${b.length}`);
      const eol = crlf ? '\r\n' : '\n';
      return bytes(beats, command + eol + hs.map((h) => h + eol).join('') + eol, b, [0]);
    });

  it('property: valid client streams, any chunking, injections at any time: both streams decode cleanly, in order', () => {
    fc.assert(
      fc.property(fc.array(genFrame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat({ max: 600 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: -1, max: 10 }), { maxLength: 4 }), (fs, points, at) => {
          const data = bytes(...fs);
          const { out, injections } = runInjector(data, points, at);
          // The client's bytes reach the broker unchanged, whatever was put between them.
          expect(bytes(...out.filter((p) => !p.injected).map((p) => p.bytes))).toEqual(data);
          const original = frames(data);
          const all = frames(bytes(...out.map((p) => p.bytes)));
          expect(all.flatMap((f) => f.issues)).toEqual(original.flatMap((f) => f.issues));
          expect(all.filter((f) => !f.headers.some(([n, v]) => n === 'destination' && v.startsWith('/queue/injected-')))
            .map((f) => [f.command, f.headers, f.bodyLength])).toEqual(original.map((f) => [f.command, f.headers, f.bodyLength]));
          // Boundaries: the start, after each frame, after each heart-beat.
          const beats = decode(data, { end: false }).filter((e) => e.kind === 'heartbeat');
          const ends = new Set([0, ...original.map((f) => f.offset + f.length), ...beats.map((b) => b.offset + b.length)]);
          const written = injections.filter((i) => i.writtenAt !== null);
          expect(all.length).toBe(original.length + written.length);
          for (const i of injections) {
            if (i.writtenAt === null) {
              // Still waiting: only when the stream has not reached a boundary since it was asked for.
              expect([...ends].some((e) => e >= i.requestedAt)).toBe(false);
              continue;
            }
            // At the first frame boundary at or after the request: never inside a frame, and no later than needed.
            expect(ends.has(i.writtenAt) || !original.some((f) => f.offset < i.writtenAt! && i.writtenAt! < f.offset + f.length)).toBe(true);
            const first = Math.min(...[...ends].filter((e) => e >= i.requestedAt));
            if (i.waited) expect(i.writtenAt).toBe(first);
          }
        }),
      { numRuns: 600 },
    );
  });

  it('property: any client bytes (garbage too): no injection ever lands inside a frame the decoder sees', () => {
    const tokens = ['SEND\n', 'ACK\n', 'content-length:2\n', '\n', '\r', '\0', 'x', ':', '\r\n', 'FOO\n'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 40 }), fc.array(fc.nat({ max: 200 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: -1, max: 10 }), { maxLength: 4 }), (parts, points, at) => {
          const data = te.encode(parts.join(''));
          const { out, injections } = runInjector(data, points, at);
          expect(bytes(...out.filter((p) => !p.injected).map((p) => p.bytes))).toEqual(data);
          const spans = decode(data, { end: false }).filter((e: DecodeEvent) => e.kind === 'frame') as DecodedFrame[];
          for (const i of injections) {
            if (i.writtenAt === null) continue;
            expect(spans.some((f) => f.offset < i.writtenAt! && i.writtenAt! < f.offset + f.length)).toBe(false);
          }
          // Each injected frame is still a whole frame to the decoder.
          const all = frames(bytes(...out.map((p) => p.bytes)));
          for (const i of injections.filter((x) => x.writtenAt !== null)) {
            const dest = new TextDecoder().decode(i.frame).split('\n')[1].slice('destination:'.length);
            expect(all.some((f) => f.command === 'SEND' && f.headers.some(([n, v]) => n === 'destination' && v === dest) && f.issues.length === 0)).toBe(true);
          }
        }),
      { numRuns: 600 },
    );
  });
});
