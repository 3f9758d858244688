// The decoder against a frozen copy of itself from before its header fast path (decoder-reference.ts): for the
// same bytes, chunked the same way, every event must be the same, field by field (timestamps included). The
// fast path reads the pushed chunk four bytes at a time, so chunks are also placed at every offset modulo 4 in
// their buffer. Corpora and split points come from fixed seeds: every run checks the same cases. Header strings
// are made by Node's Latin-1 slice where there is a Buffer, else by TextDecoder (the renderer): both are checked.
import { describe, expect, it, vi } from 'vitest';
import { rng } from '../../bench/decoder.js';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import type { DecodeEvent, DecoderLimits } from '../../shared/stomp/types.js';
import { ReferenceDecoder } from './decoder-reference.js';
import { bytes } from './stomp-helpers.js';


interface Decoder {
  push(chunk: Uint8Array, time: number, sink: (e: DecodeEvent) => void): void;
  end(time: number, sink: (e: DecodeEvent) => void): void;
}

/** A copy of `chunk` whose byteOffset in its (larger) buffer is `bias`. */
function placed(chunk: Uint8Array, bias: number): Uint8Array {
  const buffer = new Uint8Array(chunk.length + bias + 5).fill(0x0a);
  buffer.set(chunk, bias);
  return buffer.subarray(bias, bias + chunk.length);
}

function events(decoder: Decoder, chunks: Uint8Array[]): unknown[] {
  const out: unknown[] = [];
  const sink = (e: DecodeEvent): void => {
    out.push(e.kind === 'frame' ? { ...e, body: e.body === null ? null : Array.from(e.body) } : e);
  };
  chunks.forEach((c, i) => decoder.push(c, i, sink));
  decoder.end(chunks.length, sink);
  return out;
}

function chunked(data: Uint8Array, points: number[], bias: number): Uint8Array[] {
  const cuts = [0, ...points.filter((p) => p > 0 && p < data.length).sort((a, b) => a - b), data.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) out.push(placed(data.subarray(cuts[i], cuts[i + 1]), (bias + i) % 4));
  return out;
}

/** Both decoders on the same chunks; the events must be equal. Answers them (for checks on top). */
function same(data: Uint8Array, points: number[], bias: number, limits?: Partial<DecoderLimits>, Ours = StompDecoder): unknown[] {
  const ours = events(new Ours(limits), chunked(data, points, bias));
  const reference = events(new ReferenceDecoder(limits), chunked(data, points, bias));
  expect(ours).toEqual(reference);
  return ours;
}

function randomPoints(r: () => number, length: number, count: number): number[] {
  return Array.from({ length: count }, () => Math.floor(r() * length));
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.;=';

/** A random stream of mostly valid and some malformed frames, as bytes. */
function corpus(seed: number, frameCount: number): Uint8Array {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const word = (max: number): string => {
    let s = '';
    const n = Math.floor(r() * max);
    for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
    return s;
  };
  const parts: (string | Uint8Array | number[])[] = [];
  for (let f = 0; f < frameCount; f++) {
    const between = r();
    if (between < 0.15) parts.push(pick(['\n', '\r\n', '\n\n', '\r\n\n']));
    else if (between < 0.18) parts.push(pick(['\r', 'junk\n', '\0', 'x\r\ny\0']));
    const eol = r() < 0.25 ? '\r\n' : '\n';
    const command = pick(['MESSAGE', 'SEND', 'ACK', 'RECEIPT', 'ERROR', 'CONNECT', 'FOO', 'send', 'NACK']);
    parts.push(command + (r() < 0.03 ? pick(['\n', '\r\n']) : eol));
    const body = r() < 0.3 ? Uint8Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)) : bytes(word(60));
    const headerCount = Math.floor(r() * 8);
    let withLength = body.includes(0) || r() < 0.3;
    for (let h = 0; h < headerCount; h++) {
      const kind = r();
      if (kind < 0.6) parts.push(`${word(16) || 'x'}:${word(40)}${eol}`);
      else if (kind < 0.68) parts.push(`${word(12) || 'x'}:${pick(['a\\cb', 'C\\c\\\\d\\n', 'a:b:c', '\\t', 'x\\', ' sp '])}${eol}`);
      else if (kind < 0.74) parts.push(`${pick(['name', 'é', 'x'])}:${pick(['é', 'ça va', '日本', 'a\u00e9b'])}${eol}`);
      else if (kind < 0.78) parts.push(bytes(word(6) + ':', [pick([0xff, 0x80, 0xc3, 0xe6, 0xfe])], word(5), eol));
      else if (kind < 0.82) parts.push(pick([`no colon here${eol}`, `:empty name${eol}`, `tab\there:v\t${eol}`, `cr:in\rvalue${eol}`]));
      else if (kind < 0.86) parts.push(`x:${word(12)}\0`); // a NUL before the blank line
      else if (kind < 0.9) parts.push(`content-length:${pick(['12a', ' 5', '', '-1', '007', '99999999999999999'])}${eol}`);
      else if (kind < 0.94 && withLength) {
        parts.push(`content-length:${body.length + pick([0, 0, 0, 1, -1])}${eol}`);
        withLength = false;
      } else parts.push(`${word(30)}:${word(70)}${eol}`);
    }
    if (withLength) parts.push(`content-length:${body.length}${eol}`);
    parts.push(eol, body, r() < 0.95 ? [0] : []);
  }
  return bytes(...parts);
}

