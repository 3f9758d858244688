// Helpers for the shared/stomp tests: feed bytes to a decoder in chosen chunks, collect what comes out.
import { StompDecoder } from '../../shared/stomp/decoder.js';
import type { DecodeEvent, DecodedFrame, DecoderLimits } from '../../shared/stomp/types.js';

const te = new TextEncoder();
const td = new TextDecoder();

/** A string (UTF-8) or several pieces (strings or bytes) as one byte array. */
export function bytes(...parts: (string | Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? te.encode(p) : p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export function text(b: Uint8Array | null): string | null {
  return b === null ? null : td.decode(b);
}

export interface FeedOptions {
  /** Chunk size, or explicit split points (offsets where a new chunk starts). Default: one chunk. */
  chunks?: number | number[];
  limits?: Partial<DecoderLimits>;
  /** Call end() after the last chunk (default true). */
  end?: boolean;
}

/**
 * Decodes `input` and returns every event. Bodies are copied (the decoder's view is only valid during the sink
 * call); each chunk's time is its index, so tests can tell which chunk an event came from.
 */
export function decode(input: Uint8Array | string, options: FeedOptions = {}): DecodeEvent[] {
  const data = typeof input === 'string' ? te.encode(input) : input;
  const decoder = new StompDecoder(options.limits);
  const events: DecodeEvent[] = [];
  const sink = (e: DecodeEvent): void => {
    events.push(e.kind === 'frame' ? { ...e, body: e.body === null ? null : e.body.slice() } : e);
  };
  let t = 0;
  for (const chunk of split(data, options.chunks)) decoder.push(chunk, t++, sink);
  if (options.end !== false) decoder.end(t, sink);
  return events;
}

export function split(data: Uint8Array, chunks: number | number[] | undefined): Uint8Array[] {
  if (chunks === undefined) return [data];
  const points =
    typeof chunks === 'number'
      ? Array.from({ length: Math.ceil(data.length / chunks) }, (_, i) => i * chunks)
      : [0, ...chunks.filter((p) => p > 0 && p < data.length).sort((a, b) => a - b)];
  return points.map((p, i) => data.subarray(p, i + 1 < points.length ? points[i + 1] : data.length));
}

/** Events without the chunk-dependent timestamps, for comparing different chunkings of the same bytes. */
export function untimed(events: DecodeEvent[]): unknown[] {
  return events.map((e) => {
    if (e.kind === 'frame') {
      const { time: _t, endTime: _e, ...rest } = e;
      return rest;
    }
    const { time: _t, ...rest } = e;
    return rest;
  });
}

export function frames(events: DecodeEvent[]): DecodedFrame[] {
  return events.filter((e): e is DecodedFrame => e.kind === 'frame');
}

/** A compact view of a frame for conversation-style assertions. */
export function brief(f: DecodedFrame): { command: string; headers: [string, string][]; body: string | null } {
  return { command: f.command, headers: f.headers, body: text(f.body) };
}

/** Issue codes in order: stream issues and each frame's issues, as they come. */
export function issueCodes(events: DecodeEvent[]): string[] {
  const codes: string[] = [];
  for (const e of events) {
    if (e.kind === 'issue') codes.push(e.code);
    else if (e.kind === 'frame') codes.push(...e.issues.map((i) => i.code));
  }
  return codes;
}

/** The byte ranges covered by frames, heart-beats and range issues, merged: [[0, n]] when all is explained. */
export function coverage(events: DecodeEvent[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const e of events) {
    if (e.kind === 'frame' || e.kind === 'heartbeat') ranges.push([e.offset, e.offset + e.length]);
    else if (e.length !== undefined) ranges.push([e.offset, e.offset + e.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of ranges) {
    const last = merged[merged.length - 1];
    if (last && a < last[1]) throw new Error(`overlapping events at ${a}`);
    if (last && a === last[1]) last[1] = b;
    else merged.push([a, b]);
  }
  return merged;
}
