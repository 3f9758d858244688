// The sequence-diagram model: lanes for each client connection and the broker, one arrow per frame, heart-beats
// as marks. Pure: the component only draws it, so the layout is tested without a DOM. On screen it is computed for a window of
// rows (the ones in view), so 10,000 frames cost no more than 40; an export computes it over the first
// MAX_EXPORT_FRAMES rows of the session, in the core.
import type { ConnectionDto, FrameRowDto, HeartbeatDto } from '../api/dtos.js';
import { MAX_EXPORT_FRAMES } from '../api/limits.js';

export { MAX_EXPORT_FRAMES };

export interface DiagramLayout {
  laneWidth: number;
  rowHeight: number;
  /** Width of the time column on the left. */
  timeWidth: number;
  top: number;
  /** Room right of the broker lane (default: half a lane). */
  bracketRoom?: number;
}

export const DEFAULT_LAYOUT: DiagramLayout = { laneWidth: 220, rowHeight: 28, timeWidth: 110, top: 40 };

export interface Lane {
  key: string;
  label: string;
  sublabel: string;
  x: number;
  /** The connection this lane is (null: the broker, or the lane of the connections not shown). */
  connection?: number | null;
  /** The lane of the connections not shown: how many there are. */
  others?: number;
}

export interface Arrow {
  frameId: number;
  index: number;
  y: number;
  x1: number;
  x2: number;
  label: string;
  /** The label as drawn: cut with an ellipsis to the arrow's length, so it never runs past its lanes. */
  text: string;
  connection: number;
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

/** Approximate advance of a character of the diagram's 12 px UI font, for fitting labels without measuring text. */
export const CHAR_PX = 6.8;

/** `text` cut to at most `px` wide, with an ellipsis when cut. */
export function fitText(text: string, px: number): string {
  const n = Math.floor(px / CHAR_PX);
  if (text.length <= n) return text;
  return n <= 1 ? '…' : `${text.slice(0, n - 1)}…`;
}

/** `text` cut to at most `px` wide keeping its end (an address's port tells connections apart), with an ellipsis. */
export function fitTextEnd(text: string, px: number): string {
  const n = Math.floor(px / CHAR_PX);
  if (text.length <= n) return text;
  return n <= 1 ? '…' : `…${text.slice(text.length - n + 1)}`;
}

/** Which connections get a lane of their own; the others share one lane ("N others"). Null: all of them. */
export type LaneChoice = ReadonlySet<number> | null;

/**
 * Lays out rows `start…start+rows.length` of a `total`-row diagram. Lanes: one per connection in `connections`
 * order (client side; with `shown`, only those, the rest in one "others" lane), then the broker on the right.
 * Heart-beats between two arrows are placed by time.
 */
export function buildDiagram(
  connections: Array<Pick<ConnectionDto, 'connection' | 'client'> & { number?: number }>,
  rows: FrameRowDto[],
  start: number,
  total: number,
  heartbeats: HeartbeatDto[] = [],
  t0 = rows[0]?.t ?? 0,
  layout: DiagramLayout = DEFAULT_LAYOUT,
  shown: LaneChoice = null,
  /** The name of a connection on its lane and in the others lane ("#3"): its number within the session where known. */
  nameOf?: (connection: number) => string,
): DiagramModel {
  // By default a connection is named by its number within the session (`#k`), as the list shows it.
  if (!nameOf) {
    const numbers = new Map<number, number>();
    for (const c of connections) if (c.number !== undefined) numbers.set(c.connection, c.number);
    for (const r of rows) if (r.connectionNumber !== undefined && !numbers.has(r.connection)) numbers.set(r.connection, r.connectionNumber);
    nameOf = (c) => `#${numbers.get(c) ?? c}`;
  }
  const name = nameOf;
  const laneX = new Map<number, number>();
  const lanes: Lane[] = [];
  const hidden = shown ? connections.filter((c) => !shown.has(c.connection)) : [];
  for (const c of connections) {
    if (shown && !shown.has(c.connection)) continue;
    const x = layout.timeWidth + layout.laneWidth * (lanes.length + 0.5);
    laneX.set(c.connection, x);
    lanes.push({ key: `c${c.connection}`, label: name(c.connection), sublabel: c.client, x, connection: c.connection });
  }
  // Frames of connections not in the list (a brand-new one while recording) get lanes too, unless lanes were chosen.
  for (const r of rows) {
    if (!laneX.has(r.connection) && !shown) {
      const x = layout.timeWidth + layout.laneWidth * (lanes.length + 0.5);
      laneX.set(r.connection, x);
      lanes.push({ key: `c${r.connection}`, label: name(r.connection), sublabel: '', x, connection: r.connection });
    }
  }
  let othersX: number | null = null;
  if (shown && (hidden.length || rows.some((r) => !laneX.has(r.connection)))) {
    othersX = layout.timeWidth + layout.laneWidth * (lanes.length + 0.5);
    lanes.push({ key: 'others', label: `${hidden.length} others`, sublabel: 'one lane', x: othersX, connection: null, others: hidden.length });
  }
  const brokerX = layout.timeWidth + layout.laneWidth * (lanes.length + 0.5) + layout.laneWidth / 2;
  lanes.push({ key: 'broker', label: 'broker', sublabel: '', x: brokerX, connection: null });
  const xOf = (conn: number) => laneX.get(conn) ?? othersX!;
  const yOf = (i: number) => layout.top + (start + i + 0.5) * layout.rowHeight;
  const arrows: Arrow[] = rows.map((r, i) => {
    const cx = xOf(r.connection);
    const inOthers = !laneX.has(r.connection);
    const label = inOthers ? `${name(r.connection)} ${arrowLabel(r)}` : arrowLabel(r);
    return {
      frameId: r.id, index: start + i, y: yOf(i), x1: r.from === 'client' ? cx : brokerX, x2: r.from === 'client' ? brokerX : cx,
      label, text: fitText(label, Math.abs(brokerX - cx) - 8), connection: r.connection,
      command: r.command, from: r.from, time: relativeTime(r.t, t0), severity: r.severity,
    };
  });
  const marks: Mark[] = [];
  if (rows.length) {
    for (const h of heartbeats) {
      const x = laneX.get(h.connection);
      if (x === undefined || h.t < rows[0].t || h.t > rows[rows.length - 1].t) continue;
      // The heart-beat sits between the last arrow at or before its time and the next one. Rows are in capture
      // order, which is time order: a binary search keeps a whole-session export (10,000 rows, as many
      // heart-beats) from costing rows × heart-beats.
      let lo = 0;
      let hi = rows.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (rows[mid].t <= h.t) lo = mid;
        else hi = mid - 1;
      }
      marks.push({ x: h.from === 'client' ? x + 8 : brokerX - 8, y: yOf(lo) + layout.rowHeight / 2, from: h.from });
    }
  }
  const right = layout.bracketRoom ?? layout.laneWidth / 2;
  return { lanes, arrows, marks, width: brokerX + right, height: layout.top + total * layout.rowHeight + layout.rowHeight };
}

