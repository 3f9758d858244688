// Fuzzing the STOMP decoder (shared/stomp/decoder.ts), at volume: mutated valid streams and generated token
// soup, each decoded whole and in random chunks (with capture gaps now and then), under three sets of limits.
// Invariants for any input: push/gap/end never throw; the events cover every byte of the stream exactly once
// (frames, heart-beats, issues with a length); chunking changes nothing but times; frames stay within the
// limits (headers, body) and inside the stream; the decoder's own buffers never grow past the limits.
// The views over decoded frames (unescaping per version, credential masking of raw bytes) never throw either.
// (test/shared/decoder-property.test.ts checks exact decoding of valid streams; this file is about volume.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, StompDecoder } from '../../shared/stomp/decoder.js';
import { interpretHeaders } from '../../shared/stomp/escape.js';
import { maskRawFrame } from '../../shared/stomp/secrets.js';
import type { DecodeEvent, DecoderLimits } from '../../shared/stomp/types.js';
import { coverage } from '../shared/stomp-helpers.js';
import { chunks, fuzz, mutate, mutationCase, Rng, RUNS, te, timeoutFor } from './support.js';

const LIMITS: DecoderLimits[] = [
  { ...DEFAULT_LIMITS },
  { maxLineBytes: 16, maxHeaders: 3, maxBodyBytes: 24 },
  { maxLineBytes: 200, maxHeaders: 8, maxBodyBytes: 300 },
];

const CORPUS = [
  'CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:1000,1000\n\n\0',
  'CONNECTED\r\nversion:1.2\r\nheart-beat:0,0\r\nserver:RabbitMQ/3.12\r\n\r\n\0\n\n',
  'SEND\ndestination:/queue/a\ncontent-type:text/plain\ncontent-length:5\n\nhello\0\r\n',
  'SEND\ndestination:/queue/b\ncontent-length:4\n\n\0\0\0\0\0',
  'MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\nack:a\\cb\\n\\\\\n\nbody é 日\0',
  'SUBSCRIBE\nid:0\ndestination:/topic/x\nack:client-individual\n\n\0ACK\nid:a\\cb\n\n\0',
  'ERROR\nmessage:bad\\r\\n\ncontent-length:3\n\nabc\0\n',
  '\n\r\n\nRECEIPT\nreceipt-id:77\n\n\0DISCONNECT\nreceipt:77\n\n\0',
  'BEGIN\ntransaction:t\n\n\0COMMIT\ntransaction:t\n\n\0ABORT\ntransaction:t\n\n\0NACK\nid:1\n\n\0',
  'SEND\ndestination:/q\nx:1\nx:2\n:empty-name\nno-colon\n\n\0UNSUBSCRIBE\nid:0\n\n\0',
  'FOO\nbar:baz\n\n\0garbage\0SEND\n\n\0STOMP\naccept-version:1.2\nhost:h\n\n\0',
  'SEND\ncontent-length:10\n\nshort\0SEND\ncontent-length:abc\n\nx\0',
].map((s) => te.encode(s));

const DICTIONARY = [
  'SEND', 'MESSAGE', 'CONNECT', 'CONNECTED', 'ERROR', '\n', '\r\n', '\r', '\0', ':', '\\', '\\c', '\\n', '\\t',
  'content-length:', 'content-length:0\n', 'content-length:99999999\n', '\n\n', 'é', '\xff',
].map((s) => te.encode(s));

/** A compact, chunking-independent rendering of the events (times left out; bodies copied as hex). */
function render(events: string[], e: DecodeEvent): void {
  if (e.kind === 'frame') {
    const body = e.body === null ? 'null' : Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength).toString('hex');
    events.push(`F${e.offset}+${e.length} ${e.command} ${JSON.stringify(e.headers)} ${e.crlf} ${e.bodyOffset}+${e.bodyLength} ${body} ${e.issues.map((i) => `${i.code}@${i.offset}`).join(',')}`);
  } else if (e.kind === 'heartbeat') events.push(`H${e.offset}+${e.length}`);
  else events.push(`I${e.code}@${e.offset}+${e.length}`);
}

interface Op {
  push?: Uint8Array;
  gap?: number;
}

/** Runs the operations through a decoder and checks everything that must hold whatever the bytes. */
function decodeChecked(ops: Op[], limits: DecoderLimits): { rendered: string[]; events: DecodeEvent[] } {
  const d = new StompDecoder(limits);
  const internals = d as unknown as { lineBuf: Uint8Array; bodyBuf: Uint8Array; cmdLen: number };
  const rendered: string[] = [];
  const events: DecodeEvent[] = [];
  let total = 0;
  const sink = (e: DecodeEvent): void => {
    if (e.kind === 'frame') {
      if (e.headers.length > limits.maxHeaders) throw new Error(`${e.headers.length} headers > ${limits.maxHeaders}`);
      if (e.body !== null && e.body.length > limits.maxBodyBytes) throw new Error(`a ${e.body.length}-byte body > ${limits.maxBodyBytes}`);
      if (e.body !== null && e.body.length !== e.bodyLength) throw new Error('body length disagrees with bodyLength');
      if (e.length <= 0 || e.bodyOffset < e.offset || e.bodyOffset + e.bodyLength > e.offset + e.length) throw new Error(`frame bounds ${JSON.stringify([e.offset, e.length, e.bodyOffset, e.bodyLength])}`);
    }
    if (e.offset < 0 || e.offset > total) throw new Error(`event offset ${e.offset} outside the ${total} bytes seen`);
    render(rendered, e);
    events.push(e);
  };
  for (const op of ops) {
    if (op.push) {
      total += op.push.length;
      d.push(op.push, 0, sink);
    } else {
      total += op.gap!;
      d.gap(op.gap!, 0, sink);
    }
    // Memory stays within the limits whatever came in (a line buffer may hold one byte past the line limit).
    if (internals.lineBuf.length > limits.maxLineBytes + 1) throw new Error(`line buffer ${internals.lineBuf.length} > ${limits.maxLineBytes}`);
    if (internals.bodyBuf.length > limits.maxBodyBytes) throw new Error(`body buffer ${internals.bodyBuf.length} > ${limits.maxBodyBytes}`);
  }
  d.end(0, sink);
  if (d.offset !== total) throw new Error(`offset ${d.offset} after ${total} bytes`);
  const covered = coverage(events);
  const want = total === 0 ? [] : [[0, total]];
  if (JSON.stringify(covered) !== JSON.stringify(want)) throw new Error(`bytes unexplained: covered ${JSON.stringify(covered)} of ${total}`);
  return { rendered, events };
}

