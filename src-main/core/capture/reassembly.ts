// TCP reassembly for one direction of one connection: segments in capture order, the byte stream out in
// sequence order (RFC 9293 §3.4, sequence numbers; §3.10.7.4, segment text trimmed to the window), sans-IO.
//
//  - Stream offsets are sequence numbers unwrapped against the next expected one (a signed 32-bit distance),
//    so streams longer than 4 GiB and sequence wrap-around just work.
//  - In-order data goes straight through as views of the packet (no copy). Out-of-order segments are copied
//    and held, sorted by offset, until the hole before them fills.
//  - Retransmissions and overlaps: bytes before the next expected offset were delivered already and are
//    dropped (the first copy seen wins, as in most stacks and in Wireshark's default).
//  - A hole becomes a gap (bytes missing from the capture) when it cannot fill any more: the peer acknowledged
//    past it (so it will never be retransmitted: the capture lost it; checked from the packet after the ACK),
//    too much is held behind it, it is older than the hole timeout in capture time, or the stream ends (FIN,
//    RST, end of the capture).
//  - Bytes the snap length cut off a packet are a gap at once ('snaplen'): they will never be in the capture.
//  - A direction whose SYN was not captured starts at its first data segment (mid-stream pick-up).
//  - Across all the connections of an import, out-of-order bytes share one budget (ReassemblyBudget): a capture
//    with thousands of lossy connections would otherwise hold 8 MiB for each. Past it, the oldest hole of any
//    connection is given up as a gap ('memory'), and what waited behind it is delivered, until the total fits.

import { copyOf } from './bytes.js';

/** Why bytes are missing: lost by the capture, cut by the snap length, or given up under the memory cap. */
export type GapCause = 'lost' | 'snaplen' | 'memory';

export interface StreamSink {
  data(bytes: Uint8Array, time: number): void;
  gap(bytes: number, time: number, cause: GapCause): void;
  /** The FIN, in sequence order (after every byte before it). */
  fin(time: number): void;
}

export interface ReassemblyLimits {
  /** Most out-of-order bytes held per direction before the first hole is declared a gap. */
  maxPendingBytes: number;
  /** Most out-of-order segments held per direction. */
  maxPendingSegments: number;
  /** A hole older than this (capture time, µs) with data waiting behind it is declared a gap. */
  holeTimeoutMicros: number;
  /** Most out-of-order bytes held by all directions of all connections together (see ReassemblyBudget). */
  maxTotalPendingBytes: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: Readonly<ReassemblyLimits> = Object.freeze({
  maxPendingBytes: 8 * 1024 * 1024,
  maxPendingSegments: 4096,
  holeTimeoutMicros: 30_000_000,
  maxTotalPendingBytes: 64 * 1024 * 1024,
});

/**
 * The out-of-order bytes held by a set of reassemblers (one import), under one cap. When a segment held
 * anywhere takes the total over the cap, holes are given up oldest first (by the capture time of the first
 * segment waiting behind each: the one least likely to fill), each as a 'memory' gap, until the total fits.
 * Holes age in capture time, so which one goes does not depend on how fast the file is read.
 */
export class ReassemblyBudget {
  /** Bytes held now, by all. */
  held = 0;
  /** Most held at once. */
  peak = 0;
  /** Holes given up, and bytes declared missing by them. */
  holesGivenUp = 0;
  bytesGivenUp = 0;
  /** The reassemblers holding something. */
  private readonly holders = new Set<TcpReassembler>();
  private enforcing = false;

  constructor(readonly maxBytes: number = DEFAULT_REASSEMBLY_LIMITS.maxTotalPendingBytes) {}

  /** @internal A reassembler's held bytes changed by `delta` (now `now`). */
  update(r: TcpReassembler, delta: number, now: number): void {
    this.held += delta;
    if (this.held > this.peak) this.peak = this.held;
    if (now > 0) this.holders.add(r);
    else this.holders.delete(r);
  }

