// Geometry of the statistics view's charts, as plain numbers for an SVG: rate over time per destination (lines)
// and latency histograms per correlation kind (bars on 1-2-5 bins, with percentile markers). Pure, so the
// component only draws and the shapes are testable without a DOM.
import type { LatencyStatsDto, SessionStatsDto } from '../api/dtos.js';
import { formatMicros } from './latency.js';

export interface ChartBox {
  width: number;
  height: number;
  /** Room for the axes' labels: left, bottom, and above the top line. */
  left: number;
  bottom: number;
  top: number;
}

export const RATE_BOX: ChartBox = { width: 760, height: 230, left: 56, bottom: 22, top: 10 };
export const HISTOGRAM_BOX: ChartBox = { width: 360, height: 160, left: 40, bottom: 34, top: 10 };

/** One line per destination and command, coloured per destination. */
export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#475569'];

/** The smallest 1-2-5 number at or above x (at least 1). */
export function niceCeil(x: number): number {
  if (!(x > 1)) return 1;
  const decade = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * decade >= x - 1e-9) return m * decade;
  return 10 * decade;
}

export interface RateLine {
  destination: string;
  command: 'SEND' | 'MESSAGE';
  color: string;
  /** The destination's place (0, 1, …): picks its colour and its marker's shape, so that lines of equal rates stay told apart. */
  series: number;
  total: number;
  /** SVG polyline points ("x,y x,y …"). */
  points: string;
  /** The same points as numbers, for the markers. */
  xy: Array<[number, number]>;
}

/** Marker shapes by series: with the dash (SEND solid, MESSAGE dashed), a line is told apart without its colour. */
export const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
export type MarkerShape = (typeof MARKERS)[number];

/** The SVG path of a marker of `shape` centred on (x, y), `r` its half size. */
export function markerPath(shape: MarkerShape, x: number, y: number, r = 3.5): string {
  switch (shape) {
    case 'circle':
      return `M${x - r},${y} a${r},${r} 0 1,0 ${2 * r},0 a${r},${r} 0 1,0 ${-2 * r},0`;
    case 'square':
      return `M${x - r},${y - r} h${2 * r} v${2 * r} h${-2 * r} z`;
    case 'triangle':
      return `M${x},${y - r} L${x + r},${y + r} L${x - r},${y + r} z`;
    case 'diamond':
      return `M${x},${y - r} L${x + r},${y} L${x},${y + r} L${x - r},${y} z`;
    default:
      return `M${x - r},${y - r} L${x + r},${y + r} M${x + r},${y - r} L${x - r},${y + r}`;
  }
}

export interface RateChartModel {
  box: ChartBox;
  /** Frames per second at the top of the chart. */
  max: number;
  yTicks: Array<{ y: number; label: string }>;
  xTicks: Array<{ x: number; label: string }>;
  lines: RateLine[];
}

/** Rate (frames per second) of each destination's SENDs and MESSAGEs, one point per bucket at its middle. */
export function rateChart(s: SessionStatsDto, box: ChartBox = RATE_BOX): RateChartModel {
  const perSecond = 1e6 / s.bucketUs;
  const plotW = box.width - box.left;
  const plotH = box.height - box.bottom - box.top;
  let top = 0;
  for (const d of s.destinations) for (const v of [...d.sendBuckets, ...d.messageBuckets]) top = Math.max(top, v * perSecond);
  const max = niceCeil(top);
  const x = (i: number) => box.left + ((i + 0.5) / s.buckets) * plotW;
  const y = (rate: number) => box.top + plotH - (rate / max) * plotH;
  const lines: RateLine[] = [];
  s.destinations.forEach((d, k) => {
    const color = PALETTE[k % PALETTE.length];
    const line = (command: 'SEND' | 'MESSAGE', values: number[], total: number) => {
      if (total <= 0) return;
      const xy = values.map((v, i): [number, number] => [r(x(i)), r(y(v * perSecond))]);
      lines.push({ destination: d.destination, command, color, series: k, total, xy, points: xy.map(([a, b]) => `${a},${b}`).join(' ') });
    };
    line('SEND', d.sendBuckets, d.send);
    line('MESSAGE', d.messageBuckets, d.message);
  });
  const yTicks = [0, 0.5, 1].map((f) => ({ y: r(y(max * f)), label: `${fmt(max * f)}/s` }));
  const spanS = (s.buckets * s.bucketUs) / 1e6;
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ x: r(box.left + f * plotW), label: `+${fmtSeconds(f * spanS)}` }));
  return { box, max, yTicks, xTicks, lines };
}

export interface HistogramBar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  label: string;
}

export interface HistogramModel {
  box: ChartBox;
  kind: string;
  max: number;
  bars: HistogramBar[];
  /** Percentile markers at their place on the binned axis. */
  markers: Array<{ name: string; x: number; value: string }>;
  /** Bin edge labels under the axis, as many as fit without overlapping (the last one anchored at its end). */
  edges: Array<{ x: number; label: string; anchor: 'start' | 'middle' | 'end' }>;
}

export function histogram(l: LatencyStatsDto, box: ChartBox = HISTOGRAM_BOX): HistogramModel {
  const plotW = box.width - box.left;
  const plotH = box.height - box.bottom - box.top;
  const n = Math.max(1, l.bins.length);
  const bw = plotW / n;
  const max = niceCeil(Math.max(0, ...l.bins.map((b) => b.count)));
  const bars = l.bins.map((b, i) => {
    const h = (b.count / max) * plotH;
    return { x: r(box.left + i * bw + 1), y: r(box.top + plotH - h), width: r(Math.max(1, bw - 2)), height: r(h), count: b.count, label: `${formatMicros(b.lo)} – ${formatMicros(b.hi)}: ${b.count}` };
  });
  // A value's place: its bin, then linearly inside the bin.
  const xOf = (v: number) => {
    const i = l.bins.findIndex((b) => v >= b.lo && v < b.hi);
    if (i < 0) return box.left + plotW;
    const b = l.bins[i];
    return box.left + (i + (v - b.lo) / (b.hi - b.lo)) * bw;
  };
  const markers = ([['p50', l.p50], ['p90', l.p90], ['p99', l.p99]] as const).map(([name, v]) => ({ name, x: r(xOf(v)), value: formatMicros(v) }));
  // Labels are at most about 7 characters ("500 ms", "1.2 min") of a 10 px font: one label per LABEL_PX.
  const step = Math.max(1, Math.ceil(LABEL_PX / bw));
  const edges: HistogramModel['edges'] = l.bins
    .map((b, i) => ({ x: r(box.left + i * bw), label: formatMicros(b.lo), anchor: 'middle' as const }))
    .filter((_, i) => i % step === 0);
  const end = { x: r(box.left + plotW), label: formatMicros(l.bins[l.bins.length - 1]?.hi ?? 0), anchor: 'end' as const };
  // The last label is drawn leftwards from the axis' end; the one before it must end before it starts.
  while (edges.length > 1 && end.x - LABEL_PX - edges[edges.length - 1].x < LABEL_PX / 2) edges.pop();
  edges.push(end);
  return { box, kind: l.kind, max, bars, markers, edges };
}

const r = (v: number) => Math.round(v * 10) / 10;
const LABEL_PX = 44;

function fmt(v: number): string {
  return v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
}

function fmtSeconds(s: number): string {
  if (s >= 120) return `${(s / 60).toFixed(1)} min`;
  if (s >= 10) return `${Math.round(s)} s`;
  return `${s.toFixed(s >= 1 ? 1 : 3)} s`;
}