/** The narrowest lane the screen uses: a lane header ("#12", a shortened address) and a short label still fit. */
export const MIN_LANE_PX = 64;
/** Room right of the broker lane for the correlation brackets and their latency labels. */
export const BRACKET_ROOM_PX = 150;

/**
 * The screen's lanes for a viewport `width` px wide: every connection when they all fit at MIN_LANE_PX, else as
 * many as fit, the busiest first unless the user chose them (`chosen`), the rest in the others lane. Lanes share
 * the width; `zoomX` above 1 widens them past it (the diagram then scrolls sideways).
 */
export function fitLanes(
  connections: ReadonlyArray<Pick<ConnectionDto, 'connection' | 'frames'>>,
  width: number,
  zoomX: number,
  chosen: LaneChoice,
  timeWidth = DEFAULT_LAYOUT.timeWidth,
): { laneWidth: number; shown: LaneChoice; capacity: number } {
  const avail = Math.max(MIN_LANE_PX * 2, width - timeWidth - BRACKET_ROOM_PX);
  // The broker sits one lane right of the last client lane, so n client lanes take n + 1 lane widths; with the
  // others lane, `capacity` connections keep lanes of their own.
  const capacity = Math.max(1, Math.floor(avail / MIN_LANE_PX) - 2);
  let shown: LaneChoice = chosen;
  if (!shown && connections.length > capacity + 1) {
    const busiest = [...connections].sort((a, b) => b.frames.client + b.frames.broker - (a.frames.client + a.frames.broker) || a.connection - b.connection);
    shown = new Set(busiest.slice(0, capacity).map((c) => c.connection));
  }
  const clientLanes = shown ? Math.min(shown.size, connections.length) + (shown.size < connections.length ? 1 : 0) : connections.length;
  const laneWidth = Math.max(MIN_LANE_PX, Math.min(avail / (clientLanes + 1), 400)) * Math.max(1, zoomX);
  return { laneWidth, shown, capacity };
}

