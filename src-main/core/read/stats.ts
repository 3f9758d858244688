// The statistics engine: one place that counts what a session or one of its connections holds (frames by
// command, bytes, SEND and MESSAGE per destination, optionally over time buckets, link latencies per kind,
// issues by severity and code, heart-beat health). Its views: `session.stats` (StatsReader below: the rate
// chart and latency histograms of the statistics view) and `stompscope report` (core/read/report.ts: per
// session and per connection, text or JSON). Counting is grouped SQL over the store's indexes; latencies are
// summarised in shared/stats/latency.ts.
import { MAX_STATS_TABLE_ROWS, type DestinationRateDto, type LatencyStatsDto, type SessionStatsDto } from '../../../shared/api/index.js';
import { niceCeil } from '../../../shared/stats/chart.js';
import { summarizeLatencies, type LatencySummary } from '../../../shared/stats/latency.js';
import { parseHeartBeat, negotiateHeartBeat } from '../../../shared/stomp/version.js';
import { headerValue } from '../../../shared/stomp/escape.js';
import type { Direction, RawHeader } from '../../../shared/stomp/types.js';
import type { Db } from '../store/db.js';
import type { StoredNegotiation } from '../store/writer.js';

/** What is counted: a whole session, or one connection. */
export type StatsScope = { session: number } | { connection: number };

/** Time buckets of the rate chart: bucket b holds frames from t0 + b·bucketUs; frames outside are clamped in. */
export interface Bucketing {
  t0: number;
  bucketUs: number;
  buckets: number;
}

export interface DestinationCounts {
  /** null: SEND or MESSAGE frames without a destination header. */
  destination: string | null;
  send: number;
  message: number;
  /** Only with a Bucketing: counts per bucket. */
  sendBuckets?: number[];
  messageBuckets?: number[];
}

export interface NegotiatedHeartBeat {
  clientToBroker: number;
  brokerToClient: number;
}

export interface ConnectionHeartBeats {
  /** Negotiated periods (ms, 0 = none), or null when the CONNECT/CONNECTED exchange was not seen. */
  negotiated: NegotiatedHeartBeat | null;
  /** Longest silence from each side (µs) between data, and from the last data to `endUs`. */
  longestSilence: Record<Direction, number | null>;
  /** heartbeat-missed findings. */
  missed: number;
  /** 'none' (not negotiated or unknown), 'ok', or 'missed'. */
  health: 'none' | 'ok' | 'missed';
}

export class StatsEngine {
  private readonly q;
  private readonly hasLinks: boolean;

