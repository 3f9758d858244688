// Shared machinery of the fuzz suites (test/fuzz/*.test.ts): the case count, a fast seeded mutator of valid
// inputs, and a runner that times each target and checks that the heap stays bounded over the whole run.
//
// Case count: STOMPSCOPE_FUZZ_RUNS (default 100,000 per target, the CI budget); `npm run fuzz` runs 1,000,000.
// A failure prints fast-check's seed and path (shrunk): re-run that case with STOMPSCOPE_FUZZ_SEED=<seed> and
// STOMPSCOPE_FUZZ_PATH=<path>.
//
// Mutation fuzzing is driven by fast-check too (a case is a seed, a corpus index and a few parameters), but the
// mutations themselves come from a small PRNG seeded by the case: generating 100,000 structured byte arrays
// through arbitraries costs more than the code under test, and the seed still replays the case exactly.
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

const envRuns = Number(process.env.STOMPSCOPE_FUZZ_RUNS);
/** Cases per target. */
export const RUNS = Number.isInteger(envRuns) && envRuns > 0 ? envRuns : 100_000;

const envSeed = process.env.STOMPSCOPE_FUZZ_SEED;
const envPath = process.env.STOMPSCOPE_FUZZ_PATH;

/** A test timeout for `runs` cases of a target that does `perCaseMicros` of work per case (generous: 2 shared cores). */
export function timeoutFor(runs: number, perCaseMicros: number): number {
  return Math.max(60_000, Math.ceil((runs * perCaseMicros) / 1000) * 4);
}

// A garbage collection between phases makes heap figures comparable. node --expose-gc is not how vitest starts
// its workers, so the flag is set at run time and the function taken from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export interface FuzzStats {
  runs: number;
  ms: number;
  /** Slowest single case, ms. */
  slowestMs: number;
  heapGrowthBytes: number;
}

/**
 * Runs a property `runs` times (a failure is a thrown error or a false result), then checks that the slowest
 * case stayed under `maxCaseMs` (no case may come near hanging) and that the heap did not grow by more than
 * `maxHeapGrowth` over the run (nothing the code under test keeps accumulates). Prints the timing, so that the
 * cost of each target in CI is visible in the test log.
 *
 * The cases run in batches of BATCH with a turn of the event loop between them: code that defers work with
 * process.nextTick or timers (pcap-parser resumes its input on the next tick) must get to run it, or a long
 * synchronous run would measure the backlog instead of a leak. Batch k uses seed base + k; a failure names its
 * seed, and STOMPSCOPE_FUZZ_SEED (with STOMPSCOPE_FUZZ_PATH) replays that one batch.
 */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  check: (value: T) => void,
  opts: { runs?: number; maxCaseMs?: number; maxHeapGrowth?: number } = {},
): Promise<FuzzStats> {
  const runs = opts.runs ?? RUNS;
  const maxCaseMs = opts.maxCaseMs ?? 2000;
  let slowest = 0;
  let slowestValue: T | undefined;
  const property = fc.property(arb, (v) => {
    const t = performance.now();
    check(v);
    const dt = performance.now() - t;
    if (dt > slowest) {
      slowest = dt;
      slowestValue = v;
    }
  });
  const turn = () => new Promise<void>((r) => setImmediate(r));
  // Warm up (JIT, lazily built tables) before the heap baseline.
  fc.assert(property, { numRuns: Math.min(200, runs), seed: 1 });
  slowest = 0;
  await turn();
  const before = heapUsed();
  const started = performance.now();
  const base = envSeed ? Number(envSeed) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  for (let done = 0, k = 0; done < runs; k++) {
    const n = envSeed ? runs : Math.min(BATCH, runs - done);
    fc.assert(property, { numRuns: n, seed: base + k, ...(envPath ? { path: envPath } : {}) });
    done += n;
    await turn();
  }
  const ms = performance.now() - started;
  const growth = heapUsed() - before;
  const stats = { runs, ms: Math.round(ms), slowestMs: Math.round(slowest * 10) / 10, heapGrowthBytes: growth };
  process.stdout.write(
    `fuzz ${name}: ${runs.toLocaleString('en-US')} cases in ${(ms / 1000).toFixed(1)} s ` +
      `(${((ms * 1000) / runs).toFixed(1)} µs/case, slowest ${stats.slowestMs} ms), heap ${growth >= 0 ? '+' : ''}${(growth / 1e6).toFixed(1)} MB\n`,
  );
  if (slowest > maxCaseMs) {
    throw new Error(`fuzz ${name}: a case took ${slowest.toFixed(0)} ms (limit ${maxCaseMs} ms): ${preview(slowestValue)}`);
  }
  if (growth > (opts.maxHeapGrowth ?? 32 * 1024 * 1024)) {
    throw new Error(`fuzz ${name}: the heap grew by ${(growth / 1e6).toFixed(1)} MB over ${runs} cases`);
  }
  return stats;
}

const BATCH = 5000;

function preview(v: unknown): string {
  const s = v instanceof Uint8Array ? `bytes(${v.length}) ${Buffer.from(v.subarray(0, 64)).toString('hex')}` : JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `bytes(${x.length})` : x));
  return (s ?? String(v)).slice(0, 300);
}

// --- mutation ----------------------------------------------------------------------------------------------

/** xorshift32: fast, deterministic, good enough to pick mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed | 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  /** 0 ≤ n < max. */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
}

