// `stompscope report`: statistics of recorded sessions, per session and per connection (duration, frames by
// command, bytes, per-destination counts and rates, latency percentiles per link kind, heart-beat health, issues
// grouped by severity and code). The counting is the statistics engine's (core/read/stats.ts), the
// same that answers `session.stats`; this file only arranges its answers as the report (the --json output) and
// its text.

import { issueInfo } from '../../../shared/issues.js';
import type { LatencySummary } from '../../../shared/stats/latency.js';
import type { Direction, Severity } from '../../../shared/stomp/types.js';
import type { Db } from '../store/db.js';
import { StatsEngine, type DestinationCounts } from './stats.js';
import { isoMicros } from './frame-json.js';

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
  /** The connection's id… */
  connection: number;
  /** …and its number within the session (`#k`, as the UI and the other commands show it). */
  number: number;
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

function latencyReport(l: LatencySummary | undefined): LatencyReport {
  return l ? { count: l.count, p50: l.p50, p90: l.p90, p99: l.p99, max: l.max } : { count: 0, p50: null, p90: null, p99: null, max: null };
}

function latencyByKind(summaries: Map<string, LatencySummary>): Common['latency'] {
  return Object.fromEntries(LATENCY_KINDS.map((k) => [k, latencyReport(summaries.get(k))])) as Common['latency'];
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

/** The report lists named destinations only, with rates over the duration of the session or connection. */
function destinations(counts: DestinationCounts[], durationUs: number | null): DestinationReport[] {
  const secs = durationUs && durationUs > 0 ? durationUs / 1e6 : null;
  return counts.filter((d): d is DestinationCounts & { destination: string } => d.destination !== null).map((d) => ({
    destination: d.destination, send: d.send, message: d.message,
    sendPerSecond: secs ? d.send / secs : null, messagePerSecond: secs ? d.message / secs : null,
  }));
}

/** Computes the report of one session, or of every session when `session` is null. */
export function computeReport(db: Db, opts: { session?: number | null } = {}): SessionReport[] {
  const engine = new StatsEngine(db);
  const q = {
    sessions: db.prepare(`SELECT * FROM sessions WHERE (@s IS NULL OR id = @s) ORDER BY id`),
    connections: db.prepare(`SELECT * FROM connections WHERE session_id = ? ORDER BY id`),
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
    const hb = { connections: conns.length, ok: 0, missed: 0, none: 0 };
    for (const c of conns) hb[c.heartbeats.health]++;
    const scope = { session: sessionId };
    const report: SessionReport = {
      session: sessionId, kind: s.kind as string, name: s.name as string, state: s.state as string,
      started: isoMicros(started), ended: isoMicros(s.ended as number | null), durationUs,
      connectionCount: conns.length,
      frames: engine.frames(scope),
      bytes: { client: conns.reduce((n, c) => n + c.bytes.client, 0), broker: conns.reduce((n, c) => n + c.bytes.broker, 0) },
      destinations: destinations(engine.destinations(scope), durationUs),
      latency: latencyByKind(engine.latency(scope)),
      heartbeats: hb,
      issues: groupIssues(engine.issues(scope)),
      connections: conns.map(({ endUs: _e, ...c }) => c),
    };
    return report;
  });

  function connectionReport(c: Record<string, unknown>): ConnectionReport & { endUs: number | null } {
    const id = c.id as number;
    const opened = c.opened as number;
    const endUs = (c.closed as number | null) ?? engine.lastFrameTime(id);
    const durationUs = endUs === null ? null : endUs - opened;
    const scope = { connection: id };
    const hb = engine.heartBeats(id, endUs);
    return {
      connection: id, number: (c.number as number | null) ?? id, client: c.client as string, broker: c.broker as string, transport: c.transport as string,
      version: c.version as string | null, profile: (c.profile as string | null | undefined) ?? null,
      started: isoMicros(opened), ended: isoMicros(c.closed as number | null), durationUs, closeReason: c.close_reason as string | null,
      frames: engine.frames(scope),
      bytes: { client: c.bytes_client as number, broker: c.bytes_broker as number },
      destinations: destinations(engine.destinations(scope), durationUs),
      latency: latencyByKind(engine.latency(scope)),
      heartbeats: {
        negotiated: hb.negotiated, received: { client: c.heartbeats_client as number, broker: c.heartbeats_broker as number },
        longestSilence: hb.longestSilence, missed: hb.missed, health: hb.health,
      },
      issues: groupIssues(engine.issues(scope)),
      endUs,
    };
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
      out.push(`  Connection #${c.number} (id ${c.connection}): ${c.client} → ${c.broker} (${c.transport}), STOMP ${c.version ?? '?'}` +
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
