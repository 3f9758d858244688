// Filtered views of a session's frames, by position. The core keeps the ids that match (8 bytes a frame, like
// Wireshark's list of displayed frames); the UI asks only for the rows it shows. Lookups are by id (keyset),
// never OFFSET. A view over a recording session grows as frames arrive.
import { ApiError, type FrameRowDto, type SortDto, type VocabularyDto } from '../../../../shared/api/index.js';
import { MAX_VOCABULARY } from '../../../../shared/api/limits.js';
import { FilterSyntaxError } from '../../../../shared/filter/ast.js';
import { interpretHeaders, headerValue } from '../../../../shared/stomp/escape.js';
import type { RawHeader, Severity, StompVersion } from '../../../../shared/stomp/types.js';
import type Database from 'better-sqlite3';
import type { Db } from '../../store/db.js';
import { isoMicros } from '../frame-json.js';
import { compileFilterText, type SqlCondition } from './compile.js';

export function conditionOf(filter: string): SqlCondition {
  try {
    return compileFilterText(filter);
  } catch (e) {
    if (e instanceof FilterSyntaxError) {
      throw new ApiError('bad-filter', `filter: ${e.message} (at ${e.start + 1})`, { message: e.message, start: e.start, end: e.end });
    }
    throw e;
  }
}

export function fromClause(cond: SqlCondition): string {
  return cond.needsConnection ? 'frames f JOIN connections c ON c.id = f.connection_id' : 'frames f';
}

class IdList {
  ids = new Float64Array(1024);
  length = 0;
  /** False once the list is in another order than by id (a sorted view): lookups then scan. */
  sorted = true;
  push(id: number): void {
    if (this.length === this.ids.length) {
      const n = new Float64Array(this.ids.length * 2);
      n.set(this.ids);
      this.ids = n;
    }
    this.ids[this.length++] = id;
  }
  get last(): number {
    return this.length ? this.ids[this.length - 1] : 0;
  }
  /** Index of the first id >= `id` (in a sorted view: of `id` itself, else of the nearest higher id). */
  lowerBound(id: number): number {
    if (!this.sorted) return this.nearest(id);
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  private nearest(id: number): number {
    let best = -1;
    for (let i = 0; i < this.length; i++) {
      const x = this.ids[i];
      if (x === id) return i;
      if (x > id && (best < 0 || x < this.ids[best])) best = i;
    }
    return best < 0 ? this.length : best;
  }
}

/** The ORDER BY of a sorted view: fixed column names only; a header's name is a bound parameter. */
function orderBy(sort: SortDto | undefined, params: Array<string | number>): { sql: string; conn: boolean } {
  const dir = sort?.desc ? 'DESC' : 'ASC';
  switch (sort?.column ?? 'no') {
    case 'no': return { sql: `f.id ${dir}`, conn: false };
    case 'time': return { sql: `f.time ${dir}, f.id ${dir}`, conn: false };
    case 'conn': return { sql: `f.connection_id ${dir}, f.id`, conn: false };
    case 'from': return { sql: `f.dir ${dir}, f.id`, conn: false };
    case 'command': return { sql: `f.command ${dir}, f.id`, conn: false };
    // Frames without a destination (or header) go last whichever the direction, as in Wireshark.
    case 'destination': return { sql: `f.destination IS NULL, f.destination ${dir}, f.id`, conn: false };
    case 'size': return { sql: `f.length ${dir}, f.id`, conn: false };
    case 'header':
      params.push(sort!.header ?? '', sort!.header ?? '');
      return { sql: `ss_header(f.headers, f.command, c.version, ?) IS NULL, ss_header(f.headers, f.command, c.version, ?) ${dir}, f.id`, conn: true };
  }
}

interface OpenQuery {
  session: number;
  filter: string;
  sort: SortDto | undefined;
  cond: SqlCondition;
  ids: IdList;
  more: Database.Statement<unknown[]>;
  used: number;
  /** The highest id in a sorted view (where the last one is not). */
  maxId?: number;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, note: 1 };
/** Which header identifies the frame in the Subscription / id / receipt column, by command. */
const REF_HEADERS: Record<string, string[]> = {
  SUBSCRIBE: ['id'], UNSUBSCRIBE: ['id'], MESSAGE: ['subscription', 'message-id'], ACK: ['id', 'message-id'], NACK: ['id', 'message-id'],
  RECEIPT: ['receipt-id'], ERROR: ['receipt-id'], BEGIN: ['transaction'], COMMIT: ['transaction'], ABORT: ['transaction'],
};

export class FrameRowMapper {
  private readonly byIds;
  private readonly severities;
  private readonly versionOf;
  private readonly versions = new Map<number, StompVersion | null>();
  private readonly numberOf;
  private readonly numbers = new Map<number, number>();

