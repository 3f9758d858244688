// The statistics charts and the diagram's correlation connectors as pure geometry: rates scale to a 1-2-5 top,
// histogram bars scale to the fullest bin, percentile markers sit in their bin, and connectors join only linked
// arrows that are both on screen.
import { describe, expect, it } from 'vitest';
import type { FrameRowDto, SessionStatsDto } from '../../shared/api/index.js';
import { buildDiagram, diagramConnectors } from '../../shared/diagram/model.js';
import { histogram, niceCeil, rateChart, RATE_BOX } from '../../shared/stats/chart.js';

const stats = (send: number[], bucketUs = 500_000): SessionStatsDto => ({
  session: 1, t0: 0, t1: bucketUs * send.length - 1, bucketUs, buckets: send.length,
  destinations: [{ destination: '/q', send: send.reduce((a, b) => a + b, 0), message: 0, sendBuckets: send, messageBuckets: send.map(() => 0) }],
  otherDestinations: { destinations: 0, frames: 0 }, latency: [], commands: [], bytes: { client: 0, broker: 0 }, destinationTable: [],
});

describe('charts', () => {
  it('rounds tops up to 1-2-5', () => {
    expect([0, 1, 1.5, 3, 7, 10, 11, 240].map(niceCeil)).toEqual([1, 1, 2, 5, 10, 10, 20, 500]);
  });

  it('plots rates per second, bucket middles left to right, the peak under the top', () => {
    const m = rateChart(stats([1, 4, 0, 2]));
    // 4 frames in half a second is 8/s: the top is 10/s.
    expect(m.max).toBe(10);
    expect(m.lines).toHaveLength(1);
    const pts = m.lines[0].points.split(' ').map((p) => p.split(',').map(Number));
    expect(pts.map((p) => p[0])).toEqual([...pts.map((p) => p[0])].sort((a, b) => a - b));
    const plotH = RATE_BOX.height - RATE_BOX.bottom - RATE_BOX.top;
    expect(pts[2][1]).toBe(RATE_BOX.top + plotH);
    expect(pts[1][1]).toBeCloseTo(RATE_BOX.top + plotH - 0.8 * plotH, 1);
    expect(m.yTicks.at(-1)!.label).toBe('10/s');
    expect(m.xTicks.at(-1)!.label).toBe('+2.0 s');
  });

  it('scales bars to the fullest bin and places percentiles inside their bins', () => {
    const h = histogram({ kind: 'ack', count: 10, min: 1, p50: 3, p90: 8, p99: 9, max: 9, mean: 4, bins: [{ lo: 1, hi: 2, count: 2 }, { lo: 2, hi: 5, count: 5 }, { lo: 5, hi: 10, count: 3 }] });
    expect(h.max).toBe(5);
    expect(h.bars.map((b) => b.count)).toEqual([2, 5, 3]);
    expect(h.bars[1].height).toBe(h.box.height - h.box.bottom - h.box.top);
    expect(h.bars[1].y).toBe(h.box.top);
    const [p50, p90] = h.markers;
    expect(p50.x).toBeGreaterThan(h.bars[1].x);
    expect(p50.x).toBeLessThan(h.bars[1].x + h.bars[1].width);
    expect(p90.x).toBeGreaterThan(h.bars[2].x);
    expect(h.edges.map((e) => e.label)).toEqual(['1 µs', '2 µs', '5 µs', '10 µs']);
  });
});

describe('diagram connectors', () => {
  const r = (id: number, command: string, from: 'client' | 'broker'): FrameRowDto => ({
    id, number: id, connection: 1, connectionNumber: 1, seq: id, from, time: null, command, destination: null, size: 1, issues: 0, t: id * 1000, ref: null, info: '', severity: null,
  });
  it('joins linked arrows both on screen, right of the broker lane, with the latency', () => {
    const m = buildDiagram([{ connection: 1, client: 'c' }], [r(1, 'SEND', 'client'), r(2, 'RECEIPT', 'broker'), r(3, 'MESSAGE', 'broker')], 0, 3);
    const c = diagramConnectors(m, [
      { kind: 'receipt', from: 1, to: 2, latencyUs: 1000 },
      { kind: 'ack', from: 3, to: 99, latencyUs: 5 },
      { kind: 'subscription', from: 1, to: 3, latencyUs: 7 },
    ]);
    expect(c.map((x) => [x.kind, x.from, x.to, x.label])).toEqual([['receipt', 1, 2, '1.00 ms']]);
    const broker = m.lanes.at(-1)!.x;
    const nums = c[0].path.match(/-?[\d.]+/g)!.map(Number);
    expect(nums[0]).toBeGreaterThan(broker);
    expect(nums[1]).toBe(m.arrows[0].y);
    expect(nums.at(-1)).toBe(m.arrows[1].y);
    expect(Math.max(...nums.filter((_, i) => i % 2 === 0))).toBeLessThanOrEqual(m.width);
    expect(diagramConnectors(m, [{ kind: 'subscription', from: 1, to: 3, latencyUs: null }], ['subscription'])[0].label).toBe('subscription');
  });
});
