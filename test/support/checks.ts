// Shared assertions for the end-to-end proxy tests.
import { expect } from 'vitest';
import { firstDifference } from './tee.js';
import type { JsonlFrame } from './proxy-cli.js';
import type { ExpectedFrame } from './stomp-wire.js';

/** Byte-for-byte equality with a readable message (offset and a window of both sides) instead of a huge diff. */
export function expectSameBytes(actual: Buffer, expected: Buffer, what: string) {
  const at = firstDifference(actual, expected);
  if (at >= 0) {
    const win = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 40), at + 40).toString('latin1'));
    expect.fail(
      `${what}: bytes differ at offset ${at} (lengths ${actual.length} vs ${expected.length})\n` +
        `  got:      ${win(actual)}\n  expected: ${win(expected)}`,
    );
  }
}

export const pick = (f: JsonlFrame): ExpectedFrame => ({
  command: f.command,
  headers: f.headers,
  bodyLength: f.bodyLength,
  bodySha256: f.bodySha256,
  body: f.body,
});

/** ISO 8601 UTC with microseconds → integer microseconds since the epoch. */
export function isoToMicros(s: string): number {
  const m = /^(.*)\.(\d{6})Z$/.exec(s);
  if (!m) throw new Error(`not ISO 8601 UTC with microseconds: ${s}`);
  return Date.parse(m[1] + 'Z') * 1000 + Number(m[2]);
}

export const header = (f: { headers: [string, string][] }, name: string) => f.headers.find(([k]) => k === name)?.[1];

/** Frames of one connection, in seq order. */
export function connectionFrames(frames: JsonlFrame[], connection: JsonlFrame['connection']) {
  return frames.filter((f) => f.connection === connection).sort((a, b) => a.seq - b.seq);
}

/** The connection whose client subscribed or sent to `destination`. */
export function findConnectionByDestination(frames: JsonlFrame[], destination: string): JsonlFrame['connection'] | undefined {
  return frames.find((f) => f.from === 'client' && (f.command === 'SUBSCRIBE' || f.command === 'SEND') && header(f, 'destination') === destination)
    ?.connection;
}

/** `p`, or a rejection naming `what` if it has not settled within `ms`: a bounded wait for a test. */
export const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms))]);
