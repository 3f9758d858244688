// The read side of the statistics view: SEND and MESSAGE counts per destination over time buckets (the rate
// chart), and latency percentiles and histograms per correlation kind (from links.latency). Counting is one
// grouped SQL pass over the session's SEND and MESSAGE rows (frames_command); latencies are read per kind
// through links_session_kind and summarised in shared/stats/latency.ts.
import type { DestinationRateDto, LatencyStatsDto, SessionStatsDto } from '../../../shared/api/index.js';
import { niceCeil } from '../../../shared/stats/chart.js';
import { summarizeLatencies } from '../../../shared/stats/latency.js';
import type { Db } from '../store/db.js';

export const DEFAULT_STATS_BUCKETS = 60;
export const DEFAULT_STATS_DESTINATIONS = 10;
/** The correlation kinds in the order a person reads them; others (from a newer engine) follow by name. */
export const LINK_KINDS = ['connect', 'receipt', 'subscription', 'ack', 'transaction', 'in-transaction', 'delivery'];
/** Label of frames without a destination header in the rate chart. */
export const NO_DESTINATION = '(no destination)';

export class StatsReader {
  private readonly firstTime;
  private readonly lastTime;
  private readonly rates;
  private readonly kinds;
  private readonly latencies;

  constructor(db: Db) {
    this.firstTime = db.prepare(`SELECT time FROM frames WHERE session_id = ? ORDER BY id LIMIT 1`).pluck();
    this.lastTime = db.prepare(`SELECT time FROM frames WHERE session_id = ? ORDER BY id DESC LIMIT 1`).pluck();
    // Integer division puts each frame in its bucket (the CAST: bound numbers may arrive as REAL); the clamp keeps
    // frames stored out of time order (captures with clock steps) inside the chart.
    this.rates = db.prepare(`SELECT destination, command, min(?, max(0, CAST((time - ?) / ? AS INTEGER))) AS b, count(*) AS n FROM frames
      WHERE session_id = ? AND command IN ('SEND', 'MESSAGE') GROUP BY destination, command, b`);
    this.kinds = db.prepare(`SELECT DISTINCT kind FROM links WHERE session_id = ?`).pluck();
    this.latencies = db.prepare(`SELECT latency FROM links WHERE session_id = ? AND kind = ? AND latency IS NOT NULL`).pluck();
    this.version = db.prepare(`SELECT (SELECT max(id) FROM frames WHERE session_id = ?) || ':' || (SELECT max(rowid) FROM links) || ':' || (SELECT started FROM sessions WHERE id = ?)`).pluck();
  }

  private readonly version;
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
    const t0 = (this.firstTime.get(session) as number | undefined) ?? 0;
    const t1 = Math.max(t0, (this.lastTime.get(session) as number | undefined) ?? t0);
    // A round bucket (1, 2 or 5 times a power of ten µs: 100 ms, 2 s…), so rates read plainly; at most `most` of them.
    const bucketUs = niceCeil(Math.ceil((t1 - t0 + 1) / most));
    const buckets = Math.max(1, Math.ceil((t1 - t0 + 1) / bucketUs));

    const dests = new Map<string, DestinationRateDto>();
    for (const r of this.rates.all(buckets - 1, t0, bucketUs, session) as Array<{ destination: string | null; command: string; b: number; n: number }>) {
      const name = r.destination ?? NO_DESTINATION;
      let d = dests.get(name);
      if (!d) dests.set(name, (d = { destination: name, send: 0, message: 0, sendBuckets: new Array<number>(buckets).fill(0), messageBuckets: new Array<number>(buckets).fill(0) }));
      if (r.command === 'SEND') {
        d.send += r.n;
        d.sendBuckets[r.b] += r.n;
      } else {
        d.message += r.n;
        d.messageBuckets[r.b] += r.n;
      }
    }
    const ranked = [...dests.values()].sort((a, b) => b.send + b.message - (a.send + a.message) || a.destination.localeCompare(b.destination));
    const rest = ranked.slice(top);

    const kinds = (this.kinds.all(session) as string[]).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const latency: LatencyStatsDto[] = [];
    for (const kind of kinds) {
      const values = Float64Array.from(this.latencies.all(session, kind) as number[]);
      if (!values.length) continue;
      latency.push({ kind, ...summarizeLatencies(values) });
    }
    return {
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