/** Whole, then chunked (with the same gaps): the same events. */
function checkStream(data: Uint8Array, rng: Rng, limits: DecoderLimits, withGaps: boolean): void {
  const parts = chunks(data, rng);
  const gapAfter = withGaps ? rng.int(parts.length + 1) : -1;
  const gapBytes = 1 + rng.int(100);
  // The reference: one push before the gap, one after.
  const cut = gapAfter < 0 ? data.length : parts.slice(0, gapAfter).reduce((n, p) => n + p.length, 0);
  const whole: Op[] = [{ push: data.subarray(0, cut) }];
  const chunked: Op[] = parts.slice(0, Math.max(0, gapAfter < 0 ? parts.length : gapAfter)).map((p) => ({ push: p }));
  if (gapAfter >= 0) {
    whole.push({ gap: gapBytes }, { push: data.subarray(cut) });
    chunked.push({ gap: gapBytes }, ...parts.slice(gapAfter).map((p) => ({ push: p })));
  }
  const decoded = decodeChecked(whole, limits);
  const a = decoded.rendered;
  if (gapAfter < 0) views(decoded.events, data, limits);
  const b = decodeChecked(chunked, limits).rendered;
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    expect(b, 'chunked decoding differs from whole decoding').toEqual(a);
  }
}

/**
 * The views the UI and the exports put on decoded frames, which see the same peer bytes: unescaping by each
 * version, and credential masking of the raw frame (same length, only header values touched).
 */
function views(events: DecodeEvent[], data: Uint8Array, limits: DecoderLimits): void {
  for (const e of events) {
    if (e.kind !== 'frame') continue;
    for (const v of ['1.0', '1.1', '1.2', null] as const) {
      const r = interpretHeaders(e.command, e.headers, v, e.offset);
      if (r.headers.length !== e.headers.length) throw new Error('interpretHeaders changed the number of headers');
    }
    const raw = data.subarray(e.offset, e.offset + e.length);
    const masked = maskRawFrame(raw);
    if (masked.length !== raw.length) throw new Error('maskRawFrame changed the length');
    const head = Math.min(raw.length, e.bodyOffset - e.offset);
    for (let i = head; i < raw.length; i++) if (masked[i] !== raw[i]) throw new Error(`maskRawFrame touched body byte ${i}`);
    // The masked copy (hex dumps, masked pcapng exports) decodes to the same frame: same bounds, command, headers.
    if (masked !== raw) {
      const again: string[] = [];
      const d = new StompDecoder(limits);
      d.push(masked, 0, (x) => x.kind === 'frame' && again.push(`${x.length} ${x.command} ${x.headers.length} ${x.bodyOffset} ${x.bodyLength}`));
      d.end(0, (x) => x.kind === 'frame' && again.push(`${x.length} ${x.command} ${x.headers.length} ${x.bodyOffset} ${x.bodyLength}`));
      const want = `${e.length} ${e.command} ${e.headers.length} ${e.bodyOffset - e.offset} ${e.bodyLength}`;
      if (again.length !== 1 || again[0] !== want) throw new Error(`the masked frame decodes as ${JSON.stringify(again)}, not ${want}`);
    }
  }
}

const perCase = 60;

describe('fuzz: STOMP decoder', () => {
  it(`mutated valid streams (${RUNS} cases): never throws, every byte explained, chunking-invariant, bounded`, async () => {
    await fuzz('decoder/mutation', mutationCase(CORPUS.length), ({ index, seed, chunking }) => {
      const rng = new Rng(seed);
      // Sometimes several corpus streams back to back, so that damage in one frame meets the next.
      let base = CORPUS[index];
      if (rng.chance(0.3)) base = Buffer.concat([base, rng.pick(CORPUS)]);
      const data = mutate(base, rng, { dictionary: DICTIONARY, corpus: CORPUS, maxLength: 600 });
      checkStream(data, new Rng(chunking), LIMITS[rng.int(LIMITS.length)], rng.chance(0.2));
    });
  }, timeoutFor(RUNS, perCase));

  it(`generated token streams (${RUNS} cases): the same invariants`, async () => {
    const token = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...DICTIONARY, te.encode('x:y\n'), te.encode('destination:/q\n'), te.encode('abc'), te.encode('12')) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) },
    );
    const stream = fc.array(token, { maxLength: 40 }).map((parts) => Buffer.concat(parts));
    await fuzz('decoder/tokens', fc.tuple(stream, fc.nat(), fc.nat({ max: LIMITS.length - 1 }), fc.boolean()), ([data, chunking, li, gaps]) => {
      checkStream(data, new Rng(chunking), LIMITS[li], gaps);
    });
  }, timeoutFor(RUNS, perCase));
});
