// TCP reassembly, one direction, as conversations: segments in (in capture order), the byte stream, gaps
// and FIN out. Synthetic segments cover what real loopback traffic never does on demand: reordering,
// duplicates, overlaps, losses, mid-stream starts, sequence wrap-around, snap-length cuts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TcpReassembler } from '../../src-main/core/capture/reassembly.js';
import { harness } from './support/reassembly-harness.js';


const ISN = 1000; // the SYN's sequence number: data starts at ISN + 1

describe('TCP reassembly', () => {
  it('in order after the SYN: the stream as sent, then the FIN', () => {
    const { r, out, seg } = harness();
    r.syn(ISN);
    seg(1001, 'CONNECT\n');
    seg(1009, 'host:/\n\n\0', { fin: true });
    expect(out).toEqual(['CONNECT\nhost:/\n\n\0', 'FIN']);
    expect(r.fromSyn).toBe(true);
  });

  it('out of order: held until the hole fills, then delivered in sequence order', () => {
    const { r, out, seg } = harness();
    r.syn(ISN);
    seg(1005, 'EFGH');
    seg(1009, 'IJ', { fin: true });
    expect(out).toEqual([]);
    seg(1001, 'ABCD');
    expect(out).toEqual(['ABCDEFGHIJ', 'FIN']);
    expect(r.outOfOrderSegments).toBe(2);
    expect(r.gapBytes).toBe(0);
  });

  it('retransmissions are dropped, and counted', () => {
    const { r, out, seg } = harness();
    r.syn(ISN);
    seg(1001, 'ABCD');
    seg(1001, 'ABCD');
    seg(1005, 'EF');
    seg(1001, 'ABCD');
    expect(out).toEqual(['ABCDEF']);
    expect(r.retransmittedBytes).toBe(8);
  });

  it('overlaps: only the bytes not delivered yet are taken (first copy wins)', () => {
    const { r, out, seg } = harness();
    r.syn(ISN);
    seg(1001, 'ABCD');
    seg(1003, 'cdEFG'); // overlaps 2 bytes already delivered, with different content
    seg(1006, 'fgHI');
    expect(out).toEqual(['ABCDEFGHI']);
  });

  it('overlapping held segments fill the hole once', () => {
    const { r, out, seg } = harness();
    r.syn(ISN);
    seg(1005, 'EFGH');
    seg(1003, 'CDEF');
    seg(1007, 'GHIJ');
    seg(1001, 'AB');
    expect(out).toEqual(['ABCDEFGHIJ']);
  });

  it('a hole the peer acknowledged is a gap from the next packet on: the capture lost it, it will not come again', () => {
    const { r, out, seg } = harness();
    r.syn(ISN);
    seg(1001, 'ABCD');
    seg(1011, 'KLMN'); // 1005..1010 never captured
    expect(out).toEqual(['ABCD']);
    r.ack(1015, 0); // the peer got everything up to 1015
    expect(out).toEqual(['ABCD']);
    r.ack(1015, 0); // the next packet: the hole was not filled just after the ACK (capture reordering)
    expect(out).toEqual(['ABCD', { gap: 6, cause: 'lost' }, 'KLMN']);
    expect(r.gapBytes).toBe(6);
  });

  it('an acknowledgement that only covers part of a hole declares only that part', () => {
    const { out, seg, r } = harness();
    r.syn(ISN);
    seg(1001, 'AB');
    seg(1011, 'KL');
    r.ack(1005, 0);
    r.ack(1005, 0);
    expect(out).toEqual(['AB', { gap: 2, cause: 'lost' }]);
    seg(1005, 'EFGHIJ'); // the rest of the hole is retransmitted
    expect(out).toEqual(['AB', { gap: 2, cause: 'lost' }, 'EFGHIJKL']);
  });

  it('without acknowledgements (one-way capture) a hole is declared when too much waits behind it', () => {
    const { out, seg, r } = harness({ maxPendingSegments: 3 });
    r.syn(ISN);
    seg(1001, 'A');
    seg(1003, 'C');
    seg(1004, 'D');
    seg(1005, 'E');
    expect(out).toEqual(['A']);
    seg(1006, 'F');
    expect(out).toEqual(['A', { gap: 1, cause: 'lost' }, 'CDEF']);
  });

  it('… or when it is older than the hole timeout, in capture time', () => {
    const { out, seg, r } = harness({ holeTimeoutMicros: 1_000_000 });
    r.syn(ISN);
    seg(1001, 'A', { time: 0 });
    seg(1003, 'C', { time: 10 });
    seg(1004, 'D', { time: 500_000 });
    expect(out).toEqual(['A']);
    seg(1005, 'E', { time: 1_500_000 });
    expect(out).toEqual(['A', { gap: 1, cause: 'lost' }, 'CDE']);
  });

  it('at the end of the stream every hole left is a gap and everything held is delivered', () => {
    const { out, seg, r } = harness();
    r.syn(ISN);
    seg(1001, 'A');
    seg(1004, 'D');
    seg(1010, 'J');
    r.flush();
    expect(out).toEqual(['A', { gap: 2, cause: 'lost' }, 'D', { gap: 5, cause: 'lost' }, 'J']);
  });

  it('a FIN after a hole waits for the hole; the acknowledgement of the FIN resolves it', () => {
    const { out, seg, r } = harness();
    r.syn(ISN);
    seg(1001, 'AB');
    seg(1005, '', { fin: true });
    expect(out).toEqual(['AB']);
    r.ack(1006, 0);
    r.ack(1006, 0);
    expect(out).toEqual(['AB', { gap: 2, cause: 'lost' }, 'FIN']);
  });

  it('an ACK recorded just before the segment it acknowledges (capture reordering) is not taken for a loss', () => {
    const { out, seg, r } = harness();
    r.syn(ISN);
    seg(1001, 'AB');
    seg(1005, 'EF'); // held: 1003..1004 not seen yet
    r.ack(1007, 0); // the receiver's ACK, captured before the segment it acknowledges
    seg(1003, 'CD');
    expect(out).toEqual(['ABCDEF']);
  });

  it('mid-stream pick-up: the first data segment anchors the stream; pure ACKs before it do not', () => {
    const { out, seg, r } = harness();
    seg(777_000, ''); // an ACK with no data: ignored
    seg(500_000, 'XYZ');
    seg(500_003, 'W');
    expect(out).toEqual(['XYZW']);
    expect(r.fromSyn).toBe(false);
    seg(499_990, 'old'); // from before the pick-up: already gone by
    expect(out).toEqual(['XYZW']);
  });

  it('sequence numbers wrap around 2^32', () => {
    const { out, seg, r } = harness();
    r.syn(0xfffffffd); // data starts at 0xfffffffe
    seg(0xfffffffe, 'AB');
    seg(0x00000002, 'EF'); // out of order, after the wrap
    seg(0x00000000, 'CD');
    expect(out).toEqual(['ABCDEF']);
    expect(r.nextOffset).toBe(6);
  });

  it('bytes cut by the snap length are a gap at once, in place', () => {
    const { out, seg, r } = harness();
    r.syn(ISN);
    seg(1001, 'ABCD', { cut: 96 }); // 100 bytes on the wire, 4 captured
    seg(1101, 'NEXT');
    expect(out).toEqual(['ABCD', { gap: 96, cause: 'snaplen' }, 'NEXT']);
  });

  it('property: any reordering and duplication of the segments of a stream, without loss, gives back the stream', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.infiniteStream(fc.integer({ min: 0, max: 1000 })),
        (data, sizes, isn, rnd) => {
          // Cut the stream into segments (sizes repeat as needed), add duplicates and overlapping copies.
          const segs: { off: number; len: number }[] = [];
          for (let off = 0, i = 0; off < data.length; i++) {
            const len = Math.min(sizes[i % sizes.length], data.length - off);
            segs.push({ off, len });
            off += len;
          }
          const extra = segs.map((s) => ({ off: Math.max(0, s.off - 3), len: Math.min(data.length - Math.max(0, s.off - 3), s.len + 6) }));
          const all = [...segs, ...extra.filter((_, i) => i % 2 === 0)];
          const it = rnd[Symbol.iterator]();
          const order = all.map((s) => ({ s, k: it.next().value as number })).sort((a, b) => a.k - b.k).map((x) => x.s);
          const got: number[] = [];
          let gaps = 0;
          const r = new TcpReassembler({ data: (b) => got.push(...b), gap: () => gaps++, fin: () => {} });
          r.syn(isn);
          for (const s of order) r.segment((isn + 1 + s.off) >>> 0, data.subarray(s.off, s.off + s.len), 0, false, 0);
          r.flush();
          return gaps === 0 && Buffer.from(got).equals(Buffer.from(data));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: with segments lost, the output is the stream with exactly the lost ranges as gaps', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 300 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
        (data, size, lose) => {
          const out: Array<number[] | number> = [];
          const r = new TcpReassembler({
            data: (b) => out.push([...b]),
            gap: (n) => out.push(n),
            fin: () => {},
          });
          r.syn(0);
          const expected: Array<number[] | number> = [];
          let i = 0;
          for (let off = 0; off < data.length; off += size, i++) {
            const part = data.subarray(off, Math.min(data.length, off + size));
            // The first segment always arrives (so that what follows is a gap, not a mid-stream start).
            if (i > 0 && lose[i % lose.length]) expected.push(part.length);
            else {
              r.segment(1 + off, part, 0, false, 0);
              expected.push([...part]);
            }
          }
          r.flush();
          // Normalise: merge adjacent data and adjacent gaps on both sides.
          const norm = (xs: Array<number[] | number>) =>
            xs.reduce<Array<number[] | number>>((acc, x) => {
              const last = acc[acc.length - 1];
              if (Array.isArray(x) && Array.isArray(last)) last.push(...x);
              else if (typeof x === 'number' && typeof last === 'number') acc[acc.length - 1] = last + x;
              else acc.push(Array.isArray(x) ? [...x] : x);
              return acc;
            }, []);
          const exp = norm(expected);
          // Trailing losses are invisible: nothing after them says the stream went on.
          if (typeof exp[exp.length - 1] === 'number') exp.pop();
          expect(norm(out)).toEqual(exp);
        },
      ),
      { numRuns: 300 },
    );
  });
});