  /** Gives up the oldest holes until the total fits. */
  enforce(): void {
    if (this.enforcing) return; // giving up a hole delivers data, which never holds more; no re-entry needed
    this.enforcing = true;
    try {
      while (this.held > this.maxBytes) {
        let oldest: TcpReassembler | null = null;
        for (const r of this.holders) if (!oldest || r.oldestHoleTime < oldest.oldestHoleTime) oldest = r;
        if (!oldest) break;
        const n = oldest.giveUpFirstHole();
        this.holesGivenUp++;
        this.bytesGivenUp += n;
      }
    } finally {
      this.enforcing = false;
    }
  }
}

interface Pending {
  offset: number;
  data: Uint8Array;
  cut: number;
  fin: boolean;
  time: number;
}

export class TcpReassembler {
  started = false;
  /** The stream starts at the SYN (true) or was picked up mid-stream. */
  fromSyn = false;
  /** The FIN was delivered. */
  finished = false;
  /** Next expected stream offset: everything before it was delivered or declared missing. */
  nextOffset = 0;
  /** Sequence number of stream offset 0. */
  private isn = 0;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  /** Highest stream offset the peer acknowledged. */
  private ackedTo = 0;
  /**
   * ackedTo as of the previous event. An acknowledgement counts against a hole only from the next packet on:
   * capture points on multi-core hosts (`-i any`) can record an ACK just before the segment it acknowledges.
   */
  private ackedBefore = 0;
  // Statistics.
  retransmittedBytes = 0;
  outOfOrderSegments = 0;
  gapBytes = 0;
  private readonly limits: ReassemblyLimits;

  constructor(private readonly sink: StreamSink, limits: Partial<ReassemblyLimits> = {}, private readonly budget: ReassemblyBudget | null = null) {
    this.limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
  }

  /** Capture time of the first segment waiting behind the first hole (Infinity when nothing is held). */
  get oldestHoleTime(): number {
    return this.pending.length ? this.pending[0].time : Infinity;
  }

  /**
   * Declares the first hole a gap ('memory': the budget needs the room) and delivers what waited behind it, up
   * to the next hole. Returns the bytes declared missing.
   */
  giveUpFirstHole(): number {
    const first = this.pending[0];
    if (!first) return 0;
    const before = this.gapBytes;
    this.declareGap(first.offset, first.time, 'memory');
    this.drain();
    return this.gapBytes - before;
  }

  /** Forgets everything held (the flow is no longer decoded), returning its room to the budget. */
  discard(): void {
    // In place: this can run from a sink callback inside drain() or flush(), whose loops then simply end.
    this.pending.length = 0;
    this.setPending(0);
  }

  private setPending(n: number): void {
    const delta = n - this.pendingBytes;
    this.pendingBytes = n;
    if (this.budget && (delta !== 0 || n === 0)) this.budget.update(this, delta, n);
  }

  /** Stream offset of a sequence number: the signed 32-bit distance from the next expected one. */
  offsetOf(seq: number): number {
    return this.nextOffset + ((seq - this.isn - this.nextOffset) | 0);
  }

  /** A SYN from this side: the stream starts at seq + 1 (the SYN takes one sequence number). */
  syn(seq: number): void {
    if (this.started) return;
    this.started = true;
    this.fromSyn = true;
    this.isn = (seq + 1) >>> 0;
  }

  /**
   * A segment from this side: `payload` is what the capture holds, `cut` the bytes after it that the snap
   * length removed, `fin` whether it carries a FIN (which follows its data in sequence space).
   */
  segment(seq: number, payload: Uint8Array, cut: number, fin: boolean, time: number): void {
    const len = payload.length;
    if (!this.started) {
      // Nothing to anchor the stream on until data (or a FIN) comes: a pure ACK says nothing about our bytes.
      if (len === 0 && cut === 0 && !fin) return;
      this.started = true;
      this.isn = seq;
    }
    if (this.finished) {
      if (len) this.retransmittedBytes += len;
      return;
    }
    this.ackedBefore = this.ackedTo;
    const off = this.offsetOf(seq);
    const end = off + len + cut;
    if (end <= this.nextOffset && !fin) {
      this.retransmittedBytes += len;
      return;
    }
    if (off <= this.nextOffset && this.pending.length === 0) {
      // The common case: in order (or overlapping what was delivered), nothing held.
      this.deliver(off, payload, cut, time);
      if (fin && this.nextOffset >= end) this.deliverFin(time);
      return;
    }
    if (off > this.nextOffset) this.outOfOrderSegments++;
    this.hold({ offset: off, data: copyOf(payload), cut, fin, time });
    this.drain();
    this.resolve(time);
    // Only holding grows the total: this is the one place the shared cap can be exceeded.
    this.budget?.enforce();
  }

