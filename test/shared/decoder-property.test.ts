// Properties of the decoder over generated streams: valid streams decode to exactly what was generated, under
// any chunking, and re-encode byte for byte; arbitrary and mutated streams never throw, stay within the
// limits and leave no byte unexplained.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KNOWN_COMMANDS, mayHaveBody } from '../../shared/stomp/spec.js';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import { encodeFrame } from '../../shared/stomp/encoder.js';
import type { DecodeEvent, DecoderLimits, RawHeader } from '../../shared/stomp/types.js';
import { bytes, coverage, decode, split, untimed } from './stomp-helpers.js';

const te = new TextEncoder();

// --- generators ------------------------------------------------------------------------------------------

const stompish = fc.constantFrom('a', 'Z', '0', '-', '/', '.', ' ', '\\', '\\c', '\\n', 'é', '日', '\t', ':');
const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.array(stompish, { maxLength }).map((a) => a.join('')),
  );
const headerName = anyText(12).filter((s) => s.length > 0 && !/[:\r\n\0]/.test(s) && s !== 'content-length');
const headerVal = anyText(24).filter((s) => !/[\r\n\0]/.test(s));

interface GenFrame {
  command: string;
  headers: RawHeader[];
  body: Uint8Array;
  crlf: boolean;
  beatsBefore: string[];
}

const genFrame: fc.Arbitrary<GenFrame> = fc
  .record({
    command: fc.constantFrom(...KNOWN_COMMANDS),
    headers: fc.array(fc.tuple(headerName, headerVal), { maxLength: 6 }),
    body: fc.oneof(fc.uint8Array({ maxLength: 200 }), anyText(60).map((s) => te.encode(s.replace(/\0/g, '')))),
    contentLength: fc.boolean(),
    clAt: fc.nat(),
    crlf: fc.boolean(),
    beatsBefore: fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 3 }),
  })
  .map(({ command, headers, body, contentLength, clAt, crlf, beatsBefore }) => {
    const b = mayHaveBody(command) ? body : new Uint8Array(0);
    const hs = headers.map(([n, v]): RawHeader => [n, v]);
    // A body with a NUL needs content-length (STOMP 1.2 §Header content-length); others get one at random.
    if (b.includes(0) || contentLength) hs.splice(clAt % (hs.length + 1), 0, ['content-length', String(b.length)]);
    return { command, headers: hs, body: b, crlf, beatsBefore };
  });

/** The wire bytes, written here by hand (not with encodeFrame) so the test does not trust the encoder. */
function wire(frames: GenFrame[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    for (const hb of f.beatsBefore) parts.push(te.encode(hb));
    const eol = f.crlf ? '\r\n' : '\n';
    parts.push(te.encode(f.command + eol + f.headers.map(([n, v]) => `${n}:${v}${eol}`).join('') + eol), f.body, new Uint8Array([0]));
  }
  return bytes(...parts);
}

/** The events the decoder must produce for a generated stream. */
function expected(frames: GenFrame[]): unknown[] {
  const out: unknown[] = [];
  let at = 0;
  for (const f of frames) {
    for (const hb of f.beatsBefore) {
      out.push({ kind: 'heartbeat', offset: at, length: hb.length });
      at += hb.length;
    }
    const eol = f.crlf ? '\r\n' : '\n';
    const head = te.encode(f.command + eol + f.headers.map(([n, v]) => `${n}:${v}${eol}`).join('') + eol).length;
    out.push({
      kind: 'frame',
      offset: at,
      length: head + f.body.length + 1,
      command: f.command,
      headers: f.headers,
      crlf: f.crlf,
      bodyOffset: at + head,
      bodyLength: f.body.length,
      body: f.body,
      issues: [],
    });
    at += head + f.body.length + 1;
  }
  return out;
}

const splitPoints = (n: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 12 });

// --- valid streams -----------------------------------------------------------------------------------------