/** Correlation kinds drawn as connectors by default: one answer each. SUBSCRIBE -> MESSAGE and in-transaction fan out. */
export const CONNECTOR_KINDS: readonly string[] = ['connect', 'receipt', 'ack', 'transaction', 'delivery'];

/** Brackets nest in at most this many columns right of the broker lane; one that finds none free is not drawn. */
export const CONNECTOR_SLOTS = 4;
const SLOT_PX = 14;
/** Height of a latency label (10 px font) plus a gap: labels closer than this would overprint. */
const LABEL_H = 12;
const LABEL_CHAR_PX = 5.8;

export interface Connector {
  kind: string;
  from: number;
  to: number;
  /** A bracket right of the broker lane, from the first frame's arrow to the answer's. */
  path: string;
  /** Where the latency label goes. */
  labelX: number;
  labelY: number;
  label: string;
}

/**
 * Connectors between linked frames that are both on screen (every arrow touches the broker lane, so a bracket
 * on its right joins any two). Only brackets that can be read are drawn: each takes the innermost column whose
 * brackets it does not overlap, and its latency label must not overprint another; a bracket that finds no free
 * column or no room for its label is left out (the frame detail's related frames still list it), unless it
 * touches a frame in `keep` (the selection), which is placed first.
 */
export function diagramConnectors(
  m: Pick<DiagramModel, 'arrows' | 'lanes'>,
  links: ReadonlyArray<{ kind: string; from: number; to: number; latencyUs: number | null }>,
  kinds: readonly string[] = CONNECTOR_KINDS,
  keep: ReadonlySet<number> = new Set(),
): Connector[] {
  const broker = m.lanes[m.lanes.length - 1];
  if (!broker) return [];
  const y = new Map(m.arrows.map((a) => [a.frameId, a.y]));
  const wanted = links
    .filter((l) => y.has(l.from) && y.has(l.to) && kinds.includes(l.kind))
    .map((l) => ({ l, y1: Math.min(y.get(l.from)!, y.get(l.to)!), y2: Math.max(y.get(l.from)!, y.get(l.to)!), hot: keep.has(l.from) || keep.has(l.to) }))
    // The selection's first, then short before long: short brackets nest inside, and most answers are close.
    .sort((a, b) => Number(b.hot) - Number(a.hot) || a.y2 - a.y1 - (b.y2 - b.y1) || a.y1 - b.y1);
  const columns: Array<Array<[number, number]>> = Array.from({ length: CONNECTOR_SLOTS }, () => []);
  const labels: Array<{ x1: number; x2: number; y: number }> = [];
  const out: Connector[] = [];
  const x = broker.x + 2;
  for (const w of wanted) {
    const slot = columns.findIndex((col) => col.every(([a, b]) => w.y2 + 2 < a || w.y1 - 2 > b));
    if (slot < 0 && !w.hot) continue;
    const s = Math.max(0, slot);
    const reach = 14 + SLOT_PX * s;
    const label = w.l.latencyUs === null ? w.l.kind : formatLatency(w.l.latencyUs);
    const labelX = x + reach * 0.75 + 3;
    const labelY = (w.y1 + w.y2) / 2 + 4;
    const box = { x1: labelX, x2: labelX + label.length * LABEL_CHAR_PX, y: labelY };
    const clash = labels.some((o) => Math.abs(o.y - box.y) < LABEL_H && o.x1 < box.x2 && box.x1 < o.x2);
    if (clash && !w.hot) continue;
    if (slot >= 0) columns[slot].push([w.y1, w.y2]);
    labels.push(box);
    const y1 = y.get(w.l.from)!;
    const y2 = y.get(w.l.to)!;
    out.push({ kind: w.l.kind, from: w.l.from, to: w.l.to, path: `M${x},${y1} C${x + reach},${y1} ${x + reach},${y2} ${x},${y2}`, labelX, labelY, label });
  }
  return out;
}

