// The sequence-diagram model: lanes, arrows, heart-beat marks, windowing, SVG export.
import { describe, expect, it } from 'vitest';
import type { FrameRowDto } from '../../shared/api/index.js';
import { arrowLabel, buildDiagram, DEFAULT_LAYOUT, diagramToSvg } from '../../shared/diagram/model.js';

const row = (id: number, connection: number, from: 'client' | 'broker', command: string, t: number, extra: Partial<FrameRowDto> = {}): FrameRowDto => ({
  id, number: id, connection, connectionNumber: connection, seq: id, from, time: null, command, destination: null, size: 10, issues: 0, t, ref: null, info: '', severity: null, ...extra,
});

describe('sequence diagram model', () => {
  const conns = [{ connection: 1, client: '127.0.0.1:5000' }, { connection: 2, client: '127.0.0.1:5001' }];
  const rows = [
    row(1, 1, 'client', 'CONNECT', 0),
    row(2, 1, 'broker', 'CONNECTED', 1000),
    row(3, 2, 'client', 'SEND', 2000, { destination: '/queue/a' }),
    row(4, 2, 'broker', 'RECEIPT', 3000, { ref: 'r-1', severity: 'warning' }),
  ];

  it('has a lane per connection and the broker on the right, and one arrow per frame', () => {
    const m = buildDiagram(conns, rows, 0, 4);
    expect(m.lanes.map((l) => l.label)).toEqual(['#1', '#2', 'broker']);
    const broker = m.lanes[2].x;
    expect(m.arrows).toHaveLength(4);
    expect(m.arrows[0]).toMatchObject({ frameId: 1, x1: m.lanes[0].x, x2: broker, label: 'CONNECT', time: '+0.000 s' });
    expect(m.arrows[1]).toMatchObject({ x1: broker, x2: m.lanes[0].x });
    expect(m.arrows[2]).toMatchObject({ x1: m.lanes[1].x, label: 'SEND /queue/a' });
    expect(m.arrows[3]).toMatchObject({ label: 'RECEIPT r-1', severity: 'warning', time: '+0.003 s' });
    expect(m.arrows[1].y - m.arrows[0].y).toBe(DEFAULT_LAYOUT.rowHeight);
  });

  it('names lanes by the connections\' numbers within the session, not their ids', () => {
    const m = buildDiagram([{ connection: 27, number: 1, client: 'a' }], [row(201_499, 27, 'client', 'SEND', 0, { connectionNumber: 1 }), row(201_500, 28, 'client', 'SEND', 1, { connectionNumber: 2 })], 0, 2);
    expect(m.lanes.map((l) => l.label)).toEqual(['#1', '#2', 'broker']);
  });

  it('lays out a window of a long diagram at its place, with the full height', () => {
    const m = buildDiagram(conns, rows.slice(2), 9_998, 10_000, [], 0);
    expect(m.arrows[0].index).toBe(9_998);
    expect(m.arrows[0].y).toBe(DEFAULT_LAYOUT.top + 9_998.5 * DEFAULT_LAYOUT.rowHeight);
    expect(m.height).toBeGreaterThan(10_000 * DEFAULT_LAYOUT.rowHeight);
  });

  it('gives an unknown connection a lane of its own', () => {
    const m = buildDiagram(conns, [row(9, 7, 'client', 'SEND', 0)], 0, 1);
    expect(m.lanes.map((l) => l.label)).toEqual(['#1', '#2', '#7', 'broker']);
  });

  it('places heart-beats between the arrows around their time, on their side', () => {
    const m = buildDiagram(conns, rows, 0, 4, [{ connection: 1, from: 'client', t: 1500 }, { connection: 2, from: 'broker', t: 2500 }, { connection: 1, from: 'client', t: 99_999 }]);
    expect(m.marks).toHaveLength(2);
    expect(m.marks[0].y).toBe(m.arrows[1].y + DEFAULT_LAYOUT.rowHeight / 2);
    expect(m.marks[0].x).toBeLessThan(m.lanes[2].x);
    expect(m.marks[1].x).toBe(m.lanes[2].x - 8);
  });

  it('labels arrows with destination, else the receipt or id', () => {
    expect(arrowLabel({ command: 'MESSAGE', destination: '/topic/x', ref: 'sub-1' })).toBe('MESSAGE /topic/x');
    expect(arrowLabel({ command: 'ACK', destination: null, ref: 'a-1' })).toBe('ACK a-1');
    expect(arrowLabel({ command: 'DISCONNECT', destination: null, ref: null })).toBe('DISCONNECT');
  });

  it('exports a standalone SVG with escaped labels', () => {
    const svg = diagramToSvg(buildDiagram(conns, [row(1, 1, 'client', 'SEND', 0, { destination: '/q/<a&b>' })], 0, 1));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('SEND /q/&lt;a&amp;b&gt;');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
