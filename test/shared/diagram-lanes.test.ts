// The sequence diagram on screen from 1 to 100 connections, as pure geometry: lanes share the width and never
// get narrower than MIN_LANE_PX (the busiest connections, or the ones picked, get lanes; the rest share one),
// labels are cut to their arrows, and correlation brackets are drawn only where they do not overlap.
import { describe, expect, it } from 'vitest';
import type { FrameRowDto } from '../../shared/api/index.js';
import {
  BRACKET_ROOM_PX, buildDiagram, CHAR_PX, CONNECTOR_SLOTS, DEFAULT_LAYOUT, diagramConnectors, fitLanes, fitText, fitTextEnd, MIN_LANE_PX,
} from '../../shared/diagram/model.js';

const conns = (n: number) => Array.from({ length: n }, (_, i) => ({ connection: i + 1, client: `127.0.0.1:${40000 + i}`, frames: { client: i === 41 ? 500 : 10, broker: i % 7 } }));
const row = (id: number, connection: number, from: 'client' | 'broker', command = 'SEND', destination: string | null = '/queue/a-rather-long-destination-name'): FrameRowDto => ({
  id, number: id, connection, connectionNumber: connection, seq: id, from, time: null, command, destination, size: 1, issues: 0, t: id * 1000, ref: null, info: '', severity: null,
});

describe('lanes', () => {
  it('fit every connection in the width when they fit at the narrowest lane', () => {
    for (const n of [1, 2, 5]) {
      const f = fitLanes(conns(n), 1200, 1, null);
      expect(f.shown).toBeNull();
      const m = buildDiagram(conns(n), [row(1, 1, 'client')], 0, 1, [], 0, { ...DEFAULT_LAYOUT, laneWidth: f.laneWidth, bracketRoom: BRACKET_ROOM_PX });
      expect(m.width).toBeLessThanOrEqual(1200 + 0.01);
      expect(m.lanes).toHaveLength(n + 1);
    }
  });

  it('keep lanes of their own for the busiest connections when 100 do not fit, the rest in one lane, all within the width', () => {
    const all = conns(100);
    const f = fitLanes(all, 1200, 1, null);
    expect(f.shown!.size).toBe(f.capacity);
    expect(f.shown!.has(42)).toBe(true); // the busiest
    expect(f.laneWidth).toBeGreaterThanOrEqual(MIN_LANE_PX);
    const rows = [row(1, 42, 'client'), row(2, 99, 'client'), row(3, 99, 'broker', 'RECEIPT', null)];
    const m = buildDiagram(all, rows, 0, 3, [], 0, { ...DEFAULT_LAYOUT, laneWidth: f.laneWidth, bracketRoom: BRACKET_ROOM_PX }, f.shown);
    expect(m.width).toBeLessThanOrEqual(1200 + 0.01);
    const others = m.lanes.find((l) => l.key === 'others')!;
    expect(others.others).toBe(100 - f.capacity);
    // Frames of a connection without a lane start from the others lane and say which connection they are.
    expect(m.arrows[1].x1).toBe(others.x);
    expect(m.arrows[1].label.startsWith('#99 ')).toBe(true);
    expect(m.arrows[0].label.startsWith('#')).toBe(false);
  });

  it('follow the user\'s pick, and widen with the lanes\' zoom', () => {
    const f = fitLanes(conns(100), 1200, 1, new Set([3, 7]));
    expect([...f.shown!]).toEqual([3, 7]);
    const wide = fitLanes(conns(100), 1200, 2, new Set([3, 7]));
    expect(wide.laneWidth).toBeCloseTo(f.laneWidth * 2, 5);
  });

  it('cut labels to their arrow and lane names keeping their end', () => {
    expect(fitText('SEND /queue/orders', 1000)).toBe('SEND /queue/orders');
    const cut = fitText('SEND /queue/orders', 8 * CHAR_PX);
    expect(cut).toHaveLength(8);
    expect(cut.endsWith('…')).toBe(true);
    expect(fitTextEnd('127.0.0.1:40012', 7 * CHAR_PX)).toBe('…:40012');
    const f = fitLanes(conns(30), 1000, 1, null);
    const m = buildDiagram(conns(30), [row(1, 1, 'client')], 0, 1, [], 0, { ...DEFAULT_LAYOUT, laneWidth: f.laneWidth }, f.shown);
    const a = m.arrows[0];
    expect(a.text.length * CHAR_PX).toBeLessThanOrEqual(Math.abs(a.x2 - a.x1));
  });
});

describe('brackets', () => {
  it('are drawn only where they neither overlap in their column nor overprint a label; the selection\'s always', () => {
    // 40 frames, each linked to the next four: a busy session's tangle.
    const rows = Array.from({ length: 40 }, (_, i) => row(i + 1, 1, i % 2 ? 'broker' : 'client'));
    const m = buildDiagram([{ connection: 1, client: 'c' }], rows, 0, rows.length);
    const links = rows.flatMap((r) => [1, 2, 3, 4].filter((k) => r.id + k <= 40).map((k) => ({ kind: 'receipt', from: r.id, to: r.id + k, latencyUs: 1000 * k })));
    const c = diagramConnectors(m, links);
    expect(c.length).toBeGreaterThan(5);
    expect(c.length).toBeLessThan(links.length);
    const span = (x: (typeof c)[number]) => {
      const ys = x.path.match(/-?[\d.]+/g)!.map(Number);
      return { reach: ys[2], y1: ys[1], y2: ys[ys.length - 1] };
    };
    const cols = new Map<number, Array<{ y1: number; y2: number }>>();
    for (const x of c) {
      const s = span(x);
      const list = cols.get(s.reach) ?? [];
      for (const o of list) expect(s.y2 < o.y1 || s.y1 > o.y2).toBe(true);
      list.push(s);
      cols.set(s.reach, list);
    }
    expect(cols.size).toBeLessThanOrEqual(CONNECTOR_SLOTS);
    for (let i = 0; i < c.length; i++) {
      for (let j = i + 1; j < c.length; j++) {
        const a = c[i];
        const b = c[j];
        const overlapX = a.labelX < b.labelX + b.label.length * 6 && b.labelX < a.labelX + a.label.length * 6;
        if (overlapX) expect(Math.abs(a.labelY - b.labelY)).toBeGreaterThanOrEqual(12);
      }
    }
    // The selected frame's brackets are all drawn, however crowded.
    const sel = diagramConnectors(m, links, undefined, new Set([20]));
    expect(sel.filter((x) => x.from === 20 || x.to === 20)).toHaveLength(links.filter((l) => l.from === 20 || l.to === 20).length);
  });
});