function formatLatency(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A standalone SVG document of the model (the rows it was built for), with an optional note at the foot and the
 * correlation connectors among its arrows (diagramConnectors).
 */
export function diagramToSvg(m: DiagramModel, layout: DiagramLayout = DEFAULT_LAYOUT, note?: string, connectors: Connector[] = []): string {
  const first = m.arrows[0]?.y ?? layout.top;
  const last = m.arrows[m.arrows.length - 1]?.y ?? layout.top;
  const shift = first - layout.top - layout.rowHeight / 2;
  const bottom = last - shift + layout.rowHeight;
  const h = note ? bottom + 24 : bottom;
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
  if (connectors.length) {
    out.push(`<g transform="translate(0 ${-shift})">`);
    for (const c of connectors) {
      out.push(`<path class="link-${esc(c.kind)}" d="${c.path}" fill="none" stroke="#8b5cf6" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${c.labelX}" y="${c.labelY}" fill="#6d28d9" font-size="10">${esc(c.label)}</text>`);
    }
    out.push('</g>');
  }
  if (note) out.push(`<text x="4" y="${bottom + 16}" fill="#b45309" font-style="italic">${esc(note)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** Most heart-beat marks in one export (a chatty 1 s heart-beat over a long capture would dwarf the frames). */
export const MAX_EXPORT_HEARTBEATS = 20_000;

export interface DiagramExportInput {
  connections: Pick<ConnectionDto, 'connection' | 'client'>[];
  /** The first rows of the session (or of its display filter), in capture order, at most MAX_EXPORT_FRAMES. */
  rows: FrameRowDto[];
  /** How many frames the session (or the filter) has in all; more than `rows.length` means the export is capped. */
  total: number;
  heartbeats?: HeartbeatDto[];
  /** Time zero of the time column (µs): the session's first frame, as in the list. */
  t0?: number;
  /** The display filter the rows went through, said in the note when not empty. */
  filter?: string;
  /** Correlation links answered by these rows (the core's diagram.links), drawn as connectors. */
  links?: ReadonlyArray<{ kind: string; from: number; to: number; latencyUs: number | null }>;
}

export function exportNote(frames: number, total: number, filter = ''): string | undefined {
  const n = (x: number) => x.toLocaleString('en-US');
  const through = filter ? ` matching ${filter}` : '';
  if (frames < total) return `The first ${n(frames)} of ${n(total)} frames${through} (an export stops at ${n(MAX_EXPORT_FRAMES)} frames).`;
  return filter ? `${n(total)} frames${through}.` : undefined;
}

/** The whole diagram of the rows given (not a window of them) as a standalone SVG document. */
export function exportDiagramSvg(input: DiagramExportInput, layout: DiagramLayout = DEFAULT_LAYOUT): string {
  const { rows } = input;
  const model = buildDiagram(input.connections, rows, 0, rows.length, input.heartbeats ?? [], input.t0 ?? rows[0]?.t ?? 0, layout);
  return diagramToSvg(model, layout, exportNote(rows.length, input.total, input.filter), diagramConnectors(model, input.links ?? []));
}