const SMALL_LIMITS: Partial<DecoderLimits> = { maxLineBytes: 24, maxHeaders: 3, maxBodyBytes: 20 };

describe('decoder against its reference', () => {
  it('one small frame cut at every byte, with its chunks at every word offset', () => {
    const frame = bytes(
      'MESSAGE\r\nsubscription:sub-0\r\nmessage-id:ID\\cbroker-1\\c7\r\ndestination:/queue/a\r\n',
      'x-path:C\\c\\\\data\\nline two\r\ncontent-length:5\r\n\r\nab\0cd\0',
      '\n\r\n',
      'ACK\nid:msg-7\ntransaction:tx1\n\n\0',
    );
    for (let cut = 0; cut <= frame.length; cut++) {
      for (let bias = 0; bias < 4; bias++) {
        const out = same(frame, [cut], bias);
        expect(out.map((e) => (e as { kind: string }).kind)).toEqual(['frame', 'heartbeat', 'heartbeat', 'frame']);
      }
    }
  });

  it('one 24-byte header line with a special byte at each of its positions, at every word offset', () => {
    const specials: number[][] = [[0x0a], [0x00], [0x3a], [0x0d], [0x09], [0xc3, 0xa9], [0xff], [0x80], [0x7f], [0x01]];
    for (const special of specials) {
      for (let at = 0; at < 24; at++) {
        const line = Array.from(bytes('abcdefghijklmnopqrstuvwx'));
        line.splice(at, 1, ...special);
        const data = bytes('SEND\nd:1\n', line, '\nk:v\n\nbody\0SEND\n\n\0');
        for (let bias = 0; bias < 4; bias++) {
          same(data, [], bias);
          same(data, [9 + at], bias);
        }
      }
    }
  });

  it('random streams, whole and cut at random places, at every word offset', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const data = corpus(seed, 60);
      const r = rng(1000 + seed);
      for (let bias = 0; bias < 4; bias++) {
        same(data, [], bias);
        same(data, randomPoints(r, data.length, 5), bias);
        same(data, randomPoints(r, data.length, 60), bias);
      }
    }
  });

  it('random streams under small limits (long lines, too many headers, large bodies)', () => {
    for (let seed = 41; seed <= 70; seed++) {
      const data = corpus(seed, 60);
      const r = rng(2000 + seed);
      for (let bias = 0; bias < 4; bias++) {
        same(data, [], bias, SMALL_LIMITS);
        same(data, randomPoints(r, data.length, 20), bias, SMALL_LIMITS);
      }
    }
  });

  it('random streams, without Node\'s Buffer (as the renderer decodes)', async () => {
    // A fresh instance of the decoder's module, evaluated while there is no Buffer: it then makes its header
    // strings with TextDecoder.
    vi.resetModules();
    const buffer = globalThis.Buffer;
    let Browser: typeof StompDecoder;
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      ({ StompDecoder: Browser } = await import('../../shared/stomp/decoder.js'));
    } finally {
      globalThis.Buffer = buffer;
    }
    expect(Browser).not.toBe(StompDecoder);
    for (let seed = 81; seed <= 100; seed++) {
      const data = corpus(seed, 60);
      const r = rng(3000 + seed);
      same(data, [], seed % 4, undefined, Browser);
      same(data, randomPoints(r, data.length, 20), seed % 4, undefined, Browser);
      same(data, randomPoints(r, data.length, 20), seed % 4, SMALL_LIMITS, Browser);
    }
  });

  it('random streams in chunks of 1, 3 and 64 bytes', () => {
    for (let seed = 71; seed <= 80; seed++) {
      const data = corpus(seed, 40);
      for (const size of [1, 3, 64]) {
        const points = Array.from({ length: Math.ceil(data.length / size) }, (_, i) => i * size);
        same(data, points, seed % 4);
      }
    }
  });
});
