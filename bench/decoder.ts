// Decoder throughput: our StompDecoder against @stomp/stompjs's Parser (the byte-at-a-time parser most JS
// STOMP tooling uses) and against a bare Uint8Array#indexOf(0) scan (roughly the ceiling for NUL-framed data),
// on the same generated mixed corpus fed in 64 KiB chunks, as a socket or a capture reader would deliver it.
//
// Standalone: `npx tsx bench/decoder.ts` prints a table. MB here is 10^6 bytes.

import { pathToFileURL } from 'node:url';
import { Parser } from '@stomp/stompjs';
import { StompDecoder } from '../shared/stomp/decoder.js';
import { encodeFrame } from '../shared/stomp/encoder.js';
import type { DecodeEvent, RawHeader } from '../shared/stomp/types.js';
import { printTable } from './table.js';
import type { BenchResult } from './types.js';

const CHUNK = 64 * 1024;

/** Small deterministic PRNG (mulberry32) so every run measures the same corpus. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Corpus {
  bytes: Uint8Array;
  frames: number;
  heartBeats: number;
}

/**
 * A mixed corpus of about `targetBytes`: MESSAGE and SEND frames with text bodies (NUL-terminated) and binary
 * bodies (content-length, NULs inside), bodies log-uniform from 100 B to 64 KiB, escaped header values, 10%
 * CRLF frames, ACK/RECEIPT frames without a body, and heart-beats between frames.
 */
export function buildCorpus(targetBytes: number, seed = 42, minBody = 100, maxBody = 65536): Corpus {
  const r = rng(seed);
  const parts: Uint8Array[] = [];
  let size = 0;
  let frames = 0;
  let heartBeats = 0;
  const text = new TextEncoder().encode(
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ',
  );
  const lf = new Uint8Array([10]);
  const crlf = new Uint8Array([13, 10]);
  let id = 0;
  while (size < targetBytes) {
    id++;
    const kind = r();
    const eol = r() < 0.1;
    let frame: Uint8Array;
    if (kind < 0.15) {
      const command = r() < 0.5 ? 'ACK' : 'RECEIPT';
      const headers: RawHeader[] =
        command === 'ACK' ? [['id', `msg-${id}`], ['transaction', 'tx1']] : [['receipt-id', `r-${id}`]];
      frame = encodeFrame({ command, headers, crlf: eol });
    } else {
      const bodyLen = Math.floor(Math.exp(Math.log(minBody) + r() * (Math.log(maxBody) - Math.log(minBody))));
      const binary = r() < 0.3;
      const body = new Uint8Array(bodyLen);
      if (binary) {
        for (let i = 0; i < bodyLen; i++) body[i] = (r() * 256) | 0;
      } else {
        for (let i = 0; i < bodyLen; i++) body[i] = text[i % text.length];
      }
      const command = r() < 0.7 ? 'MESSAGE' : 'SEND';
      const headers: RawHeader[] =
        command === 'MESSAGE'
          ? [
              ['subscription', 'sub-0'],
              ['message-id', `ID\\cbroker-4711-1700000000000-1\\c1\\c1\\c1\\c${id}`],
              ['destination', '/queue/orders.eu-west'],
              ['ack', `ack-${id}`],
              ['content-type', binary ? 'application/octet-stream' : 'text/plain;charset=utf-8'],
              ['x-path', 'C\\c\\\\data\\nline two'],
            ]
          : [
              ['destination', '/topic/prices'],
              ['receipt', `send-${id}`],
              ['content-type', binary ? 'application/octet-stream' : 'text/plain'],
              ['priority', '4'],
            ];
      if (binary) headers.push(['content-length', String(bodyLen)]);
      frame = encodeFrame({ command, headers, body, crlf: eol });
    }
    parts.push(frame);
    size += frame.length;
    frames++;
    if (r() < 0.2) {
      const hb = r() < 0.2 ? crlf : lf;
      parts.push(hb);
      size += hb.length;
      heartBeats++;
    }
  }
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, frames, heartBeats };
}

function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  return out;
}

interface Run {
  seconds: number;
  frames: number;
}

function runOurs(chunks: Uint8Array[]): Run {
  let frames = 0;
  let check = 0;
  const sink = (e: DecodeEvent): void => {
    if (e.kind === 'frame') {
      frames++;
      check += e.bodyLength;
    }
  };
  const t0 = performance.now();
  const d = new StompDecoder();
  for (let i = 0; i < chunks.length; i++) d.push(chunks[i], i, sink);
  d.end(chunks.length, sink);
  const seconds = (performance.now() - t0) / 1000;
  if (check < 0) throw new Error('unreachable');
  return { seconds, frames };
}

function runStompJs(buffers: ArrayBuffer[]): Run {
  let frames = 0;
  const parser = new Parser(
    () => {
      frames++;
    },
    () => {},
  );
  const t0 = performance.now();
  for (let i = 0; i < buffers.length; i++) parser.parseChunk(buffers[i]);
  return { seconds: (performance.now() - t0) / 1000, frames };
}

