// Finds the frame nearest a moment, for findings that are about a connection rather than a frame (a heart-beat
// gap, a transaction left open at close): the Expert Info panel jumps there. Binary search over the indexed
// order (frames_connection(connection_id, seq), frames_session(session_id, id)), relying on frames being
// stored in time order within a connection; about 20 index seeks, whatever the size of the session.
import type Database from 'better-sqlite3';
import type { Db } from '../store/db.js';

interface Probe {
  key: number;
  id: number;
  time: number;
}

export class NearestFrame {
  private readonly connFirstAt: Database.Statement<unknown[]>;
  private readonly connLast: Database.Statement<unknown[]>;
  private readonly sessFirstAt: Database.Statement<unknown[]>;
  private readonly sessLast: Database.Statement<unknown[]>;

  constructor(db: Db) {
    this.connFirstAt = db.prepare(`SELECT seq AS key, id, time FROM frames WHERE connection_id = ? AND seq >= ? ORDER BY seq LIMIT 1`);
    this.connLast = db.prepare(`SELECT seq AS key, id, time FROM frames WHERE connection_id = ? ORDER BY seq DESC LIMIT 1`);
    this.sessFirstAt = db.prepare(`SELECT id AS key, id, time FROM frames WHERE session_id = ? AND id >= ? ORDER BY id LIMIT 1`);
    this.sessLast = db.prepare(`SELECT id AS key, id, time FROM frames WHERE session_id = ? ORDER BY id DESC LIMIT 1`);
  }

  /**
   * The first frame of the connection (or, without one, of the session) at or after `t`; past the end, the last
   * frame. Null when there is no frame at all.
   */
  find(session: number, connection: number | null, t: number): number | null {
    const [scope, firstAt, last] = connection === null ? [session, this.sessFirstAt, this.sessLast] : [connection, this.connFirstAt, this.connLast];
    const end = last.get(scope) as Probe | undefined;
    if (!end) return null;
    if (end.time < t) return end.id;
    // Smallest key whose first frame at or after it has time >= t.
    let lo = 0;
    let hi = end.key;
    let best = end.id;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const p = firstAt.get(scope, mid) as Probe;
      if (p.time >= t) {
        best = p.id;
        hi = mid - 1;
      } else lo = p.key + 1;
    }
    return best;
  }
}