  constructor(private readonly db: Db) {
    this.byIds = db.prepare(`SELECT f.id, f.number, connection_id, seq, dir, time, command, destination, headers, length, issues, injected,
      r.rule AS rule_name, r.action AS rule_action, r.forwarded AS rule_forwarded, r.synthesized AS rule_synthesized
      FROM frames f LEFT JOIN frame_rules r ON r.frame_id = f.id WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.id`);
    this.severities = db.prepare(`SELECT frame_id, severity FROM issues WHERE frame_id IN (SELECT value FROM json_each(?))`);
    this.versionOf = db.prepare(`SELECT version FROM connections WHERE id = ?`).pluck();
    this.numberOf = db.prepare(`SELECT number FROM connections WHERE id = ?`).pluck();
  }

  /** A connection's number within its session (`#k`); it never changes once stored. */
  connectionNumber(connection: number): number {
    let n = this.numbers.get(connection);
    if (n === undefined) {
      n = (this.numberOf.get(connection) as number | null | undefined) ?? connection;
      this.numbers.set(connection, n);
    }
    return n;
  }

  version(connection: number): StompVersion | null {
    // A recording connection negotiates its version after CONNECTED: only remember it once known.
    const v = this.versions.get(connection);
    if (v !== undefined) return v;
    const found = (this.versionOf.get(connection) as StompVersion | null | undefined) ?? null;
    if (found) this.versions.set(connection, found);
    return found;
  }

  rows(ids: ArrayLike<number>): FrameRowDto[] {
    if (ids.length === 0) return [];
    const json = JSON.stringify(Array.from(ids));
    const raw = this.byIds.all(json) as Array<Record<string, number | string | null>>;
    const worst = new Map<number, Severity>();
    const withIssues = raw.filter((r) => (r.issues as number) > 0).map((r) => r.id);
    if (withIssues.length) {
      for (const i of this.severities.all(JSON.stringify(withIssues)) as Array<{ frame_id: number; severity: Severity }>) {
        const w = worst.get(i.frame_id);
        if (!w || SEVERITY_RANK[i.severity] > SEVERITY_RANK[w]) worst.set(i.frame_id, i.severity);
      }
    }
    return raw.map((f) => this.toRow(f, worst.get(f.id as number) ?? null));
  }

  toRow(f: Record<string, number | string | null>, severity: Severity | null): FrameRowDto {
    const command = f.command as string;
    const conn = f.connection_id as number;
    const { headers } = interpretHeaders(command, JSON.parse(f.headers as string) as RawHeader[], this.version(conn));
    let ref: string | null = null;
    for (const h of REF_HEADERS[command] ?? ['receipt']) {
      const v = headerValue(headers, h);
      if (v !== undefined) {
        ref = v;
        break;
      }
    }
    return {
      id: f.id as number, number: f.number as number, connection: conn, connectionNumber: this.connectionNumber(conn), seq: f.seq as number, from: f.dir === 0 ? 'client' : 'broker', time: isoMicros(f.time as number),
      command, destination: f.destination as string | null, size: f.length as number, issues: f.issues as number, t: f.time as number,
      ref, info: infoOf(command, headers), severity,
      // Only on injected frames, so rows of every other frame keep their shape.
      ...(f.injected === 1 ? { injected: true } : {}),
      // Only on frames a proxy rule acted on or made up.
      ...(f.rule_forwarded !== null && f.rule_forwarded !== undefined ? {
        rule: { name: f.rule_name as string | null, action: f.rule_action as string | null, forwarded: f.rule_forwarded === 1, synthesized: f.rule_synthesized === 1 },
      } : {}),
    };
  }
}

function infoOf(command: string, h: Array<[string, string]>): string {
  const v = (n: string) => headerValue(h, n);
  const parts: string[] = [];
  const add = (n: string, label = n) => {
    const x = v(n);
    if (x !== undefined) parts.push(`${label}=${x.length > 60 ? x.slice(0, 60) + '…' : x}`);
  };
  switch (command) {
    case 'CONNECT':
    case 'STOMP':
      add('accept-version'); add('host'); add('heart-beat');
      break;
    case 'CONNECTED':
      add('version'); add('heart-beat'); add('server');
      break;
    case 'ERROR':
      add('message');
      break;
    case 'MESSAGE':
      add('message-id'); add('ack'); add('content-type'); add('content-length');
      break;
    case 'SEND':
      add('content-type'); add('content-length'); add('transaction');
      break;
    case 'SUBSCRIBE':
      add('ack'); add('selector');
      break;
    default:
      add('transaction');
  }
  return parts.join(' ');
}

/** The open filtered views of one core, at most `max` (the least recently used is dropped). */
export class FrameQueries {
  private readonly open = new Map<number, OpenQuery>();
  private nextId: number;
  private clock = 0;