describe('valid streams', () => {
  it('decode to exactly the generated frames and heart-beats', () => {
    fc.assert(
      fc.property(fc.array(genFrame, { minLength: 1, maxLength: 6 }), (gen) => {
        expect(untimed(decode(wire(gen)))).toEqual(expected(gen));
      }),
      { numRuns: 300 },
    );
  });

  it('any chunking gives the same events (random split points, and 1-byte chunks)', () => {
    fc.assert(
      fc.property(
        fc.array(genFrame, { minLength: 1, maxLength: 6 }).chain((gen) => {
          const data = wire(gen);
          return fc.tuple(fc.constant(data), splitPoints(data.length));
        }),
        ([data, points]) => {
          const whole = untimed(decode(data));
          expect(untimed(decode(data, { chunks: points }))).toEqual(whole);
          expect(untimed(decode(data, { chunks: 1 }))).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encoding a decoded frame reproduces its raw bytes', () => {
    fc.assert(
      fc.property(
        fc.array(genFrame, { minLength: 1, maxLength: 6 }).chain((gen) => {
          const data = wire(gen);
          return fc.tuple(fc.constant(data), splitPoints(data.length));
        }),
        ([data, points]) => {
          let n = 0;
          const d = new StompDecoder();
          const sink = (e: DecodeEvent): void => {
            if (e.kind !== 'frame') return;
            n++;
            // Inside the sink, where the body view is valid.
            expect(encodeFrame(e)).toEqual(data.subarray(e.offset, e.offset + e.length));
          };
          for (const chunk of split(data, points)) d.push(chunk, 0, sink);
          d.end(0, sink);
          expect(n).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// --- fuzz ----------------------------------------------------------------------------------------------------

const TOKENS = [
  'SEND\n', 'MESSAGE\r\n', 'CONNECT\n', 'FOO\n', 'send\n', '\n', '\r\n', '\r', '\0', ':', 'content-length:',
  'content-length:3\n', 'content-length:-1\n', '5', '12', 'abc', 'x:y\n', 'destination:/q\n', '\\', 'é', ' ',
];
const fuzzBytes = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS).map((t) => te.encode(t)), fc.uint8Array({ maxLength: 8 })), {
    maxLength: 60,
  })
  .map((parts) => bytes(...parts));

const SMALL: DecoderLimits = { maxLineBytes: 16, maxHeaders: 3, maxBodyBytes: 24 };

/** Decodes with small limits and checks the invariants that hold for any input. */
function checkInvariants(data: Uint8Array, points: number[]): void {
  const whole = decode(data, { limits: SMALL });
  expect(untimed(decode(data, { limits: SMALL, chunks: points }))).toEqual(untimed(whole));
  expect(untimed(decode(data, { limits: SMALL, chunks: 1 }))).toEqual(untimed(whole));
  if (data.length > 0) expect(coverage(whole)).toEqual([[0, data.length]]);
  else expect(whole).toEqual([]);
  for (const e of whole) {
    if (e.kind !== 'frame') continue;
    expect(e.headers.length).toBeLessThanOrEqual(SMALL.maxHeaders);
    if (e.body !== null) expect(e.body.length).toBeLessThanOrEqual(SMALL.maxBodyBytes);
    // (Invalid UTF-8 shows as U+FFFD, which re-encodes longer than the bytes it replaced.)
    if (e.issues.some((i) => i.code === 'invalid-utf8')) continue;
    for (const [n, v] of e.headers) expect(te.encode(n + ':' + v).length).toBeLessThanOrEqual(SMALL.maxLineBytes);
  }
}

describe('fuzz', () => {
  it('random STOMP-ish bytes: never throws, chunking-invariant, bounded, every byte explained', () => {
    fc.assert(
      fc.property(
        fuzzBytes.chain((data) => fc.tuple(fc.constant(data), splitPoints(data.length))),
        ([data, points]) => checkInvariants(data, points),
      ),
      { numRuns: 500 },
    );
  });

  it('random mutations of valid streams: same invariants', () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(...TOKENS) }),
      fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(
        fc
          .tuple(fc.array(genFrame, { minLength: 1, maxLength: 5 }), fc.array(mutation, { minLength: 1, maxLength: 5 }))
          .map(([gen, muts]) => {
            const data = Array.from(wire(gen));
            for (const m of muts) {
              const at = m.at % (data.length + 1);
              if (m.op === 'flip' && data.length > 0) data[at % data.length] = m.value;
              else if (m.op === 'delete') data.splice(at, m.len);
              else if (m.op === 'insert') data.splice(at, 0, ...te.encode(m.bytes));
              else if (m.op === 'dup') data.splice(at, 0, ...data.slice(at, at + m.len));
            }
            return new Uint8Array(data);
          })
          .chain((data) => fc.tuple(fc.constant(data), splitPoints(data.length))),
        ([data, points]) => checkInvariants(data, points),
      ),
      { numRuns: 500 },
    );
  });

  it('random bytes with capture gaps: never throws, every byte (and gap) accounted for', () => {
    const op = fc.oneof(
      fuzzBytes.map((b) => ({ push: b })),
      fc.integer({ min: 0, max: 50 }).map((n) => ({ gap: n })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const d = new StompDecoder(SMALL);
        const events: DecodeEvent[] = [];
        let total = 0;
        for (const o of ops) {
          if ('push' in o) {
            d.push(o.push, 0, (e) => events.push(e));
            total += o.push.length;
          } else {
            d.gap(o.gap, 0, (e) => events.push(e));
            total += o.gap;
          }
        }
        d.end(0, (e) => events.push(e));
        expect(d.offset).toBe(total);
        expect(coverage(events)).toEqual(total === 0 ? [] : [[0, total]]);
      }),
      { numRuns: 300 },
    );
  });

  it('memory stays bounded: a long hostile stream never grows buffers past the limits', () => {
    const limits = { maxLineBytes: 1000, maxHeaders: 10, maxBodyBytes: 5000 };
    const d = new StompDecoder(limits);
    const internals = d as unknown as { lineBuf: Uint8Array; bodyBuf: Uint8Array };
    let frameCount = 0;
    const sink = (e: DecodeEvent): void => {
      if (e.kind === 'frame') frameCount++;
    };
    const hostile = [
      bytes('SEND\nx:', 'y'.repeat(100_000)), // endless header line
      bytes('\n\n', 'z'.repeat(100_000)), // endless NUL-terminated body
      bytes('\0SEND\ncontent-length:100000\n\n', 'w'.repeat(100_000)), // huge content-length body
      bytes('\0SEND\n', 'h:1\n'.repeat(30_000)), // endless headers
    ];
    for (const chunk of hostile) {
      for (const piece of split(chunk, 4096)) {
        d.push(piece, 0, sink);
        expect(internals.lineBuf.length).toBeLessThanOrEqual(limits.maxLineBytes + 1);
        expect(internals.bodyBuf.length).toBeLessThanOrEqual(limits.maxBodyBytes);
      }
    }
    expect(frameCount).toBe(2);
    const last: DecodeEvent[] = [];
    d.end(0, (e) => last.push(e));
    expect(last).toMatchObject([{ kind: 'frame', command: 'SEND', headers: { length: 10 } }]);
  });
});
