// One cap on the out-of-order bytes held by all the connections of an import (ReassemblyBudget): past it, the
// oldest hole of any connection is given up as a gap and what waited behind it is delivered, so a capture of
// many lossy connections cannot hold 8 MiB per direction each. First as conversations with the reassemblers
// alone, then through a whole import.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReassemblyBudget, type ReassemblyLimits } from '../../src-main/core/capture/reassembly.js';
import { harness } from './support/reassembly-harness.js';
import { importBytes, tempDir } from './support/import-helper.js';
import { Conversation, pcapFile, type CapturedPacket } from './support/synth.js';

function streams(budget: ReassemblyBudget, n: number, limits: Partial<ReassemblyLimits> = {}) {
  return Array.from({ length: n }, () => {
    const { r, out } = harness(limits, budget);
    r.syn(0);
    return { r, out, seg: (seq: number, text: string, time: number) => r.segment(seq, Buffer.from(text, 'latin1'), 0, false, time) };
  });
}

describe('reassembly memory cap across connections', () => {
  it('over the cap, the oldest hole of any stream is given up first; the others keep waiting', () => {
    const budget = new ReassemblyBudget(1000);
    const [a, b, c] = streams(budget, 3);
    // Each stream: 'x' arrives, byte 2 is missing, 400 bytes wait behind the hole. B's hole is the oldest.
    b.seg(1, 'x', 1);
    b.seg(3, 'B'.repeat(400), 10);
    a.seg(1, 'x', 2);
    a.seg(3, 'A'.repeat(400), 20);
    expect(budget.held).toBe(800);
    expect([a.out, b.out]).toEqual([['x'], ['x']]);
    c.seg(1, 'x', 3);
    c.seg(3, 'C'.repeat(400), 30); // 1200 held: over the cap
    expect(budget.held).toBe(800);
    expect(b.out).toEqual(['x', { gap: 1, cause: 'memory' }, 'B'.repeat(400)]);
    expect(a.out).toEqual(['x']);
    expect(c.out).toEqual(['x']);
    expect([budget.holesGivenUp, budget.bytesGivenUp, budget.peak]).toEqual([1, 1, 1200]);
    // A hole that fills gives its room back; the late bytes of a given-up hole are a retransmission.
    a.seg(2, '-', 40);
    expect(a.out).toEqual(['x-' + 'A'.repeat(400)]);
    expect(budget.held).toBe(400);
    b.seg(2, '-', 41);
    expect(b.out.at(-1)).toBe('B'.repeat(400));
    expect(b.r.retransmittedBytes).toBe(1);
  });

  it('several holes go, oldest first, until the total fits; the per-direction limit still applies below it', () => {
    const budget = new ReassemblyBudget(500);
    const [a, b] = streams(budget, 2, { maxPendingBytes: 10_000 });
    a.seg(1, 'a', 0);
    a.seg(5, 'A'.repeat(200), 1); // hole 1 of a (oldest)
    a.seg(210, 'A'.repeat(200), 5); // hole 2 of a
    b.seg(1, 'b', 0);
    b.seg(5, 'B'.repeat(200), 3); // hole of b (600 held: a's first hole goes)
    expect(a.out).toEqual(['a', { gap: 3, cause: 'memory' }, 'A'.repeat(200)]);
    expect(budget.held).toBe(400);
    b.seg(300, 'B'.repeat(300), 6); // 700: b's hole (time 3) is older than a's second (time 5), then a's
    expect(b.out).toEqual(['b', { gap: 3, cause: 'memory' }, 'B'.repeat(200)]);
    expect(budget.held).toBe(500);
    expect(budget.holesGivenUp).toBe(2);
  });

  it('an ended stream returns its room (flush, FIN, discard)', () => {
    const budget = new ReassemblyBudget(10_000);
    const [a, b] = streams(budget, 2);
    a.seg(1, 'a', 0);
    a.seg(3, 'A'.repeat(100), 1);
    b.seg(1, 'b', 0);
    b.seg(3, 'B'.repeat(100), 1);
    expect(budget.held).toBe(200);
    a.r.flush();
    expect(a.out).toEqual(['a', { gap: 1, cause: 'lost' }, 'A'.repeat(100)]);
    expect(budget.held).toBe(100);
    b.r.discard();
    expect(budget.held).toBe(0);
    expect(budget.holesGivenUp).toBe(0);
  });
});