  /** `firstId`: the first handle given out (a restarted read worker starts past its predecessor's handles). */
  constructor(private readonly db: Db, private readonly rows: FrameRowMapper, private readonly max = 16, firstId = 1) {
    this.nextId = firstId;
  }

  create(session: number, filter: string, sort?: SortDto): { query: number; total: number } {
    const cond = conditionOf(filter);
    const more = this.db.prepare<unknown[]>(`SELECT f.id FROM ${fromClause(cond)} WHERE f.session_id = ? AND f.id > ? AND (${cond.sql}) ORDER BY f.id`).pluck();
    const q: OpenQuery = { session, filter, sort, cond, ids: new IdList(), more, used: ++this.clock };
    if (sort && !(sort.column === 'no' && !sort.desc)) {
      // The whole view is ordered once, here, by SQLite; windows then read positions as for capture order. Frames
      // recorded later are appended at the end (`more` goes on from the highest id seen).
      const params: Array<string | number> = [];
      const order = orderBy(sort, params);
      const from = order.conn && !cond.needsConnection ? 'frames f JOIN connections c ON c.id = f.connection_id' : fromClause(cond);
      const st = this.db.prepare<unknown[]>(`SELECT f.id FROM ${from} WHERE f.session_id = ? AND (${cond.sql}) ORDER BY ${order.sql}`).pluck();
      let max = 0;
      for (const id of st.iterate(session, ...cond.params, ...params) as Iterable<number>) {
        q.ids.push(id);
        if (id > max) max = id;
      }
      q.ids.sorted = false;
      q.maxId = max;
    } else this.extend(q);
    const id = this.nextId++;
    this.open.set(id, q);
    if (this.open.size > this.max) {
      let oldest: number | null = null;
      for (const [k, v] of this.open) if (oldest === null || v.used < this.open.get(oldest)!.used) oldest = k;
      if (oldest !== null) this.open.delete(oldest);
    }
    return { query: id, total: q.ids.length };
  }

  private get(query: number): OpenQuery {
    const q = this.open.get(query);
    if (!q) throw new ApiError('not-found', `no open query ${query} (it was closed or dropped); open it again`);
    q.used = ++this.clock;
    return q;
  }

  /** Adds frames recorded since the last look. */
  private extend(q: OpenQuery): void {
    const after = q.maxId ?? q.ids.last;
    for (const id of q.more.iterate(q.session, after, ...q.cond.params) as Iterable<number>) {
      q.ids.push(id);
      if (q.maxId !== undefined) q.maxId = id;
    }
  }

  window(query: number, start: number, count: number, extra: { colours?: string[]; headers?: string[] } = {}) {
    const q = this.get(query);
    this.extend(q);
    const from = Math.min(start, q.ids.length);
    const to = Math.min(from + count, q.ids.length);
    const slice = q.ids.ids.subarray(from, to);
    let rows = this.rows.rows(slice);
    // Rows come back by id; a sorted view wants them in its own order.
    if (!q.ids.sorted) {
      const byId = new Map(rows.map((r) => [r.id, r]));
      rows = Array.from(slice, (id) => byId.get(id)!).filter(Boolean);
    }
    if (rows.length && (extra.colours?.length || extra.headers?.length)) this.decorate(rows, extra.colours ?? [], extra.headers ?? []);
    return { total: q.ids.length, start: from, rows };
  }

