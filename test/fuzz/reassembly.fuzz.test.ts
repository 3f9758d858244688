// Fuzzing TCP reassembly (src-main/core/capture/reassembly.ts): two streams under one memory budget, fed
// segments of a known byte stream in a shuffled order with duplicates, overlaps, snap-length cuts, ACKs, FINs,
// time jumps and sequence numbers that wrap; and, as mutation, segments with arbitrary sequence numbers and
// contents. Small limits, so that holes are given up (acknowledged, too many bytes or segments held, timed out,
// over the shared budget) all the time.
// Invariants: nothing throws; the stream comes out in order, data and gaps adding up to nextOffset, which never
// goes back; every delivered byte is the byte the sender sent at that offset (consistent streams); after flush
// every byte was delivered or declared missing and nothing is held; held bytes stay within the per-direction
// limit and the shared budget after every call.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ReassemblyBudget, TcpReassembler, type ReassemblyLimits } from '../../src-main/core/capture/reassembly.js';
import { fuzz, Rng, RUNS, timeoutFor } from './support.js';

const LIMITS: Array<Partial<ReassemblyLimits>> = [
  { maxPendingBytes: 64, maxPendingSegments: 4, holeTimeoutMicros: 1000 },
  { maxPendingBytes: 400, maxPendingSegments: 64, holeTimeoutMicros: 1_000_000 },
  {},
];

interface Stream {
  r: TcpReassembler;
  /** The bytes the sender sent (consistent mode), or null (mutation mode: anything goes). */
  truth: Uint8Array | null;
  pos: number;
  dataBytes: number;
  gapBytes: number;
  fin: boolean;
}

function open(truth: Uint8Array | null, limits: Partial<ReassemblyLimits>, budget: ReassemblyBudget): Stream {
  const s: Stream = { r: null as unknown as TcpReassembler, truth, pos: 0, dataBytes: 0, gapBytes: 0, fin: false };
  s.r = new TcpReassembler(
    {
      data(bytes) {
        if (s.fin) throw new Error('data after the FIN');
        if (bytes.length === 0) throw new Error('empty data');
        if (truth) {
          if (s.pos + bytes.length > truth.length) throw new Error(`data past the end of the stream (${s.pos}+${bytes.length} > ${truth.length})`);
          for (let i = 0; i < bytes.length; i++) {
            if (bytes[i] !== truth[s.pos + i]) throw new Error(`byte ${s.pos + i} is ${bytes[i]}, the sender sent ${truth[s.pos + i]}`);
          }
        }
        s.pos += bytes.length;
        s.dataBytes += bytes.length;
      },
      gap(n, _time, cause) {
        if (s.fin) throw new Error('a gap after the FIN');
        if (!(n > 0) || !['lost', 'snaplen', 'memory'].includes(cause)) throw new Error(`gap ${n} ${cause}`);
        s.pos += n;
        s.gapBytes += n;
      },
      fin() {
        if (s.fin) throw new Error('two FINs');
        s.fin = true;
        if (truth && s.pos !== truth.length) throw new Error(`FIN at ${s.pos}, the stream has ${truth.length} bytes`);
      },
    },
    limits,
    budget,
  );
  return s;
}

type Op = (t: number) => void;

/** Segments of `truth` covering all of it (tiles), plus duplicates and overlapping extras, shuffled. */
function consistentOps(s: Stream, truth: Uint8Array, isn: number, rng: Rng): Op[] {
  const ops: Op[] = [];
  const seqOf = (off: number) => (isn + 1 + off) >>> 0;
  const seg = (off: number, len: number, fin: boolean) => {
    // A snap length may cut the end of a segment: the capture holds fewer bytes than were sent.
    const cut = len > 0 && rng.chance(0.05) ? 1 + rng.int(len) : 0;
    const payload = truth.subarray(off, off + len - cut);
    ops.push((t) => s.r.segment(seqOf(off), payload, cut, fin, t));
  };
  let off = 0;
  while (off < truth.length) {
    const len = Math.min(truth.length - off, 1 + rng.int(48));
    seg(off, len, false);
    off += len;
  }
  const fin = rng.chance(0.6);
  if (fin) seg(truth.length, 0, true);
  for (let k = rng.int(6); k > 0; k--) {
    const a = rng.int(truth.length + 1);
    seg(a, rng.int(truth.length - a + 1), fin && rng.chance(0.1) && a === truth.length);
  }
  // ACKs from the peer: never past what was sent.
  for (let k = rng.int(4); k > 0; k--) {
    const to = rng.int(truth.length + 1);
    ops.push((t) => s.r.ack(seqOf(to), t));
  }
  for (let i = ops.length - 1; i > 0; i--) {
    // Mostly in order: swap neighbours and the odd far pair.
    const j = rng.chance(0.7) ? Math.max(0, i - rng.int(3)) : rng.int(i + 1);
    [ops[i], ops[j]] = [ops[j], ops[i]];
  }
  return ops;
}