  /** An acknowledgement from the peer, of this side's bytes. */
  ack(ackSeq: number, time: number): void {
    if (!this.started || this.finished) return;
    this.ackedBefore = this.ackedTo;
    const off = this.offsetOf(ackSeq);
    if (this.pending.length) this.resolve(time);
    if (off > this.ackedTo) this.ackedTo = off;
  }

  /** Bytes held out of order. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  /** The stream is over (RST, end of capture): every hole left is a gap; what is held behind it is delivered. */
  flush(): void {
    while (this.pending.length) {
      const first = this.pending[0];
      if (first.offset > this.nextOffset) this.declareGap(first.offset, first.time);
      this.drain();
    }
  }

  private hold(p: Pending): void {
    const q = this.pending;
    let i = q.length;
    while (i > 0 && q[i - 1].offset > p.offset) i--;
    q.splice(i, 0, p);
    this.setPending(this.pendingBytes + p.data.length);
  }

  private deliver(off: number, data: Uint8Array, cut: number, time: number): void {
    const skip = this.nextOffset - off;
    const len = data.length;
    if (skip < len) {
      if (skip > 0) this.retransmittedBytes += skip;
      this.sink.data(skip > 0 ? data.subarray(skip) : data, time);
      this.nextOffset = off + len;
    } else {
      this.retransmittedBytes += len;
    }
    const cutEnd = off + len + cut;
    if (cutEnd > this.nextOffset) {
      const n = cutEnd - this.nextOffset;
      this.gapBytes += n;
      this.nextOffset = cutEnd;
      this.sink.gap(n, time, 'snaplen');
    }
  }

  private deliverFin(time: number): void {
    this.finished = true;
    this.sink.fin(time);
  }

  /** Delivers every held segment that the stream has reached. */
  private drain(): void {
    const q = this.pending;
    while (q.length && q[0].offset <= this.nextOffset) {
      const p = q.shift()!;
      this.setPending(this.pendingBytes - p.data.length);
      const end = p.offset + p.data.length + p.cut;
      if (end > this.nextOffset) this.deliver(p.offset, p.data, p.cut, p.time);
      else this.retransmittedBytes += p.data.length;
      if (p.fin && !this.finished && this.nextOffset >= end) {
        this.deliverFin(p.time);
        this.retransmittedBytes += q.reduce((n, x) => n + x.data.length, 0);
        q.length = 0;
        this.setPending(0);
      }
    }
  }

  /** Declares holes that can no longer fill as gaps (see the file comment for when). */
  private resolve(time: number): void {
    const q = this.pending;
    while (q.length) {
      const first = q[0];
      const acked = this.ackedBefore > this.nextOffset;
      if (!acked && this.pendingBytes <= this.limits.maxPendingBytes && q.length <= this.limits.maxPendingSegments &&
          time - first.time <= this.limits.holeTimeoutMicros) break;
      // Acknowledged bytes will not come again; a hole beyond the acknowledgement still might.
      const to = acked ? Math.min(this.ackedBefore, first.offset) : first.offset;
      this.declareGap(to, first.time);
      this.drain();
    }
  }

  private declareGap(to: number, time: number, cause: GapCause = 'lost'): void {
    const n = to - this.nextOffset;
    if (n <= 0) return;
    this.gapBytes += n;
    this.nextOffset = to;
    this.sink.gap(n, time, cause);
  }
}