function runIndexOf(chunks: Uint8Array[]): Run {
  let nuls = 0;
  const t0 = performance.now();
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    let i = chunk.indexOf(0);
    while (i >= 0) {
      nuls++;
      i = chunk.indexOf(0, i + 1);
    }
  }
  return { seconds: (performance.now() - t0) / 1000, frames: nuls };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function measure(run: () => Run, repeats: number): Run {
  run(); // warm-up: let the JIT settle
  const results: Run[] = [];
  for (let i = 0; i < repeats; i++) results.push(run());
  return { seconds: median(results.map((r) => r.seconds)), frames: results[0].frames };
}

interface Figures {
  corpus: Corpus;
  ours: Run;
  stompjs: Run;
  scan: Run;
}

function measureCorpus(corpus: Corpus, repeats: number): Figures {
  const chunks = chunksOf(corpus.bytes, CHUNK);
  // stompjs takes ArrayBuffers (it wraps them without copying); cut them outside the timed region.
  const buffers = chunks.map((c) => c.slice().buffer as ArrayBuffer);
  const ours = measure(() => runOurs(chunks), repeats);
  const stompjs = measure(() => runStompJs(buffers), Math.max(1, Math.min(3, repeats)));
  const scan = measure(() => runIndexOf(chunks), repeats);
  if (ours.frames !== corpus.frames || stompjs.frames !== corpus.frames) {
    throw new Error(`frame counts differ: corpus ${corpus.frames}, ours ${ours.frames}, stompjs ${stompjs.frames}`);
  }
  return { corpus, ours, stompjs, scan };
}

function describeCorpus(c: Corpus): string {
  return `${(c.bytes.length / 1e6).toFixed(1)} MB, ${c.frames} frames, ${c.heartBeats} heart-beats, ${CHUNK / 1024} KiB chunks`;
}

/**
 * Two corpora: the mixed one (bodies 100 B – 64 KiB, the headline figure) and one of small frames (bodies
 * 10–200 B), where header parsing rather than body handling sets the pace.
 */
export async function benchDecoder(options: { corpusBytes?: number; repeats?: number } = {}): Promise<BenchResult[]> {
  const size = options.corpusBytes ?? 64 * 1000 * 1000;
  const repeats = options.repeats ?? 5;
  const mixed = measureCorpus(buildCorpus(size), repeats);
  const small = measureCorpus(buildCorpus(Math.round(size / 4), 7, 10, 200), repeats);

  const mb = mixed.corpus.bytes.length / 1e6;
  const oursMBs = mb / mixed.ours.seconds;
  const stompMBs = mb / mixed.stompjs.seconds;
  const scanMBs = mb / mixed.scan.seconds;
  const ratio = oursMBs / stompMBs;
  const smallOurs = small.corpus.frames / small.ours.seconds;
  const smallStomp = small.corpus.frames / small.stompjs.seconds;
  return [
    {
      name: 'decoder.throughput',
      unit: 'MB/s',
      ours: round(oursMBs),
      baseline: round(stompMBs),
      baselineName: '@stomp/stompjs Parser',
      higherIsBetter: true,
      notes: `${ratio.toFixed(1)}x stompjs; corpus ${describeCorpus(mixed.corpus)}`,
    },
    {
      // The floor: finding every NUL of the same bytes with the native indexOf, nothing decoded. How close the
      // decoder comes to it says what decoding costs on top of touching the bytes.
      name: 'decoder.throughput.indexOf',
      unit: 'MB/s',
      ours: round(oursMBs),
      baseline: round(scanMBs),
      baselineName: 'indexOf(0) scan of the same bytes',
      higherIsBetter: true,
      notes: `${(oursMBs / scanMBs * 100).toFixed(0)}% of a bare scan; same corpus as decoder.throughput`,
    },
    {
      name: 'decoder.frames',
      unit: 'frames/s',
      ours: Math.round(mixed.corpus.frames / mixed.ours.seconds),
      baseline: Math.round(mixed.corpus.frames / mixed.stompjs.seconds),
      baselineName: '@stomp/stompjs Parser',
      higherIsBetter: true,
      notes: 'mixed corpus, as decoder.throughput',
    },
    {
      name: 'decoder.small-frames',
      unit: 'frames/s',
      ours: Math.round(smallOurs),
      baseline: Math.round(smallStomp),
      baselineName: '@stomp/stompjs Parser',
      higherIsBetter: true,
      notes: `${(smallOurs / smallStomp).toFixed(1)}x stompjs; ${round(small.corpus.bytes.length / 1e6 / small.ours.seconds)} MB/s; corpus ${describeCorpus(small.corpus)}`,
    },
  ];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchDecoder());
}