/** Anything: sequence numbers anywhere in the 32-bit space, random contents, ACKs and FINs. */
function chaoticOps(s: Stream, isn: number, rng: Rng): Op[] {
  const ops: Op[] = [];
  for (let k = 1 + rng.int(24); k > 0; k--) {
    const near = rng.chance(0.8);
    const seq = near ? (isn + rng.int(400) - 100) >>> 0 : rng.next();
    const payload = new Uint8Array(rng.int(rng.chance(0.9) ? 40 : 3000));
    switch (rng.int(6)) {
      case 0:
        ops.push((t) => s.r.ack(seq, t));
        break;
      case 1:
        ops.push(() => s.r.syn(seq));
        break;
      default:
        ops.push((t) => s.r.segment(seq, payload, rng.chance(0.05) ? rng.int(100) : 0, rng.chance(0.1), t));
    }
  }
  return ops;
}

function check(s: Stream, limits: Partial<ReassemblyLimits>, before: number): void {
  if (s.r.nextOffset !== s.pos) throw new Error(`nextOffset ${s.r.nextOffset}, delivered and missing ${s.pos}`);
  if (s.r.nextOffset < before) throw new Error('nextOffset went back');
  if (s.r.heldBytes < 0 || s.r.heldBytes > (limits.maxPendingBytes ?? 8 * 1024 * 1024)) throw new Error(`held ${s.r.heldBytes}`);
}

function run(seed: number, limitsIndex: number, consistent: boolean): void {
  const rng = new Rng(seed);
  const limits = LIMITS[limitsIndex];
  const budget = new ReassemblyBudget(rng.pick([100, 500, 1_000_000]));
  const streams: Stream[] = [];
  const queues: Op[][] = [];
  for (let k = 0; k < 2; k++) {
    // Initial sequence numbers near the wrap now and then.
    const isn = rng.chance(0.3) ? (0xffffffff - rng.int(200)) >>> 0 : rng.next();
    if (consistent) {
      const truth = new Uint8Array(rng.int(300));
      for (let i = 0; i < truth.length; i++) truth[i] = rng.int(256);
      const s = open(truth, limits, budget);
      // A captured SYN anchors the stream at isn + 1; without it, the first segment seen does (mid-stream).
      const fromSyn = rng.chance(0.8);
      if (fromSyn) s.r.syn(isn);
      const ops = consistentOps(s, truth, isn, rng);
      if (!fromSyn) {
        // Mid-stream: offsets count from the first segment, which then must be the first tile.
        const first = truth.subarray(0, Math.min(truth.length, 10));
        ops.unshift((t) => s.r.segment((isn + 1) >>> 0, first, 0, truth.length === 0, t));
      }
      streams.push(s);
      queues.push(ops);
    } else {
      const s = open(null, limits, budget);
      if (rng.chance(0.5)) s.r.syn(isn);
      streams.push(s);
      queues.push(chaoticOps(s, isn, rng));
    }
  }
  let t = 1_700_000_000_000_000;
  while (queues[0].length || queues[1].length) {
    const k = queues[0].length && (!queues[1].length || rng.chance(0.5)) ? 0 : 1;
    const s = streams[k];
    const before = s.r.nextOffset;
    t += rng.chance(0.05) ? rng.int(5_000_000) : rng.int(100);
    queues[k].shift()!(t);
    check(s, limits, before);
    if (budget.held > budget.maxBytes || budget.held < 0) throw new Error(`budget holds ${budget.held} > ${budget.maxBytes}`);
  }
  for (const s of streams) {
    const before = s.r.nextOffset;
    s.r.flush();
    check(s, limits, before);
    if (s.r.heldBytes !== 0) throw new Error(`${s.r.heldBytes} bytes held after flush`);
    // Every byte sent was delivered or declared missing (consistent streams; a FIN may end a stream early only
    // when it is the sender's, at the end).
    if (s.truth && s.r.started && s.pos !== s.truth.length && !(s.pos === 0 && s.truth.length === 0)) {
      throw new Error(`after flush ${s.pos} of ${s.truth.length} bytes are accounted for`);
    }
  }
  if (budget.held !== 0) throw new Error(`the budget still counts ${budget.held} bytes`);
}

describe('fuzz: TCP reassembly', () => {
  it(`consistent streams, shuffled and duplicated (${RUNS} cases): in order, every byte the sender's, all accounted for`, async () => {
    await fuzz('reassembly/consistent', fc.tuple(fc.integer(), fc.nat({ max: LIMITS.length - 1 })), ([seed, li]) => run(seed, li, true));
  }, timeoutFor(RUNS, 80));

  it(`arbitrary segments (${RUNS} cases): never throws, data and gaps add up, memory within the limits`, async () => {
    await fuzz('reassembly/chaotic', fc.tuple(fc.integer(), fc.nat({ max: LIMITS.length - 1 })), ([seed, li]) => run(seed, li, false));
  }, timeoutFor(RUNS, 80));
});