/** Values that break length fields: zero, one, around the maximum, around powers of two and the actual size. */
function interestingU32(rng: Rng, near: number): number {
  const table = [0, 1, 2, 3, 4, 7, 8, 12, 15, 16, 31, 32, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 64 * 1024 * 1024, 64 * 1024 * 1024 + 1, 262144, 262145];
  switch (rng.int(4)) {
    case 0: return rng.pick(table);
    case 1: return (near + rng.int(9) - 4) >>> 0;
    case 2: return (near * 2) >>> 0;
    default: return rng.next();
  }
}

export interface MutateOptions {
  /** Tokens worth inserting (protocol keywords, delimiters); bytes. */
  dictionary?: readonly Uint8Array[];
  /** Other valid inputs to splice from. */
  corpus?: readonly Uint8Array[];
  /** Longest result (the mutations never grow past it). */
  maxLength?: number;
}

/**
 * 1–8 random mutations of `seed`: bit flips, byte sets, interesting bytes, inserts and deletes, duplication of a
 * range, splices with another corpus entry, truncation, dictionary tokens, and 16/32-bit length-field tweaks in
 * either byte order (for the binary formats) or decimal ones (for content-length). Returns a new array.
 */
export function mutate(seed: Uint8Array, rng: Rng, o: MutateOptions = {}): Uint8Array {
  const max = o.maxLength ?? Math.max(64, seed.length * 2);
  let b = Array.from(seed);
  const n = 1 + rng.int(rng.chance(0.5) ? 2 : 8);
  for (let k = 0; k < n; k++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(12)) {
      case 0: // bit flip
        if (b.length) b[at % b.length] ^= 1 << rng.int(8);
        break;
      case 1: // random byte
        if (b.length) b[at % b.length] = rng.int(256);
        break;
      case 2: // interesting byte
        if (b.length) b[at % b.length] = rng.pick([0, 0x0a, 0x0d, 0x3a, 0x5c, 0x7f, 0x80, 0xff, 0x30, 0x39]);
        break;
      case 3: { // insert random bytes
        const len = 1 + rng.int(8);
        const ins: number[] = [];
        for (let i = 0; i < len; i++) ins.push(rng.int(256));
        b.splice(at, 0, ...ins);
        break;
      }
      case 4: // delete a range
        b.splice(at, 1 + rng.int(rng.chance(0.8) ? 4 : 64));
        break;
      case 5: { // duplicate a range
        const len = 1 + rng.int(32);
        b.splice(at, 0, ...b.slice(at, at + len));
        break;
      }
      case 6: { // splice with another corpus entry
        const other = o.corpus && o.corpus.length ? rng.pick(o.corpus) : seed;
        const from = rng.int(other.length + 1);
        const piece = Array.from(other.subarray(from, from + 1 + rng.int(rng.chance(0.5) ? 64 : 512)));
        if (rng.chance(0.5)) b.splice(at, 0, ...piece);
        else b = b.slice(0, at).concat(piece);
        break;
      }
      case 7: // truncation
        b.length = rng.int(b.length + 1);
        break;
      case 8: { // dictionary token
        const d = o.dictionary && o.dictionary.length ? rng.pick(o.dictionary) : null;
        if (d) {
          if (rng.chance(0.5)) b.splice(at, 0, ...d);
          else for (let i = 0; i < d.length && at + i < b.length; i++) b[at + i] = d[i];
        }
        break;
      }
      case 9:
      case 10: { // a 32- or 16-bit length field, either byte order, at a 4-aligned place (where such fields live)
        if (b.length < 4) break;
        const p = (rng.int(b.length - 3) & ~3) >>> 0;
        const le = rng.chance(0.5);
        const cur = le ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0 : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
        const v = interestingU32(rng, cur);
        if (rng.chance(0.7)) {
          const bytes = le ? [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24] : [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
          for (let i = 0; i < 4; i++) b[p + i] = bytes[i];
        } else {
          const bytes = le ? [v & 0xff, (v >>> 8) & 0xff] : [(v >>> 8) & 0xff, v & 0xff];
          b[p] = bytes[0];
          b[p + 1] = bytes[1];
        }
        break;
      }
      default: { // a decimal number in the text (content-length, sizes): nudge it or replace it
        const text = String.fromCharCode(...b.slice(0, 4096));
        const nums = [...text.matchAll(/\d+/g)];
        if (!nums.length) break;
        const m = rng.pick(nums);
        const cur = Number(m[0]);
        const v = rng.pick(['0', '1', String(cur - 1), String(cur + 1), String(cur * 2), '4294967295', '99999999999999999999', '-1', String(cur + 100000)]);
        const repl = Array.from(v, (c) => c.charCodeAt(0));
        b.splice(m.index!, m[0].length, ...repl);
      }
    }
    if (b.length > max) b.length = max;
  }
  return Uint8Array.from(b);
}

/** A mutation case: which corpus entry, the PRNG seed, and how to cut the result into chunks. */
export const mutationCase = (corpusSize: number) =>
  fc.record({ index: fc.nat({ max: corpusSize - 1 }), seed: fc.integer(), chunking: fc.nat() });

/** Splits `data` into chunks picked by `rng`: one piece, bytes, or random sizes. */
export function chunks(data: Uint8Array, rng: Rng): Uint8Array[] {
  const out: Uint8Array[] = [];
  const mode = rng.int(4);
  if (mode === 0 || data.length === 0) return [data];
  for (let i = 0; i < data.length; ) {
    const n = mode === 1 ? 1 : 1 + rng.int(mode === 2 ? 16 : 256);
    out.push(data.subarray(i, Math.min(data.length, i + n)));
    i += n;
  }
  return out;
}

export const te = new TextEncoder();