  constructor(db: Db) {
    // A database written before correlation existed (schema 1, opened read-only, so not migrated) has no links.
    this.hasLinks = !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'links'`).get();
    const both = <T,>(make: (column: 'session_id' | 'connection_id') => T) => ({ session: make('session_id'), connection: make('connection_id') });
    this.q = {
      commands: both((c) => db.prepare(`SELECT command, count(*) n FROM frames WHERE ${c} = ? GROUP BY command`)),
      commandsByDir: db.prepare(`SELECT command, dir, count(*) n, sum(length) bytes FROM frames WHERE session_id = ? GROUP BY command, dir`),
      dests: both((c) => db.prepare(`SELECT destination, command, count(*) n FROM frames WHERE ${c} = ? AND command IN ('SEND', 'MESSAGE')
        GROUP BY destination, command`)),
      // Integer division puts each frame in its bucket (the CAST: bound numbers may arrive as REAL); the clamp
      // keeps frames stored out of time order (captures with clock steps) inside the chart.
      destBuckets: both((c) => db.prepare(`SELECT destination, command, min(@last, max(0, CAST((time - @t0) / @w AS INTEGER))) AS b, count(*) AS n
        FROM frames WHERE ${c} = @id AND command IN ('SEND', 'MESSAGE') GROUP BY destination, command, b`)),
      firstTime: both((c) => db.prepare(`SELECT time FROM frames WHERE ${c} = ? ORDER BY ${c === 'session_id' ? 'id' : 'seq'} LIMIT 1`).pluck()),
      lastTime: both((c) => db.prepare(`SELECT time FROM frames WHERE ${c} = ? ORDER BY ${c === 'session_id' ? 'id' : 'seq'} DESC LIMIT 1`).pluck()),
      maxTime: db.prepare(`SELECT max(time) FROM frames WHERE connection_id = ?`).pluck(),
      // A session's links are its own; a connection's are those leading to its frames (a delivery link leads to
      // the consumer's MESSAGE).
      links: this.hasLinks ? {
        session: db.prepare(`SELECT kind, latency FROM links WHERE session_id = ? AND latency IS NOT NULL`),
        connection: db.prepare(`SELECT l.kind, l.latency FROM links l JOIN frames f ON f.id = l.to_frame WHERE f.connection_id = ? AND l.latency IS NOT NULL`),
      } : null,
      issues: both((c) => db.prepare(`SELECT severity, code, count(*) n FROM issues WHERE ${c} = ? GROUP BY severity, code`)),
      handshake: db.prepare(`SELECT dir, command, headers FROM frames WHERE connection_id = ? AND command IN ('CONNECT', 'STOMP', 'CONNECTED')
        ORDER BY seq LIMIT 4`),
      // The whole row: `negotiation` is absent from a database of an older schema opened read-only (never migrated).
      connectionRow: db.prepare(`SELECT * FROM connections WHERE id = ?`),
      silence: db.prepare(`SELECT max(t - prev) gap, max(t) last FROM (SELECT t, lag(t) OVER (ORDER BY t) prev FROM (
        SELECT time t FROM frames WHERE connection_id = @c AND dir = @d UNION ALL SELECT time t FROM heartbeats WHERE connection_id = @c AND dir = @d))`),
      missed: db.prepare(`SELECT count(*) FROM issues WHERE connection_id = ? AND code = 'heartbeat-missed'`).pluck(),
    };
  }

  private static split(scope: StatsScope): ['session' | 'connection', number] {
    return 'session' in scope ? ['session', scope.session] : ['connection', scope.connection];
  }

  /** Frames by command, most first (then by name), and their total. */
  frames(scope: StatsScope): { total: number; byCommand: Record<string, number> } {
    const [k, id] = StatsEngine.split(scope);
    const rows = this.q.commands[k].all(id) as Array<{ command: string; n: number }>;
    const byCommand: Record<string, number> = {};
    let total = 0;
    for (const r of rows.sort((a, b) => b.n - a.n || a.command.localeCompare(b.command))) {
      byCommand[r.command] = r.n;
      total += r.n;
    }
    return { total, byCommand };
  }

  /** A session's frames by command and direction (most first, then by name), and its frame bytes each way. */
  commandsByDirection(session: number): { commands: Array<{ command: string; client: number; broker: number }>; bytes: Record<Direction, number> } {
    const by = new Map<string, { command: string; client: number; broker: number }>();
    const bytes = { client: 0, broker: 0 };
    for (const r of this.q.commandsByDir.all(session) as Array<{ command: string; dir: number; n: number; bytes: number }>) {
      const row = by.get(r.command) ?? { command: r.command, client: 0, broker: 0 };
      row[r.dir === 0 ? 'client' : 'broker'] += r.n;
      bytes[r.dir === 0 ? 'client' : 'broker'] += r.bytes;
      by.set(r.command, row);
    }
    const commands = [...by.values()].sort((a, b) => b.client + b.broker - (a.client + a.broker) || a.command.localeCompare(b.command));
    return { commands, bytes };
  }

  /** First and last frame times (µs), in recorded order; null without frames. */
  span(scope: StatsScope): { first: number; last: number } | null {
    const [k, id] = StatsEngine.split(scope);
    const first = this.q.firstTime[k].get(id) as number | undefined;
    if (first === undefined) return null;
    return { first, last: this.q.lastTime[k].get(id) as number };
  }

  /** The latest frame time of a connection (µs), whatever order frames were stored in; null without frames. */
  lastFrameTime(connection: number): number | null {
    return (this.q.maxTime.get(connection) as number | null) ?? null;
  }

  /** SEND and MESSAGE counts per destination, busiest first (then by name); over time buckets when asked. */
  destinations(scope: StatsScope, bucketing?: Bucketing): DestinationCounts[] {
    const [k, id] = StatsEngine.split(scope);
    const by = new Map<string | null, DestinationCounts>();
    const rows = (bucketing
      ? this.q.destBuckets[k].all({ id, last: bucketing.buckets - 1, t0: bucketing.t0, w: bucketing.bucketUs })
      : this.q.dests[k].all(id)) as Array<{ destination: string | null; command: string; n: number; b?: number }>;
    for (const r of rows) {
      let d = by.get(r.destination);
      if (!d) {
        d = { destination: r.destination, send: 0, message: 0 };
        if (bucketing) {
          d.sendBuckets = new Array<number>(bucketing.buckets).fill(0);
          d.messageBuckets = new Array<number>(bucketing.buckets).fill(0);
        }
        by.set(r.destination, d);
      }
      if (r.command === 'SEND') {
        d.send += r.n;
        if (d.sendBuckets) d.sendBuckets[r.b!] += r.n;
      } else {
        d.message += r.n;
        if (d.messageBuckets) d.messageBuckets[r.b!] += r.n;
      }
    }
    return [...by.values()].sort((a, b) => b.send + b.message - (a.send + a.message) || (a.destination ?? '').localeCompare(b.destination ?? ''));
  }

  /** Link latencies (µs) summarised per kind, for each kind that has links with a latency. */
  latency(scope: StatsScope): Map<string, LatencySummary> {
    const out = new Map<string, LatencySummary>();
    if (!this.q.links) return out;
    const [k, id] = StatsEngine.split(scope);
    const by = new Map<string, number[]>();
    for (const r of this.q.links[k].all(id) as Array<{ kind: string; latency: number }>) (by.get(r.kind) ?? by.set(r.kind, []).get(r.kind)!).push(r.latency);
    for (const [kind, values] of by) out.set(kind, summarizeLatencies(Float64Array.from(values)));
    return out;
  }

  /** Issues counted by severity and code. */
  issues(scope: StatsScope): Array<{ severity: string; code: string; n: number }> {
    const [k, id] = StatsEngine.split(scope);
    return this.q.issues[k].all(id) as Array<{ severity: string; code: string; n: number }>;
  }

  /**
   * The heart-beat periods a connection negotiated (STOMP 1.2 §Heart-beating), from its CONNECT (or STOMP) and
   * CONNECTED frames; null when that exchange was not recorded.
   */
  negotiatedHeartBeat(connection: number): NegotiatedHeartBeat | null {
    const stored = this.storedHeartBeat(connection);
    return stored !== undefined ? stored : this.derivedHeartBeat(connection);
  }

  /**
   * The heart-beats negotiated, as the recorder stored them with the connection when it saw CONNECTED (its
   * conversation stage computed them once); undefined for a connection recorded before they were stored (NULL,
   * or no such column in an older database opened read-only).
   */
  private storedHeartBeat(connection: number): NegotiatedHeartBeat | null | undefined {
    const row = this.q.connectionRow.get(connection) as { negotiation?: unknown } | undefined;
    if (typeof row?.negotiation !== 'string') return undefined;
    try {
      const n = JSON.parse(row.negotiation) as Partial<StoredNegotiation>;
      return n.heartBeats ?? null;
    } catch {
      return undefined; // not ours to fail on: derived as for an old recording
    }
  }

  /** An old recording's negotiated heart-beats, derived from its stored CONNECT and CONNECTED. */
  private derivedHeartBeat(connection: number): NegotiatedHeartBeat | null {
    let client: RawHeader[] | null = null;
    let broker: RawHeader[] | null = null;
    for (const f of this.q.handshake.all(connection) as Array<{ dir: number; command: string; headers: string }>) {
      // CONNECT and CONNECTED headers are never escaped (STOMP 1.2 §Value Encoding): the raw values are the values.
      if (f.dir === 0 && client === null) client = JSON.parse(f.headers) as RawHeader[];
      else if (f.dir === 1 && broker === null && f.command === 'CONNECTED') broker = JSON.parse(f.headers) as RawHeader[];
    }
    const cs = client ? parseHeartBeat(headerValue(client, 'heart-beat')) : null;
    const bs = broker ? parseHeartBeat(headerValue(broker, 'heart-beat')) : null;
    return cs && bs ? negotiateHeartBeat(cs, bs) : null;
  }

  /** A connection's heart-beat health; `endUs` (its close, or its last frame) ends the last silence. */
  heartBeats(connection: number, endUs: number | null): ConnectionHeartBeats {
    const negotiated = this.negotiatedHeartBeat(connection);
    const longestSilence = { client: null as number | null, broker: null as number | null };
    for (const [dir, code] of [['client', 0], ['broker', 1]] as const) {
      const r = this.q.silence.get({ c: connection, d: code }) as { gap: number | null; last: number | null };
      const tail = r.last !== null && endUs !== null ? endUs - r.last : null;
      const gaps = [r.gap, tail].filter((g): g is number => g !== null);
      longestSilence[dir] = gaps.length ? Math.max(...gaps) : null;
    }
    const missed = this.q.missed.get(connection) as number;
    const on = !!negotiated && (negotiated.clientToBroker > 0 || negotiated.brokerToClient > 0);
    return { negotiated, longestSilence, missed, health: missed > 0 ? 'missed' : on ? 'ok' : 'none' };
  }
}

export const DEFAULT_STATS_BUCKETS = 60;
export const DEFAULT_STATS_DESTINATIONS = 10;
/** The correlation kinds in the order a person reads them; others (from a newer engine) follow by name. */
export const LINK_KINDS = ['connect', 'receipt', 'subscription', 'ack', 'transaction', 'in-transaction', 'delivery'];
/** Label of frames without a destination header in the rate chart. */
export const NO_DESTINATION = '(no destination)';

/** `session.stats`: the engine's session scope, as the statistics view's rate chart and latency histograms. */
export class StatsReader {
  private readonly engine;
  private readonly version;

  constructor(db: Db) {
    this.engine = new StatsEngine(db);
    this.version = db.prepare(`SELECT (SELECT max(id) FROM frames WHERE session_id = ?) || ':' || (SELECT max(rowid) FROM links) || ':' || (SELECT started FROM sessions WHERE id = ?)`).pluck();
  }

  /**
   * Answers by session and options, valid while the session's last frame and the last link are the same (two
   * index lookups): a million-frame session takes most of a second to count, and the view is opened often.
   */
  private readonly cache = new Map<string, { version: string; stats: SessionStatsDto }>();

  read(session: number, opts: { buckets?: number; destinations?: number } = {}): SessionStatsDto {
    const most = opts.buckets ?? DEFAULT_STATS_BUCKETS;
    const top = opts.destinations ?? DEFAULT_STATS_DESTINATIONS;
    const key = `${session}:${most}:${top}`;
    const version = String(this.version.get(session, session));
    const hit = this.cache.get(key);
    if (hit && hit.version === version) return hit.stats;
    const stats = this.compute(session, most, top);
    if (this.cache.size >= 16) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { version, stats });
    return stats;
  }

  private compute(session: number, most: number, top: number): SessionStatsDto {
    const span = this.engine.span({ session });
    const t0 = span?.first ?? 0;
    const t1 = Math.max(t0, span?.last ?? t0);
    // A round bucket (1, 2 or 5 times a power of ten µs: 100 ms, 2 s…), so rates read plainly; at most `most` of them.
    const bucketUs = niceCeil(Math.ceil((t1 - t0 + 1) / most));
    const buckets = Math.max(1, Math.ceil((t1 - t0 + 1) / bucketUs));

    const ranked: DestinationRateDto[] = this.engine.destinations({ session }, { t0, bucketUs, buckets }).map((d) => ({
      destination: d.destination ?? NO_DESTINATION, send: d.send, message: d.message, sendBuckets: d.sendBuckets!, messageBuckets: d.messageBuckets!,
    })).sort((a, b) => b.send + b.message - (a.send + a.message) || a.destination.localeCompare(b.destination));
    const rest = ranked.slice(top);

    const summaries = this.engine.latency({ session });
    const kinds = [...summaries.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const latency: LatencyStatsDto[] = kinds.map((kind) => ({ kind, ...summaries.get(kind)! }));
    const { commands, bytes } = this.engine.commandsByDirection(session);
    return {
      commands, bytes,
      destinationTable: ranked.slice(0, MAX_STATS_TABLE_ROWS).map((d) => ({ destination: d.destination, send: d.send, message: d.message })),
      session, t0, t1, bucketUs, buckets, destinations: ranked.slice(0, top),
      otherDestinations: { destinations: rest.length, frames: rest.reduce((s, d) => s + d.send + d.message, 0) },
      latency,
    };
  }
}

function rank(kind: string): number {
  const i = LINK_KINDS.indexOf(kind);
  return i < 0 ? LINK_KINDS.length : i;
}
