// Exporting the sequence diagram of a whole session (not only the rows on screen): the model over every row
// given, heart-beats placed by time, and a note when the export is capped or filtered.
import { describe, expect, it } from 'vitest';
import type { FrameRowDto, HeartbeatDto } from '../../shared/api/index.js';
import { buildDiagram, DEFAULT_LAYOUT, exportDiagramSvg, exportNote, MAX_EXPORT_FRAMES } from '../../shared/diagram/model.js';

const row = (i: number, connection = 1 + (i % 3)): FrameRowDto => ({
  id: i + 1, number: i + 1, connection, connectionNumber: connection, seq: i + 1, from: i % 2 ? 'broker' : 'client', time: null, command: i % 2 ? 'MESSAGE' : 'SEND',
  destination: `/queue/q${i}`, size: 10, issues: 0, t: 1_000_000 + i * 1000, ref: null, info: '', severity: null,
});
const conns = [1, 2, 3].map((c) => ({ connection: c, client: `127.0.0.1:${5000 + c}` }));
const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('sequence diagram export', () => {
  it('draws every row given, top to bottom, with the lanes and the time of each', () => {
    const rows = Array.from({ length: 500 }, (_, i) => row(i));
    const svg = exportDiagramSvg({ connections: conns, rows, total: 500, t0: 1_000_000 });
    expect(count(svg, /marker-end="url\(#arrow\)"/g)).toBe(500);
    expect(svg).toContain('>SEND /queue/q0<');
    expect(svg).toContain('>MESSAGE /queue/q499<');
    expect(svg).toContain('>+0.499 s<');
    for (const c of conns) expect(svg).toContain(`>127.0.0.1:${5000 + c.connection}<`);
    // The document is as tall as all its rows, not a screenful.
    const height = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    expect(height).toBeGreaterThanOrEqual(DEFAULT_LAYOUT.top + 500 * DEFAULT_LAYOUT.rowHeight);
    expect(svg).not.toContain('font-style="italic"');
  });

  it('says so at the foot when capped, and names the filter', () => {
    const rows = Array.from({ length: 3 }, (_, i) => row(i));
    const capped = exportDiagramSvg({ connections: conns, rows, total: 25_000, filter: 'command == "SEND"' });
    expect(capped).toContain(`The first 3 of 25,000 frames matching command == &quot;SEND&quot; (an export stops at ${MAX_EXPORT_FRAMES.toLocaleString('en-US')} frames).`);
    expect(exportNote(10_000, 10_000)).toBeUndefined();
    expect(exportNote(7, 7, 'issue')).toBe('7 frames matching issue.');
    expect(exportNote(10_000, 1_000_000)).toBe('The first 10,000 of 1,000,000 frames (an export stops at 10,000 frames).');
  });

  it('places heart-beats by time in a long diagram, fast', () => {
    const rows = Array.from({ length: MAX_EXPORT_FRAMES }, (_, i) => row(i));
    // One heart-beat from each side half-way between every pair of frames.
    const hbs: HeartbeatDto[] = rows.slice(0, -1).map((r) => ({ connection: r.connection, from: r.id % 2 ? 'client' : 'broker', t: r.t + 500 }));
    const started = performance.now();
    const m = buildDiagram(conns, rows, 0, rows.length, hbs, rows[0].t);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(m.arrows).toHaveLength(MAX_EXPORT_FRAMES);
    expect(m.marks).toHaveLength(MAX_EXPORT_FRAMES - 1);
    // The heart-beat after frame i sits between arrows i and i+1.
    for (const i of [0, 1, 4_999, 9_998]) expect(m.marks[i].y).toBe(m.arrows[i].y + DEFAULT_LAYOUT.rowHeight / 2);
    // Heart-beats at the very time of a frame go after it; those outside the rows' time are left out.
    const edge = buildDiagram(conns, rows.slice(0, 3), 0, 3, [{ connection: 1, from: 'client', t: rows[1].t }, { connection: 1, from: 'client', t: 0 }]);
    expect(edge.marks.map((k) => k.y)).toEqual([edge.arrows[1].y + DEFAULT_LAYOUT.rowHeight / 2]);
    const svg = exportDiagramSvg({ connections: conns, rows, total: rows.length, heartbeats: hbs });
    expect(count(svg, /<circle /g)).toBe(MAX_EXPORT_FRAMES - 1);
  });

  it('exports an empty diagram as a valid document', () => {
    const svg = exportDiagramSvg({ connections: [], rows: [], total: 0 });
    expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>$/);
    expect(svg).toContain('>broker<');
  });
});
