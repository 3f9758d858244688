// The sequence-diagram model: lanes for each client connection and the broker, one arrow per frame, heart-beats
// as marks. Pure: the component only draws it (DESIGN.md principle 7). It is computed for a window of rows
// (the ones on screen), so 10,000 frames cost no more than 40.
import type { ConnectionDto, FrameRowDto, HeartbeatDto } from '../api.js';

export interface DiagramLayout {
  laneWidth: number;
  rowHeight: number;
  /** Width of the time column on the left. */
  timeWidth: number;
  top: number;
}

export const DEFAULT_LAYOUT: DiagramLayout = { laneWidth: 220, rowHeight: 28, timeWidth: 110, top: 40 };

export interface Lane {
  key: string;
  label: string;
  sublabel: string;
  x: number;
}

export interface Arrow {
  frameId: number;
  index: number;
  y: number;
  x1: number;
  x2: number;
  label: string;
  command: string;
  from: 'client' | 'broker';
  time: string;
  severity: FrameRowDto['severity'];
}

export interface Mark {
  x: number;
  y: number;
  from: 'client' | 'broker';
}

export interface DiagramModel {
  lanes: Lane[];
  arrows: Arrow[];
  marks: Mark[];
  width: number;
  /** Height of the whole diagram (all `total` rows), for the scroll area. */
  height: number;
}

export function arrowLabel(f: Pick<FrameRowDto, 'command' | 'destination' | 'ref'>): string {
  if (f.destination) return `${f.command} ${f.destination}`;
  if (f.ref) return `${f.command} ${f.ref}`;
  return f.command;
}

/** "+1.234 s" relative to `t0` (µs). */
export function relativeTime(t: number, t0: number): string {
  const s = (t - t0) / 1e6;
  return `+${s.toFixed(s < 10 ? 3 : 2)} s`;
}

/**
 * Lays out rows `start…start+rows.length` of a `total`-row diagram. Lanes: one per connection in `connections`
 * order (client side), then the broker on the right. Heart-beats between two arrows are placed by time.
 */
export function buildDiagram(
  connections: Pick<ConnectionDto, 'connection' | 'client'>[],
  rows: FrameRowDto[],
  start: number,
  total: number,
  heartbeats: HeartbeatDto[] = [],
  t0 = rows[0]?.t ?? 0,
  layout: DiagramLayout = DEFAULT_LAYOUT,
): DiagramModel {
  const laneX = new Map<number, number>();
  const lanes: Lane[] = connections.map((c, i) => {
    const x = layout.timeWidth + layout.laneWidth * (i + 0.5);
    laneX.set(c.connection, x);
    return { key: `c${c.connection}`, label: `#${c.connection}`, sublabel: c.client, x };
  });
  // Frames of connections not in the list (a brand-new one while recording) get lanes too.
  for (const r of rows) {
    if (!laneX.has(r.connection)) {
      const x = layout.timeWidth + layout.laneWidth * (lanes.length + 0.5);
      laneX.set(r.connection, x);
      lanes.push({ key: `c${r.connection}`, label: `#${r.connection}`, sublabel: '', x });
    }
  }
  const brokerX = layout.timeWidth + layout.laneWidth * (lanes.length + 0.5) + layout.laneWidth / 2;
  lanes.push({ key: 'broker', label: 'broker', sublabel: '', x: brokerX });
  const yOf = (i: number) => layout.top + (start + i + 0.5) * layout.rowHeight;
  const arrows: Arrow[] = rows.map((r, i) => {
    const cx = laneX.get(r.connection)!;
    return {
      frameId: r.id, index: start + i, y: yOf(i), x1: r.from === 'client' ? cx : brokerX, x2: r.from === 'client' ? brokerX : cx,
      label: arrowLabel(r), command: r.command, from: r.from, time: relativeTime(r.t, t0), severity: r.severity,
    };
  });
  const marks: Mark[] = [];
  if (rows.length) {
    for (const h of heartbeats) {
      const x = laneX.get(h.connection);
      if (x === undefined || h.t < rows[0].t || h.t > rows[rows.length - 1].t) continue;
      // The heart-beat sits between the last arrow at or before its time and the next one.
      let i = 0;
      while (i + 1 < rows.length && rows[i + 1].t <= h.t) i++;
      marks.push({ x: h.from === 'client' ? x + 8 : brokerX - 8, y: yOf(i) + layout.rowHeight / 2, from: h.from });
    }
  }
  return { lanes, arrows, marks, width: brokerX + layout.laneWidth / 2, height: layout.top + total * layout.rowHeight + layout.rowHeight };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A standalone SVG document of the model (the rows it was built for). */
export function diagramToSvg(m: DiagramModel, layout: DiagramLayout = DEFAULT_LAYOUT): string {
  const first = m.arrows[0]?.y ?? layout.top;
  const last = m.arrows[m.arrows.length - 1]?.y ?? layout.top;
  const shift = first - layout.top - layout.rowHeight / 2;
  const h = last - shift + layout.rowHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${m.width}" height="${h}" viewBox="0 0 ${m.width} ${h}" font-family="sans-serif" font-size="12">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  for (const l of m.lanes) {
    out.push(`<line x1="${l.x}" y1="${layout.top - 10}" x2="${l.x}" y2="${h}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${l.x}" y="16" text-anchor="middle" font-weight="bold">${esc(l.label)}</text>`);
    if (l.sublabel) out.push(`<text x="${l.x}" y="30" text-anchor="middle" fill="#666">${esc(l.sublabel)}</text>`);
  }
  for (const a of m.arrows) {
    const y = a.y - shift;
    const color = a.severity === 'error' ? '#b91c1c' : a.severity === 'warning' ? '#b45309' : '#333';
    out.push(`<text x="4" y="${y + 4}" fill="#666">${esc(a.time)}</text>`);
    out.push(`<line x1="${a.x1}" y1="${y}" x2="${a.x2}" y2="${y}" stroke="${color}" marker-end="url(#arrow)"/>`);
    out.push(`<text x="${(a.x1 + a.x2) / 2}" y="${y - 4}" text-anchor="middle" fill="${color}">${esc(a.label)}</text>`);
  }
  for (const k of m.marks) out.push(`<circle cx="${k.x}" cy="${k.y - shift}" r="2.5" fill="#999"/>`);
  out.push('</svg>');
  return out.join('\n');
}