describe('reassembly memory cap in an import', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir('stompscope-budget-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Four connections, each losing the first segment of a 40 KB SEND (no acknowledgements: nothing says the hole
  // will not fill), interleaved, then a RECEIPT each and the close. 40 KB of each waits behind its hole.
  const enc = (s: string) => Buffer.from(s, 'utf8');
  const capture = (() => {
    const all: CapturedPacket[][] = [];
    for (let i = 0; i < 4; i++) {
      const c = new Conversation({ ip: '10.0.0.1', port: 40000 + i }, { ip: '10.0.0.2', port: 61613 }, { time: 1_700_000_000_000_000 + i })
        .handshake()
        .send('c', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'))
        .send('b', enc('CONNECTED\nversion:1.2\n\n\0'));
      const first = c.packets.length;
      c.sendNoAck('c', Buffer.concat([enc(`SEND\ndestination:/q${i}\ncontent-length:40000\n\n`), Buffer.alloc(40_000, 0x41 + i), enc('\0')]));
      c.sendNoAck('c', enc(`SEND\ndestination:/q${i}\n\nafter the hole\0`));
      const p = c.captured();
      p.splice(first, 1); // the capture lost the SEND's first segment
      all.push(p);
      c.packets.length = 0;
      all[i].push(...c.send('b', enc('RECEIPT\nreceipt-id:1\n\n\0')).close().captured());
    }
    // Interleave the connections packet by packet, in time order.
    return all.flat().sort((x, y) => x.time - y.time);
  })();
  const file = pcapFile(capture, { linkType: 1 });

  it('under the cap: holes wait (and end as lost at the close); over it: the oldest are given up, frames after them decoded', async () => {
    const roomy = await importBytes(dir, file, {}, 'roomy.pcap');
    const tight = await importBytes(dir, file, { reassembly: { maxTotalPendingBytes: 100_000 } }, 'tight.pcap');
    const gaps = (g: typeof roomy) => g.issues.filter((i) => i.code === 'tcp-segments-missing').map((i) => i.message.replace(/^\d+ bytes /, ''));
    expect(roomy.result.warnings).toEqual([]);
    expect(gaps(roomy)).toEqual(Array(4).fill('of TCP segments are not in the capture'));
    expect(roomy.session!.meta).toMatchObject({ reassembly: { holesGivenUp: 0, maxHeldBytes: 64 * 1024 * 1024 } });
    expect((roomy.session!.meta.reassembly as { peakHeldBytes: number }).peakHeldBytes).toBeGreaterThan(4 * 38_000);

    // 100 KB holds two connections' 40 KB: the third one's data pushes the oldest out, the fourth the next.
    expect(tight.result.warnings).toEqual([expect.stringMatching(/^2 TCP hole\(s\) given up as gaps \(\d+ bytes\) because out-of-order data across all connections exceeded the reassembly memory cap \(100000 bytes\)$/)]);
    expect(gaps(tight).filter((m) => /gave up waiting/.test(m))).toHaveLength(2);
    const meta = tight.session!.meta.reassembly as { peakHeldBytes: number; holesGivenUp: number };
    expect(meta.holesGivenUp).toBe(2);
    expect(meta.peakHeldBytes).toBeLessThanOrEqual(100_000 + 1460);
    // The frames after each hole are there either way, and in the same order.
    const after = (g: typeof roomy) => g.frames.filter((f) => f.body === 'after the hole').map((f) => f.headers.find(([k]) => k === 'destination')![1]);
    expect(after(tight).sort()).toEqual(['/q0', '/q1', '/q2', '/q3']);
    expect(after(roomy).sort()).toEqual(['/q0', '/q1', '/q2', '/q3']);
    // Which connections gave up: the two whose holes are oldest (the first two to lose their segment).
    const givenUp = tight.issues.filter((i) => /gave up waiting/.test(i.message)).map((i) => tight.connections.find((c) => c.connection === i.connection_id)!.client);
    expect(givenUp.sort()).toEqual(['10.0.0.1:40000', '10.0.0.1:40001']);
  });
});