  private readonly decorations = new Map<string, { st: Database.Statement<unknown[]>; params: Array<string | number> }>();

  /**
   * The first colouring rule each row matches and its header columns, in one statement over these rows only: the
   * cost is the window's, not the session's, whatever its size.
   */
  private decorate(rows: FrameRowDto[], colours: string[], headers: string[]): void {
    const key = JSON.stringify([colours, headers]);
    let d = this.decorations.get(key);
    if (!d) {
      const params: Array<string | number> = [];
      const cols: string[] = [];
      if (colours.length) {
        const whens = colours.map((text, i) => {
          let cond: SqlCondition;
          try {
            cond = conditionOf(text);
          } catch (e) {
            const err = e;
            throw err instanceof ApiError ? new ApiError('bad-filter', `colouring rule ${i + 1}: ${err.message}`, err.detail) : e;
          }
          params.push(...cond.params);
          return `WHEN (${cond.sql}) THEN ${i}`;
        });
        cols.push(`CASE ${whens.join(' ')} ELSE NULL END AS colour`);
      } else cols.push('NULL AS colour');
      headers.forEach((h, i) => {
        params.push(h);
        cols.push(`ss_header(f.headers, f.command, c.version, ?) AS h${i}`);
      });
      const st = this.db.prepare<unknown[]>(`SELECT f.id, ${cols.join(', ')} FROM frames f JOIN connections c ON c.id = f.connection_id
        WHERE f.id IN (SELECT value FROM json_each(?))`);
      if (this.decorations.size > 32) this.decorations.clear();
      this.decorations.set(key, (d = { st, params }));
    }
    const out = new Map<number, Record<string, string | number | null>>();
    for (const r of d.st.all(...d.params, JSON.stringify(rows.map((x) => x.id))) as Array<Record<string, string | number | null>>) out.set(r.id as number, r);
    for (const row of rows) {
      const r = out.get(row.id);
      if (colours.length) row.colour = (r?.colour as number | null | undefined) ?? null;
      if (headers.length) row.columns = headers.map((_, i) => (r?.[`h${i}`] as string | null | undefined) ?? null);
    }
  }

  private findStatements = new Map<boolean, Database.Statement<unknown[]>>();

  /**
   * Find in the list: the next position after `from` (before it, `backwards`), wrapping, whose command, a header name
   * or value, or body text contains `text`, case-insensitive. Checked in slices of the view's order, so the first
   * hit is found without reading the rest.
   */
  find(query: number, text: string, from: number, backwards: boolean): { index: number | null; wrapped: boolean } {
    const q = this.get(query);
    this.extend(q);
    const n = q.ids.length;
    if (!text || n === 0) return { index: null, wrapped: false };
    const needle = text.toLowerCase();
    // Headers are matched in their stored form (JSON of the wire's pairs): the needle is JSON-escaped the same way.
    const jsonNeedle = JSON.stringify(needle).slice(1, -1);
    let st = this.findStatements.get(true);
    if (!st) {
      st = this.db.prepare<unknown[]>(`SELECT f.id FROM frames f WHERE f.id IN (SELECT value FROM json_each(?))
        AND (instr(lower(f.command), ?) > 0 OR instr(lower(f.headers), ?) > 0
          OR (f.body_length > 0 AND instr(lower(ss_body(f.connection_id, f.dir, f.body_offset, f.body_length)), ?) > 0))`).pluck();
      this.findStatements.set(true, st);
    }
    const SLICE = 2000;
    const step = backwards ? -1 : 1;
    let pos = Math.max(-1, Math.min(from, n));
    for (let scanned = 0; scanned < n; ) {
      const ids: number[] = [];
      const order: number[] = [];
      for (let k = 0; k < SLICE && scanned < n; k++, scanned++) {
        pos = (((pos + step) % n) + n) % n;
        ids.push(q.ids.ids[pos]);
        order.push(pos);
      }
      const hits = new Set(st.all(JSON.stringify(ids), needle, jsonNeedle, needle) as number[]);
      for (let k = 0; k < ids.length; k++) {
        if (hits.has(ids[k])) {
          const index = order[k];
          return { index, wrapped: backwards ? index > from : index < from || from >= n };
        }
      }
    }
    return { index: null, wrapped: false };
  }

