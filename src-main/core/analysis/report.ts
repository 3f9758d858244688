// Statistics of recorded sessions, computed from the store (frames, heart-beats, links, issues): per session
// and per connection, duration, frames by command, bytes, per-destination counts and rates, latency
// percentiles per link kind, heart-beat health, issues grouped by severity and code. `stompscope report`
// prints it; the same object is its --json output.

import { issueInfo } from '../../../shared/issues.js';
import { parseHeartBeat, negotiateHeartBeat } from '../../../shared/stomp/version.js';
import { headerValue } from '../../../shared/stomp/escape.js';
import { percentile } from '../../../shared/stats/latency.js';
import type { Direction, RawHeader, Severity } from '../../../shared/stomp/types.js';
import type { Db } from '../store/db.js';
import type { StoredNegotiation } from '../store/writer.js';
import { isoMicros } from '../views/frame-json.js';

/** The link kinds whose latencies the report summarises (subscription and in-transaction links are not latencies). */
export const LATENCY_KINDS = ['connect', 'receipt', 'ack', 'delivery', 'transaction'] as const;

export interface LatencyReport {
  count: number;
  /** Microseconds, nearest-rank percentiles; null without links. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface DestinationReport {
  destination: string;
  send: number;
  message: number;
  /** Frames per second over the duration of the session or connection; null when it lasted no time. */
  sendPerSecond: number | null;
  messagePerSecond: number | null;
}

export interface IssueGroup {
  severity: Severity;
  count: number;
  codes: Array<{ code: string; title: string; count: number }>;
}

export interface HeartbeatReport {
  /** Negotiated periods (ms, 0 = none), or null when the CONNECT/CONNECTED exchange was not seen. */
  negotiated: { clientToBroker: number; brokerToClient: number } | null;
  /** Heart-beats (EOLs) received from each side. */
  received: Record<Direction, number>;
  /** Longest silence from each side (µs) between data, and from the last data to the close. */
  longestSilence: Record<Direction, number | null>;
  /** heartbeat-missed findings. */
  missed: number;
  /** 'none' (not negotiated or unknown), 'ok', or 'missed'. */
  health: 'none' | 'ok' | 'missed';
}

interface Common {
  started: string | null;
  ended: string | null;
  /** Microseconds; null while still open with no frames. */
  durationUs: number | null;
  frames: { total: number; byCommand: Record<string, number> };
  bytes: Record<Direction, number>;
  destinations: DestinationReport[];
  latency: Record<(typeof LATENCY_KINDS)[number], LatencyReport>;
  issues: { total: number; groups: IssueGroup[] };
}

export interface ConnectionReport extends Common {
  connection: number;
  client: string;
  broker: string;
  transport: string;
  version: string | null;
  profile: string | null;
  closeReason: string | null;
  heartbeats: HeartbeatReport;
}

export interface SessionReport extends Common {
  session: number;
  kind: string;
  name: string;
  state: string;
  connectionCount: number;
  heartbeats: { connections: number; ok: number; missed: number; none: number };
  connections: ConnectionReport[];
}

export class ReportError extends Error {}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note'];

function latencies(values: number[]): LatencyReport {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  const sorted = Float64Array.from(values, (v) => Math.max(0, v)).sort();
  return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
}

