// A cheap body fingerprint for matching a SEND with the MESSAGE it became (delivery links). Not a digest: the
// recorder must not read every byte of every body on its hot path (bench/store.ts), so bodies up to FULL bytes
// are hashed whole, larger ones by their first and last EDGE bytes and SAMPLES 4-byte samples spread between.
// Bytes are mixed four at a time (FNV-1a's multiply on 32-bit words): a quarter of the multiplications of a
// byte-wise FNV. Delivery matching also compares destination and length, so a collision only mispairs two SENDs
// of the same size to the same destination that agree on every sampled byte.

const FULL = 256;
const EDGE = 64;
const SAMPLES = 16;
const PRIME = 0x01000193;

/** Mixes body[from, to) into `h`, four bytes per step, then the 0-3 left over. */
function mix(body: Uint8Array, from: number, to: number, h: number): number {
  let i = from;
  for (; i + 4 <= to; i += 4) h = Math.imul(h ^ (body[i] | (body[i + 1] << 8) | (body[i + 2] << 16) | (body[i + 3] << 24)), PRIME);
  for (; i < to; i++) h = Math.imul(h ^ body[i], PRIME);
  return h;
}

export function bodyFingerprint(body: Uint8Array): number {
  const n = body.length;
  let h = 0x811c9dc5 ^ n;
  if (n <= FULL) return mix(body, 0, n, h) >>> 0;
  h = mix(body, 0, EDGE, h);
  const step = Math.floor((n - 2 * EDGE - 4) / SAMPLES);
  for (let i = 0, at = EDGE; i < SAMPLES; i++, at += step) h = mix(body, at, at + 4, h);
  return mix(body, n - EDGE, n, h) >>> 0;
}