  /** The session and display filter of an open query. */
  describe(query: number): { session: number; filter: string } {
    const q = this.get(query);
    return { session: q.session, filter: q.filter };
  }

  /** The position of frame `id` (or of the nearest one after it); `number`: the frame numbered so in the session. */
  indexOf(query: number, by: { id?: number; number?: number }) {
    const q = this.get(query);
    this.extend(q);
    let id = by.id;
    if (id === undefined) id = this.idOfNumber(q.session, by.number!) ?? Number.MAX_SAFE_INTEGER;
    const at = q.ids.lowerBound(id);
    return { index: Math.min(at, Math.max(0, q.ids.length - 1)), total: q.ids.length, exact: at < q.ids.length && q.ids.ids[at] === id };
  }

  private byNumber: { at: Database.Statement<unknown[]>; last: Database.Statement<unknown[]> } | undefined;

  /**
   * The id of the first frame of `session` numbered `number` or more (where that frame is, or would be), or null.
   * Numbers grow with ids within a session (both follow the order frames are stored in), so a bisection over ids
   * along the (session_id, id) index finds it in a few dozen index lookups; numbers have no index of their own
   * (migration 7).
   */
  idOfNumber(session: number, number: number): number | null {
    this.byNumber ??= {
      at: this.db.prepare<unknown[]>(`SELECT id, number FROM frames WHERE session_id = ? AND id >= ? ORDER BY id LIMIT 1`),
      last: this.db.prepare<unknown[]>(`SELECT id FROM frames WHERE session_id = ? ORDER BY id DESC LIMIT 1`).pluck(),
    };
    const { at, last } = this.byNumber;
    // The smallest id x whose first frame at or after it (`at`) is numbered `number` or more: that frame is the
    // answer. Below x every such frame is numbered less; a frame numbered less also tells that no x up to its own id
    // can be it (they all lead to it or to one before it).
    let lo = 1;
    let hi = (last.get(session) as number | undefined) ?? 0;
    let found: number | null = null;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const r = at.get(session, mid) as { id: number; number: number };
      if (r.number >= number) {
        found = r.id;
        hi = mid - 1;
      } else {
        lo = r.id + 1;
      }
    }
    return found;
  }

  /**
   * Names seen in a session, for the filter's completion. Commands, destinations and issue codes are walked along
   * their indexes one distinct value at a time (a loose index scan: as many steps as names, however many frames), in
   * order; header names come from the first frames of each command, the most frequent first (a session's clients
   * repeat the same headers, and reading every header of a million frames would take seconds).
   */
  vocabulary(session: number): VocabularyDto {
    const distinct = (table: string, column: string) => this.db.prepare(`WITH RECURSIVE v(x) AS (
        SELECT min(${column}) FROM ${table} WHERE session_id = @session
        UNION ALL SELECT (SELECT min(${column}) FROM ${table} WHERE session_id = @session AND ${column} > v.x) FROM v WHERE v.x IS NOT NULL
      ) SELECT x FROM v WHERE x IS NOT NULL LIMIT @max`).pluck().all({ session, max: MAX_VOCABULARY }) as string[];
    const commands = distinct('frames', 'command');
    const sample = this.db.prepare(`SELECT headers FROM frames WHERE session_id = ? AND command = ? ORDER BY id LIMIT 100`).pluck();
    const counts = new Map<string, number>();
    for (const command of commands.slice(0, 64)) {
      for (const text of sample.all(session, command) as string[]) {
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          continue;
        }
        if (!Array.isArray(raw)) continue;
        for (const h of raw) if (Array.isArray(h) && typeof h[0] === 'string') counts.set(h[0], (counts.get(h[0]) ?? 0) + 1);
      }
    }
    return {
      commands,
      destinations: distinct('frames', 'destination'),
      headers: [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_VOCABULARY).map(([n]) => n),
      issueCodes: distinct('issues', 'code'),
    };
  }

  close(query: number): boolean {
    return this.open.delete(query);
  }

  dropSession(session: number): void {
    for (const [k, q] of this.open) if (q.session === session) this.open.delete(k);
  }
}
