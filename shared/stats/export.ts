// The statistics view as files: its tables as CSV (RFC 4180) and its charts as one standalone SVG document. Pure,
// so the core writes them for the host's save path (`session.export` formats stats.csv and stats.svg) from the
// same numbers and geometry the view draws.
import type { ConnectionDto, SessionStatsDto } from '../api/dtos.js';
import { histogram, markerPath, MARKERS, rateChart, type ChartBox } from './chart.js';
import { formatMicros } from './latency.js';

/**
 * What each correlation kind's latency measures, named after what is measured: a SUBSCRIBE is answered by every
 * MESSAGE of its subscription, so its latencies are times since subscribing, not a round trip.
 */
export const LATENCY_NAMES: Record<string, string> = {
  connect: 'CONNECT → CONNECTED',
  receipt: 'frame → its RECEIPT',
  subscription: 'time since SUBSCRIBE, per MESSAGE',
  ack: 'MESSAGE → its ACK / NACK',
  transaction: 'BEGIN → COMMIT / ABORT',
  'in-transaction': 'time since BEGIN, per frame in the transaction',
  delivery: 'SEND → its MESSAGE (delivery)',
};

export const latencyName = (kind: string) => LATENCY_NAMES[kind] ?? kind;

/** One CSV field, quoted when it must be (RFC 4180 §2). */
function field(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const row = (...vs: Array<string | number | null>) => vs.map(field).join(',') + '\r\n';

/** The view's tables, one after another, each under a `# title` line and its own header row. */
export function statsCsv(s: SessionStatsDto, connections: ConnectionDto[]): string {
  let out = `# session ${s.session} statistics\r\n`;
  out += `\r\n# frames by command\r\n${row('command', 'from client', 'from broker', 'total')}`;
  for (const c of s.commands) out += row(c.command, c.client, c.broker, c.client + c.broker);
  out += `\r\n# frame bytes by direction\r\n${row('direction', 'bytes')}${row('client → broker', s.bytes.client)}${row('broker → client', s.bytes.broker)}`;
  out += `\r\n# destinations\r\n${row('destination', 'SEND', 'MESSAGE')}`;
  for (const d of s.destinationTable) out += row(d.destination, d.send, d.message);
  out += `\r\n# connections\r\n${row('connection', 'client', 'broker', 'transport', 'version', 'frames from client', 'frames from broker', 'bytes from client', 'bytes from broker', 'issues')}`;
  for (const c of connections) out += row(c.connection, c.client, c.broker, c.transport, c.version, c.frames.client, c.frames.broker, c.bytes.client, c.bytes.broker, c.issues);
  out += `\r\n# latency (µs)\r\n${row('kind', 'measures', 'count', 'p50', 'p90', 'p99', 'max')}`;
  for (const l of s.latency) out += row(l.kind, latencyName(l.kind), l.count, l.p50, l.p90, l.p99, l.max);
  out += `\r\n# rate per bucket (frames; bucket ${s.bucketUs} µs from t0 ${s.t0})\r\n${row('bucket', 'start µs', 'destination', 'SEND', 'MESSAGE')}`;
  for (const d of s.destinations) {
    for (let b = 0; b < s.buckets; b++) out += row(b, s.t0 + b * s.bucketUs, d.destination, d.sendBuckets[b] ?? 0, d.messageBuckets[b] ?? 0);
  }
  return out;
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Series colours of the standalone file (the page uses its theme's tokens instead). */
const COLORS = ['#1d5fd1', '#b42318', '#1e7a3c', '#8a5300', '#6d28d9', '#0e7490', '#be185d', '#4d7c0f', '#7e22ce', '#475569'];
const PCT_COLORS: Record<string, string> = { p50: '#1e7a3c', p90: '#8a5300', p99: '#b42318' };

/** The rate chart (with its legend) and the latency histograms (with p50/p90/p99 and their legend), stacked. */
export function statsSvg(s: SessionStatsDto): string {
  const width = 800;
  const parts: string[] = [];
  let y = 10;
  const title = (t: string) => {
    parts.push(`<text x="10" y="${y + 14}" font-weight="bold" font-size="13">${esc(t)}</text>`);
    y += 24;
  };
  title(`Session ${s.session}: SEND and MESSAGE frames per second per destination`);
  if (s.destinations.length) {
    const box: ChartBox = { width: 760, height: 230, left: 56, bottom: 22, top: 10 };
    const m = rateChart(s, box);
    const g: string[] = [];
    for (const t of m.yTicks) g.push(`<line x1="${box.left}" x2="${box.width}" y1="${t.y}" y2="${t.y}" stroke="#d5dbe3"/><text x="${box.left - 4}" y="${t.y + 4}" text-anchor="end" fill="#505b6b">${esc(t.label)}</text>`);
    m.xTicks.forEach((t, i) => g.push(`<text x="${t.x}" y="${box.height - 6}" text-anchor="${i === 0 ? 'start' : i === m.xTicks.length - 1 ? 'end' : 'middle'}" fill="#505b6b">${esc(t.label)}</text>`));
    for (const l of m.lines) {
      const c = COLORS[l.series % COLORS.length];
      g.push(`<polyline points="${l.points}" fill="none" stroke="${c}" stroke-width="1.5"${l.command === 'MESSAGE' ? ' stroke-dasharray="6 3"' : ''}/>`);
      const shape = MARKERS[l.series % MARKERS.length];
      for (const [px, py] of l.xy) g.push(`<path d="${markerPath(shape, px, py, l.command === 'MESSAGE' ? 4.5 : 3)}" fill="${l.command === 'MESSAGE' ? 'none' : c}" stroke="${c}"/>`);
    }
    parts.push(`<g transform="translate(10 ${y})">${g.join('')}</g>`);
    y += box.height + 8;
    for (const l of m.lines) {
      const c = COLORS[l.series % COLORS.length];
      const shape = MARKERS[l.series % MARKERS.length];
      parts.push(`<line x1="20" x2="50" y1="${y + 6}" y2="${y + 6}" stroke="${c}" stroke-width="1.5"${l.command === 'MESSAGE' ? ' stroke-dasharray="6 3"' : ''}/>`
        + `<path d="${markerPath(shape, 35, y + 6, l.command === 'MESSAGE' ? 4.5 : 3)}" fill="${l.command === 'MESSAGE' ? 'none' : c}" stroke="${c}"/>`
        + `<text x="58" y="${y + 10}">${esc(`${l.command} ${l.destination} (${l.total})`)}</text>`);
      y += 16;
    }
  } else {
    parts.push(`<text x="10" y="${y + 12}" fill="#505b6b">No SEND or MESSAGE frames.</text>`);
    y += 20;
  }
  y += 10;
  title('Latency per correlation (histogram; p50, p90, p99 marked)');
  let col = 0;
  let rowTop = y;
  for (const l of s.latency) {
    const h = histogram(l);
    const x0 = 10 + col * 390;
    const g: string[] = [`<text x="0" y="0" font-weight="bold">${esc(latencyName(l.kind))}</text>`,
      `<text x="0" y="14" fill="#505b6b">${esc(`${l.count} · p50 ${formatMicros(l.p50)} · p90 ${formatMicros(l.p90)} · p99 ${formatMicros(l.p99)} · max ${formatMicros(l.max)}`)}</text>`];
    const t = `translate(0 20)`;
    const inner: string[] = [`<text x="${h.box.left - 4}" y="${h.box.top + 4}" text-anchor="end" fill="#505b6b">${h.max}</text>`];
    for (const b of h.bars) inner.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="#7aa7e8"/>`);
    for (const mk of h.markers) inner.push(`<line x1="${mk.x}" x2="${mk.x}" y1="${h.box.top}" y2="${h.box.height - h.box.bottom}" stroke="${PCT_COLORS[mk.name]}" stroke-width="1.5" stroke-dasharray="${mk.name === 'p50' ? '1 0' : mk.name === 'p90' ? '4 2' : '1 2'}"/>`);
    for (const e of h.edges) inner.push(`<text x="${e.x}" y="${h.box.height - h.box.bottom + 12}" text-anchor="${e.anchor}" fill="#505b6b" font-size="10">${esc(e.label)}</text>`);
    g.push(`<g transform="${t}">${inner.join('')}</g>`);
    parts.push(`<g transform="translate(${x0} ${rowTop + 12})">${g.join('')}</g>`);
    if (++col === 2) {
      col = 0;
      rowTop += h.box.height + 40;
    }
  }
  y = rowTop + (col ? 200 : 0) + 10;
  if (s.latency.length) {
    for (const [name, c] of Object.entries(PCT_COLORS)) {
      const i = Object.keys(PCT_COLORS).indexOf(name);
      parts.push(`<line x1="${20 + i * 90}" x2="${44 + i * 90}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="1.5" stroke-dasharray="${name === 'p50' ? '1 0' : name === 'p90' ? '4 2' : '1 2'}"/><text x="${48 + i * 90}" y="${y + 4}">${name}</text>`);
    }
    y += 16;
  } else {
    parts.push(`<text x="10" y="${y}" fill="#505b6b">No correlated frames with a latency.</text>`);
    y += 16;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="11">\n`
    + `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
