// The Connections view (Wireshark's Conversations) and Follow connection (Follow TCP Stream): one row per
// connection with what it negotiated and carried, and one connection's frames both ways as text.
import { ApiError, FOLLOW_TEXT_BYTES, MAX_FOLLOW_FRAMES, type ConnectionOverviewDto, type FollowDto, type FollowEntryDto } from '../../../shared/api/index.js';
import { maskRawFrame } from '../../../shared/stomp/secrets.js';
import type { Severity } from '../../../shared/stomp/types.js';
import type { Db } from '../store/db.js';
import type { StoreReader } from '../store/reader.js';
import { connectionJson } from './frame-json.js';
import type { StatsEngine } from './stats.js';

const text = new TextDecoder('utf-8');

export class ConnectionsReader {
  private readonly q;

  constructor(db: Db, private readonly r: StoreReader, private readonly engine: StatsEngine) {
    this.q = {
      findings: db.prepare(`SELECT connection_id c, severity, count(*) n FROM issues WHERE session_id = ? AND connection_id IS NOT NULL GROUP BY connection_id, severity`),
      lastTimes: db.prepare(`SELECT connection_id c, max(time) t FROM frames WHERE session_id = ? GROUP BY connection_id`),
      count: db.prepare(`SELECT count(*) FROM frames WHERE connection_id = ?`).pluck(),
      frames: db.prepare(`SELECT id, seq, dir, time, offset, length, command FROM frames WHERE connection_id = ? AND seq >= ? ORDER BY seq LIMIT ?`),
    };
  }

  overview(session: number): ConnectionOverviewDto[] {
    const findings = new Map<number, Record<Severity, number>>();
    for (const f of this.q.findings.all(session) as Array<{ c: number; severity: Severity; n: number }>) {
      const row = findings.get(f.c) ?? { error: 0, warning: 0, note: 0 };
      row[f.severity] = f.n;
      findings.set(f.c, row);
    }
    const last = new Map((this.q.lastTimes.all(session) as Array<{ c: number; t: number }>).map((x) => [x.c, x.t]));
    return this.r.connections(session).map((c) => {
      // An open connection lasts so far up to its last frame.
      const end = c.closed ?? last.get(c.id) ?? null;
      return {
        ...connectionJson(c),
        heartBeatNegotiated: this.engine.negotiatedHeartBeat(c.id),
        durationUs: end !== null && c.opened ? Math.max(0, end - c.opened) : null,
        findings: findings.get(c.id) ?? { error: 0, warning: 0, note: 0 },
      };
    });
  }

  follow(connection: number, o: { after?: number; limit?: number; revealSecrets?: boolean }): FollowDto {
    const c = this.r.connection(connection);
    if (!c) throw new ApiError('not-found', `no connection ${connection}`);
    const limit = Math.min(o.limit ?? MAX_FOLLOW_FRAMES, MAX_FOLLOW_FRAMES);
    const rows = this.q.frames.all(connection, o.after ?? 0, limit + 1) as Array<{ id: number; seq: number; dir: number; time: number; offset: number; length: number; command: string }>;
    const more = rows.length > limit;
    const entries: FollowEntryDto[] = rows.slice(0, limit).map((f) => {
      const from = f.dir === 0 ? 'client' : 'broker';
      const want = Math.min(f.length, FOLLOW_TEXT_BYTES);
      const bytes = this.r.readBytes(connection, from, f.offset, want);
      const shown = bytes && !o.revealSecrets ? maskRawFrame(bytes) : bytes;
      // The NUL that ends a frame (STOMP 1.2 §STOMP Frames) is framing, not text.
      let t = shown ? text.decode(shown) : '';
      if (want === f.length && t.endsWith('\0')) t = t.slice(0, -1);
      return { id: f.id, seq: f.seq, from, t: f.time, command: f.command, text: t, length: f.length, truncated: !bytes || want < f.length, missing: !bytes };
    });
    return {
      connection, session: c.sessionId, client: c.client, broker: c.broker, total: this.q.count.get(connection) as number, entries,
      next: more ? rows[limit].seq : null,
    };
  }
}