function groupIssues(rows: Array<{ severity: string; code: string; n: number }>): { total: number; groups: IssueGroup[] } {
  const groups: IssueGroup[] = [];
  let total = 0;
  for (const severity of SEVERITIES) {
    const codes = rows.filter((r) => r.severity === severity).map((r) => ({ code: r.code, title: issueInfo(r.code)?.title ?? r.code, count: r.n }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
    const count = codes.reduce((n, c) => n + c.count, 0);
    total += count;
    if (count) groups.push({ severity, count, codes });
  }
  return { total, groups };
}

function destinations(rows: Array<{ destination: string; command: string; n: number }>, durationUs: number | null): DestinationReport[] {
  const by = new Map<string, DestinationReport>();
  const secs = durationUs && durationUs > 0 ? durationUs / 1e6 : null;
  for (const r of rows) {
    let d = by.get(r.destination);
    if (!d) by.set(r.destination, (d = { destination: r.destination, send: 0, message: 0, sendPerSecond: null, messagePerSecond: null }));
    if (r.command === 'SEND') d.send += r.n;
    else d.message += r.n;
  }
  for (const d of by.values()) {
    d.sendPerSecond = secs ? d.send / secs : null;
    d.messagePerSecond = secs ? d.message / secs : null;
  }
  return [...by.values()].sort((a, b) => b.send + b.message - (a.send + a.message) || a.destination.localeCompare(b.destination));
}

function byCommand(rows: Array<{ command: string; n: number }>): { total: number; byCommand: Record<string, number> } {
  const out: Record<string, number> = {};
  let total = 0;
  for (const r of rows.sort((a, b) => b.n - a.n || a.command.localeCompare(b.command))) {
    out[r.command] = r.n;
    total += r.n;
  }
  return { total, byCommand: out };
}

function latencyByKind(rows: Array<{ kind: string; latency: number | null }>): Common['latency'] {
  const by = new Map<string, number[]>();
  for (const r of rows) if (r.latency !== null) (by.get(r.kind) ?? by.set(r.kind, []).get(r.kind)!).push(r.latency);
  return Object.fromEntries(LATENCY_KINDS.map((k) => [k, latencies(by.get(k) ?? [])])) as Common['latency'];
}

/** Computes the report of one session, or of every session when `session` is null. */
export function computeReport(db: Db, opts: { session?: number | null } = {}): SessionReport[] {
  // A database written before correlation existed (schema 1, opened read-only, so not migrated) has no links.
  const hasLinks = !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'links'`).get();
  const q = {
    sessions: db.prepare(`SELECT * FROM sessions WHERE (@s IS NULL OR id = @s) ORDER BY id`),
    connections: db.prepare(`SELECT * FROM connections WHERE session_id = ? ORDER BY id`),
    commands: db.prepare(`SELECT command, count(*) n FROM frames WHERE connection_id = ? GROUP BY command`),
    dests: db.prepare(`SELECT destination, command, count(*) n FROM frames WHERE connection_id = ? AND command IN ('SEND', 'MESSAGE')
      AND destination IS NOT NULL GROUP BY destination, command`),
    lastFrame: db.prepare(`SELECT max(time) FROM frames WHERE connection_id = ?`).pluck(),
    // Links belong to the connection of the frame they lead to (a delivery link leads to the consumer's MESSAGE).
    links: hasLinks ? db.prepare(`SELECT l.kind, l.latency FROM links l JOIN frames f ON f.id = l.to_frame WHERE f.connection_id = ?`) : null,
    issues: db.prepare(`SELECT severity, code, count(*) n FROM issues WHERE connection_id = ? GROUP BY severity, code`),
    sessionIssues: db.prepare(`SELECT severity, code, count(*) n FROM issues WHERE session_id = ? GROUP BY severity, code`),
    handshake: db.prepare(`SELECT dir, command, headers FROM frames WHERE connection_id = ? AND command IN ('CONNECT', 'STOMP', 'CONNECTED')
      ORDER BY seq LIMIT 4`),
    silence: db.prepare(`SELECT max(t - prev) gap, max(t) last FROM (SELECT t, lag(t) OVER (ORDER BY t) prev FROM (
      SELECT time t FROM frames WHERE connection_id = @c AND dir = @d UNION ALL SELECT time t FROM heartbeats WHERE connection_id = @c AND dir = @d))`),
    missed: db.prepare(`SELECT count(*) FROM issues WHERE connection_id = ? AND code = 'heartbeat-missed'`).pluck(),
  };
  const rows = q.sessions.all({ s: opts.session ?? null }) as Array<Record<string, unknown>>;
  if (opts.session != null && rows.length === 0) throw new ReportError(`no session ${opts.session} in the database`);
  return rows.map((s) => {
    const sessionId = s.id as number;
    const conns = (q.connections.all(sessionId) as Array<Record<string, unknown>>).map((c) => connectionReport(c));
    const started = s.started as number;
    const lastSeen = conns.reduce((m, c) => Math.max(m, c.endUs ?? started), started);
    const end = (s.ended as number | null) ?? lastSeen;
    const durationUs = end - started;
    const sum = <T,>(f: (c: ConnectionReport) => Record<string, T>) => conns.map(f);
    const commands = new Map<string, number>();
    for (const byCmd of sum((c) => c.frames.byCommand)) for (const [k, n] of Object.entries(byCmd)) commands.set(k, (commands.get(k) ?? 0) + (n as number));
    const destRows: Array<{ destination: string; command: string; n: number }> = [];
    for (const c of conns) for (const d of c.destinations) destRows.push({ destination: d.destination, command: 'SEND', n: d.send }, { destination: d.destination, command: 'MESSAGE', n: d.message });
    const linkRows: Array<{ kind: string; latency: number | null }> = [];
    for (const c of conns) linkRows.push(...c.linkRows);
    const hb = { connections: conns.length, ok: 0, missed: 0, none: 0 };
    for (const c of conns) hb[c.heartbeats.health]++;
    const report: SessionReport = {
      session: sessionId, kind: s.kind as string, name: s.name as string, state: s.state as string,
      started: isoMicros(started), ended: isoMicros(s.ended as number | null), durationUs,
      connectionCount: conns.length,
      frames: byCommand([...commands].map(([command, n]) => ({ command, n }))),
      bytes: { client: conns.reduce((n, c) => n + c.bytes.client, 0), broker: conns.reduce((n, c) => n + c.bytes.broker, 0) },
      destinations: destinations(destRows, durationUs),
      latency: latencyByKind(linkRows),
      heartbeats: hb,
      issues: groupIssues(q.sessionIssues.all(sessionId) as Array<{ severity: string; code: string; n: number }>),
      connections: conns.map(({ endUs: _e, linkRows: _l, ...c }) => c),
    };
    return report;
  });

  function connectionReport(c: Record<string, unknown>): ConnectionReport & { endUs: number | null; linkRows: Array<{ kind: string; latency: number | null }> } {
    const id = c.id as number;
    const opened = c.opened as number;
    const last = q.lastFrame.get(id) as number | null;
    const endUs = (c.closed as number | null) ?? last;
    const durationUs = endUs === null ? null : endUs - opened;
    const linkRows = (q.links?.all(id) ?? []) as Array<{ kind: string; latency: number | null }>;
    return {
      connection: id, client: c.client as string, broker: c.broker as string, transport: c.transport as string,
      version: c.version as string | null, profile: (c.profile as string | null | undefined) ?? null,
      started: isoMicros(opened), ended: isoMicros(c.closed as number | null), durationUs, closeReason: c.close_reason as string | null,
      frames: byCommand(q.commands.all(id) as Array<{ command: string; n: number }>),
      bytes: { client: c.bytes_client as number, broker: c.bytes_broker as number },
      destinations: destinations(q.dests.all(id) as Array<{ destination: string; command: string; n: number }>, durationUs),
      latency: latencyByKind(linkRows),
      heartbeats: heartbeats(c, endUs),
      issues: groupIssues(q.issues.all(id) as Array<{ severity: string; code: string; n: number }>),
      endUs, linkRows,
    };
  }

  function heartbeats(c: Record<string, unknown>, endUs: number | null): HeartbeatReport {
    const id = c.id as number;
    const negotiated = storedNegotiation(c) ?? derivedNegotiation(id);
    const longestSilence = { client: null as number | null, broker: null as number | null };
    for (const [dir, code] of [['client', 0], ['broker', 1]] as const) {
      const r = q.silence.get({ c: id, d: code }) as { gap: number | null; last: number | null };
      const tail = r.last !== null && endUs !== null ? endUs - r.last : null;
      const gaps = [r.gap, tail].filter((g): g is number => g !== null);
      longestSilence[dir] = gaps.length ? Math.max(...gaps) : null;
    }
    const missed = q.missed.get(id) as number;
    const on = !!negotiated && (negotiated.clientToBroker > 0 || negotiated.brokerToClient > 0);
    return {
      negotiated, received: { client: c.heartbeats_client as number, broker: c.heartbeats_broker as number }, longestSilence, missed,
      health: missed > 0 ? 'missed' : on ? 'ok' : 'none',
    };
  }

  /**
   * The heart-beats negotiated, as the recorder stored them with the connection when it saw CONNECTED; undefined
   * for a connection recorded before they were stored (NULL, or no such column in a database opened read-only).
   */
  function storedNegotiation(c: Record<string, unknown>): HeartbeatReport['negotiated'] | undefined {
    if (typeof c.negotiation !== 'string') return undefined;
    try {
      const n = JSON.parse(c.negotiation) as Partial<StoredNegotiation>;
      return n.heartBeats ?? null;
    } catch {
      return undefined; // not ours to fail on: derive it as for an old recording
    }
  }

  /** An old recording's negotiated heart-beats, derived from its stored CONNECT and CONNECTED as they were recorded. */
  function derivedNegotiation(id: number): HeartbeatReport['negotiated'] {
    let client: RawHeader[] | null = null;
    let broker: RawHeader[] | null = null;
    for (const f of q.handshake.all(id) as Array<{ dir: number; command: string; headers: string }>) {
      // CONNECT and CONNECTED headers are never escaped (STOMP 1.2 §Value Encoding): the raw values are the values.
      if (f.dir === 0 && client === null) client = JSON.parse(f.headers) as RawHeader[];
      else if (f.dir === 1 && broker === null && f.command === 'CONNECTED') broker = JSON.parse(f.headers) as RawHeader[];
    }
    const cs = client ? parseHeartBeat(headerValue(client, 'heart-beat')) : null;
    const bs = broker ? parseHeartBeat(headerValue(broker, 'heart-beat')) : null;
    return cs && bs ? negotiateHeartBeat(cs, bs) : null;
  }
}

// --- text -----------------------------------------------------------------------------------------------------

function us(v: number | null): string {
  if (v === null) return '-';
  if (v < 1000) return `${Math.round(v)} µs`;
  if (v < 1_000_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} ms`;
  return `${(v / 1e6).toFixed(2)} s`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function rate(v: number | null): string {
  return v === null ? '-' : v >= 100 ? `${Math.round(v)}/s` : `${v.toFixed(2)}/s`;
}

function common(r: Common, indent: string): string[] {
  const lines: string[] = [];
  const cmds = Object.entries(r.frames.byCommand).map(([k, n]) => `${k} ${n}`).join(', ');
  lines.push(`${indent}frames: ${r.frames.total}${cmds ? ` (${cmds})` : ''}; bytes: client ${bytes(r.bytes.client)}, broker ${bytes(r.bytes.broker)}`);
  if (r.destinations.length) {
    lines.push(`${indent}destinations:`);
    const w = Math.min(48, Math.max(...r.destinations.map((d) => d.destination.length)));
    for (const d of r.destinations) {
      lines.push(`${indent}  ${d.destination.padEnd(w)}  SEND ${String(d.send).padStart(6)} (${rate(d.sendPerSecond)})  MESSAGE ${String(d.message).padStart(6)} (${rate(d.messagePerSecond)})`);
    }
  }
  const kinds = LATENCY_KINDS.filter((k) => r.latency[k].count > 0);
  if (kinds.length) {
    lines.push(`${indent}latency       count        p50        p90        p99        max`);
    for (const k of kinds) {
      const l = r.latency[k];
      lines.push(`${indent}  ${k.padEnd(11)} ${String(l.count).padStart(6)} ${[l.p50, l.p90, l.p99, l.max].map((v) => us(v).padStart(10)).join(' ')}`);
    }
  }
  if (r.issues.total === 0) lines.push(`${indent}issues: none`);
  else {
    lines.push(`${indent}issues: ${r.issues.groups.map((g) => `${g.count} ${g.severity}${g.count > 1 ? 's' : ''}`).join(', ')}`);
    for (const g of r.issues.groups) {
      for (const c of g.codes) lines.push(`${indent}  ${g.severity.padEnd(8)} ${c.code.padEnd(34)} ${String(c.count).padStart(5)}  ${c.title}`);
    }
  }
  return lines;
}

/** The human-readable report. */
export function formatReport(reports: SessionReport[]): string {
  const out: string[] = [];
  for (const s of reports) {
    out.push(`Session ${s.session} (${s.kind}) ${JSON.stringify(s.name)}: ${s.started ?? '?'} → ${s.ended ?? 'still recording'}, ` +
      `${us(s.durationUs)}, ${s.state}, ${s.connectionCount} connection${s.connectionCount === 1 ? '' : 's'}`);
    out.push(...common(s, '  '));
    const hb = s.heartbeats;
    out.push(`  heart-beats: ${hb.ok} connection(s) healthy, ${hb.missed} with missed heart-beats, ${hb.none} without heart-beats`);
    for (const c of s.connections) {
      out.push('');
      out.push(`  Connection ${c.connection}: ${c.client} → ${c.broker} (${c.transport}), STOMP ${c.version ?? '?'}` +
        `${c.profile ? `, ${c.profile}` : ''}, ${us(c.durationUs)}${c.closeReason ? `, closed: ${c.closeReason}` : ''}`);
      out.push(...common(c, '    '));
      const h = c.heartbeats;
      const neg = h.negotiated
        ? `client → broker ${h.negotiated.clientToBroker ? `every ${h.negotiated.clientToBroker} ms` : 'none'}, broker → client ${h.negotiated.brokerToClient ? `every ${h.negotiated.brokerToClient} ms` : 'none'}`
        : 'not negotiated (no CONNECT/CONNECTED seen)';
      out.push(`    heart-beats: ${h.health}; ${neg}; received client ${h.received.client}, broker ${h.received.broker}; ` +
        `longest silence client ${us(h.longestSilence.client)}, broker ${us(h.longestSilence.broker)}${h.missed ? `; ${h.missed} missed` : ''}`);
    }
    out.push('');
  }
  return out.join('\n');
}
