// The core's implementation of the shared API contract: each command written once, carried by every host.
import {
  ApiError, validateArgs, type CommandArgs, type CommandName, type CommandResult, type EventName, type Events, type FrameDetailDto,
  type HeaderDto,
} from '../../shared/api.js';
import { exportDiagramSvg, MAX_EXPORT_FRAMES, MAX_EXPORT_HEARTBEATS } from '../../shared/diagram/model.js';
import { filterError } from '../../shared/filter/parser.js';
import { interpretHeaders } from '../../shared/stomp/escape.js';
import { isSecretHeader, maskRawFrame, MASK, maskText } from '../../shared/stomp/secrets.js';
import type { RawHeader, Severity } from '../../shared/stomp/types.js';
import { LiveWatcher } from './live/watcher.js';
import { ProxyManager } from './live/proxies.js';
import { ImportManager } from './live/imports.js';
import { ExportManager } from './live/exports.js';
import { exportCode, MAX_CLIPBOARD_FRAMES } from './export/code.js';
import { ReplayManager } from './live/replays.js';
import { ResendManager } from './live/resends.js';
import { diffConnections } from './replay/diff.js';
import { conditionOf, FrameQueries, FrameRows, fromClause } from './query/frames-query.js';
import { registerQueryFunctions } from './query/functions.js';
import type Database from 'better-sqlite3';
import { openDb, type Db } from './store/db.js';
import { StoreReader } from './store/reader.js';
import { deleteRawFile } from './store/raw-files.js';
import { connectionJson, sessionJson } from './views/frame-json.js';
import { ExpertInfoReader } from './analysis-read/expert-info.js';
import { LinkReader } from './analysis-read/links.js';
import { StatsReader } from './analysis-read/stats.js';

type Handlers = { [C in CommandName]: (args: CommandArgs<C>) => CommandResult<C> | Promise<CommandResult<C>> };
export type CoreListener = <E extends EventName>(event: E, data: Events[E]) => void;

const DEFAULT_DETAIL_BYTES = 1024 * 1024;

export class Core {
  private readonly reader: StoreReader;
  private readonly bodyReader: StoreReader;
  private readonly handlers: Handlers;
  private readonly listeners = new Set<CoreListener>();
  private readonly queries: FrameQueries;
  private readonly proxies: ProxyManager | null;
  private readonly watcher: LiveWatcher;
  private readonly imports: ImportManager;
  private readonly exports: ExportManager;
  private readonly replays: ReplayManager | null;
  private readonly resends: ResendManager | null;

  constructor(readonly db: Db) {
    this.reader = new StoreReader(db);
    const r = this.reader;
    // SQLite functions may not run statements on the connection that calls them: bodies are read through a
    // second, read-only connection.
    this.bodyReader = new StoreReader(openDb(db.name, { readonly: true }));
    registerQueryFunctions(db, this.bodyReader);
    const rows = new FrameRows(db);
    this.queries = new FrameQueries(db, rows);
    this.proxies = db.name && db.name !== ':memory:' ? new ProxyManager(db.name, () => this.watcher.poll(), () => this.emit('sessions.changed', {})) : null;
    this.watcher = new LiveWatcher(db, (e) => this.emit('frames.appended', e), () => this.emit('sessions.changed', {}),
      () => this.proxies?.list().map((p) => p.session) ?? [], undefined, (e) => this.emit('issues.appended', e));
    this.imports = new ImportManager(db.name, (event, data) => this.emit(event, data), () => this.emit('sessions.changed', {}));
    this.exports = new ExportManager(db.name);
    this.replays = db.name && db.name !== ':memory:' ? new ReplayManager(db.name, (event, data) => this.emit(event, data)) : null;
    this.resends = db.name && db.name !== ':memory:' ? new ResendManager(db, this.reader, db.name, () => this.emit('sessions.changed', {}), this.proxies) : null;
    const s = {
      frame: db.prepare(`SELECT * FROM frames WHERE id = ?`),
      issues: db.prepare(`SELECT code, severity, message FROM issues WHERE frame_id = ? ORDER BY id`),
      prevInConn: db.prepare(`SELECT time FROM frames WHERE connection_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1`).pluck(),
      prevOnDest: db.prepare(`SELECT id FROM frames WHERE session_id = ? AND destination = ? AND command = ? AND id < ? ORDER BY id DESC LIMIT 1`).pluck(),
      rename: db.prepare(`UPDATE sessions SET name = ? WHERE id = ?`),
      heartbeats: db.prepare(`SELECT h.connection_id, h.dir, h.time FROM heartbeats h JOIN connections c ON c.id = h.connection_id
        WHERE c.session_id = ? AND h.time BETWEEN ? AND ? ORDER BY h.time LIMIT 5000`),
      sessionState: db.prepare(`SELECT state FROM sessions WHERE id = ?`).pluck(),
      heartbeatsUpTo: db.prepare(`SELECT h.connection_id, h.dir, h.time FROM heartbeats h JOIN connections c ON c.id = h.connection_id
        WHERE c.session_id = ? AND h.time BETWEEN ? AND ? ORDER BY h.time LIMIT ?`),
      firstTime: db.prepare(`SELECT time FROM frames WHERE session_id = ? ORDER BY id LIMIT 1`).pluck(),
    };
    const deleteSession = db.transaction((session: number) => {
      deleteRawFile(db.name, session);
      db.prepare(`DELETE FROM chunks WHERE connection_id IN (SELECT id FROM connections WHERE session_id = ?)`).run(session);
      db.prepare(`DELETE FROM heartbeats WHERE connection_id IN (SELECT id FROM connections WHERE session_id = ?)`).run(session);
      db.prepare(`DELETE FROM frames WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM issues WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM links WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM connections WHERE session_id = ?`).run(session);
      return db.prepare(`DELETE FROM sessions WHERE id = ?`).run(session).changes;
    });
    const needSession = (session: number) => {
      if (!r.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
    };
    const pages = new Map<string, Database.Statement<unknown[]>>();
    // Analysis read side (issue 6): Expert Info, correlation links, statistics.
    const expert = new ExpertInfoReader(db);
    const links = new LinkReader(db, rows);
    const stats = new StatsReader(db);

    this.handlers = {
      'sessions.list': () => r.sessions().map(sessionJson),
      'sessions.rename': ({ session, name }) => {
        needSession(session);
        s.rename.run(name.trim(), session);
        this.emit('sessions.changed', {});
        return sessionJson(r.sessions().find((x) => x.id === session)!);
      },
      'sessions.delete': ({ session }) => {
        needSession(session);
        if (this.proxies?.isRunning(session) || s.sessionState.get(session) === 'recording') {
          throw new ApiError('conflict', `session ${session} is still recording; stop its proxy first`);
        }
        this.queries.dropSession(session);
        const deleted = deleteSession(session) as number;
        this.emit('sessions.changed', {});
        return { deleted };
      },
      'connections.list': ({ session }) => {
        needSession(session);
        return r.connections(session).map(connectionJson);
      },
      'frames.page': ({ session, after, limit, filter }) => {
        const cond = conditionOf(filter ?? '');
        let st = pages.get(cond.sql);
        if (!st) {
          st = db.prepare<unknown[]>(`SELECT f.id FROM ${fromClause(cond)} WHERE f.session_id = ? AND f.id > ? AND (${cond.sql}) ORDER BY f.id LIMIT ?`).pluck();
          if (pages.size > 64) pages.clear();
          pages.set(cond.sql, st);
        }
        return rows.rows(st.all(session, after, ...cond.params, limit) as number[]);
      },
      'frames.query': ({ session, filter }) => {
        needSession(session);
        return this.queries.create(session, filter);
      },
      'frames.window': ({ query, start, count }) => this.queries.window(query, start, count),
      'frames.indexOf': ({ query, id }) => this.queries.indexOf(query, id),
      'frames.close': ({ query }) => ({ closed: this.queries.close(query) }),
      'frame.detail': ({ id, maxBytes, revealSecrets }) => {
        const f = s.frame.get(id) as Record<string, number | string | null> | undefined;
        if (!f) throw new ApiError('not-found', `no frame ${id}`);
        const max = maxBytes ?? DEFAULT_DETAIL_BYTES;
        const conn = f.connection_id as number;
        const from = f.dir === 0 ? 'client' : 'broker';
        const version = rows.version(conn);
        const raw = JSON.parse(f.headers as string) as RawHeader[];
        const { headers } = interpretHeaders(f.command as string, raw, version);
        const seen = new Set<string>();
        const hs: HeaderDto[] = headers.map(([name, value], i) => {
          const repeated = seen.has(name);
          seen.add(name);
          const secret = !revealSecrets && isSecretHeader(name);
          // Other values may quote a credential (an ERROR's message quoting the line it refused): masked in place.
          const shown = (v: string) => (secret ? MASK : revealSecrets ? v : maskText(v));
          return { name, value: shown(value), rawName: raw[i][0], rawValue: shown(raw[i][1]), repeated };
        });
        const bodyLength = f.body_length as number;
        const body = r.readBytes(conn, from, f.body_offset as number, Math.min(bodyLength, max));
        const length = f.length as number;
        const wire = r.readBytes(conn, from, f.offset as number, Math.min(length, max));
        const rawBytes = wire && !revealSecrets ? Buffer.from(maskRawFrame(wire)) : wire;
        const issues = s.issues.all(id) as Array<{ code: string; severity: Severity; message: string }>;
        const prev = s.prevInConn.get(conn, f.seq) as number | undefined;
        const worst = issues.reduce<Severity | null>((w, i) => (w === 'error' || i.severity === 'error' ? 'error' : w === 'warning' || i.severity === 'warning' ? 'warning' : 'note'), null);
        const detail: FrameDetailDto = {
          row: rows.toRow(f, worst), session: f.session_id as number, version, offset: f.offset as number, crlf: !!f.crlf, headers: hs,
          bodyLength, bodyBase64: body ? body.toString('base64') : null, bodyTruncated: bodyLength > max,
          rawBase64: rawBytes ? rawBytes.toString('base64') : null, rawTruncated: length > max, issues,
          sincePreviousMs: prev === undefined ? null : ((f.time as number) - prev) / 1000,
        };
        return detail;
      },
      'frame.previousOnDestination': ({ id }) => {
        const f = s.frame.get(id) as { session_id: number; destination: string | null; command: string } | undefined;
        if (!f) throw new ApiError('not-found', `no frame ${id}`);
        if (f.destination === null) return { id: null };
        return { id: (s.prevOnDest.get(f.session_id, f.destination, f.command, id) as number | undefined) ?? null };
      },
      'heartbeats.range': ({ session, from, to }) =>
        (s.heartbeats.all(session, from, to) as Array<{ connection_id: number; dir: number; time: number }>).map((h) => ({
          connection: h.connection_id, from: h.dir === 0 ? 'client' : 'broker', t: h.time,
        })),
      'diagram.export': ({ query, maxFrames }) => {
        // Built here, over the first frames of the query, rather than in the page: the page holds only the
        // rows on screen, and a session may have a million.
        const { session, filter } = this.queries.describe(query);
        const { rows, total } = this.queries.window(query, 0, maxFrames ?? MAX_EXPORT_FRAMES);
        const heartbeats = rows.length
          ? (s.heartbeatsUpTo.all(session, rows[0].t, rows[rows.length - 1].t, MAX_EXPORT_HEARTBEATS) as Array<{ connection_id: number; dir: number; time: number }>)
            .map((h) => ({ connection: h.connection_id, from: h.dir === 0 ? 'client' as const : 'broker' as const, t: h.time }))
          : [];
        const connections = r.connections(session).map(connectionJson);
        const t0 = (s.firstTime.get(session) as number | undefined) ?? rows[0]?.t ?? 0;
        const svg = exportDiagramSvg({ connections, rows, total, heartbeats, t0, filter: filter.trim(), links: links.answering(rows.map((x) => x.id)) });
        return { svg, frames: rows.length, total, capped: rows.length < total };
      },
      'filter.check': ({ filter }) => {
        const e = filterError(filter);
        return { error: e ? { message: e.message, start: e.start, end: e.end } : null };
      },
      'proxy.start': (o) => this.needProxies().start(o),
      'proxy.stop': async ({ session }) => ({ stopped: await this.needProxies().stop(session) }),
      'proxy.list': () => this.proxies?.list() ?? [],
      'import.start': ({ upload, name }) => this.imports.start(upload, name),
      'export.code': ({ frame, connection, language, revealSecrets }) => {
        const out = exportCode(r, frame !== undefined ? { frame } : { connection: connection! }, language, !!revealSecrets, MAX_CLIPBOARD_FRAMES);
        return { text: out.text, filename: out.filename, connection: out.connection, frames: out.frames };
      },
      'session.export': ({ session, filter, revealSecrets, format }) => {
        needSession(session);
        return this.exports.ticket(session, filter, !!revealSecrets, format ?? 'jsonl');
      },
      'frame.resendDraft': ({ id }) => this.needResends().draft(id),
      'frame.resend': (o) => this.needResends().resend(o),
      'frame.inject': (o) => this.needResends().inject(o),
      'replay.start': (o) => {
        if (!this.replays) throw new ApiError('bad-request', 'this core has no database file to record into');
        return this.replays.start(o);
      },
      'session.expertInfo': ({ session, connection, entries }) => {
        needSession(session);
        return expert.read(session, { connection, entries });
      },
      'frame.links': ({ id, limit }) => {
        if (!s.frame.get(id)) throw new ApiError('not-found', `no frame ${id}`);
        return links.forFrame(id, limit);
      },
      'diagram.links': ({ ids }) => links.answering(ids),
      'session.stats': ({ session, buckets, destinations }) => {
        needSession(session);
        return stats.read(session, { buckets, destinations });
      },
      'replay.diff': ({ a, b, includeVolatile, revealSecrets }) => {
        const ca = r.connection(a);
        const cb = r.connection(b);
        if (!ca) throw new ApiError('not-found', `no connection ${a}`);
        if (!cb) throw new ApiError('not-found', `no connection ${b}`);
        const d = diffConnections(r, ca, cb, { includeVolatile: !!includeVolatile, revealSecrets: !!revealSecrets });
        return {
          a: { session: ca.sessionId, connection: ca.id, version: ca.version }, b: { session: cb.sessionId, connection: cb.id, version: cb.version },
          same: d.differences.length === 0, ...d,
        };
      },
    };
  }

  private needResends(): ResendManager {
    if (!this.resends) throw new ApiError('bad-request', 'this core has no database file to record into');
    return this.resends;
  }

  private needProxies(): ProxyManager {
    if (!this.proxies) throw new ApiError('bad-request', 'this core has no database file to record into');
    return this.proxies;
  }

  static open(dbPath: string, opts: { nativeBinding?: string } = {}): Core {
    return new Core(openDb(dbPath, { readonly: false, nativeBinding: opts.nativeBinding }));
  }

  /**
   * Runs one command with untrusted arguments: validated here, whatever the transport. Validation errors are
   * thrown at once; commands that do I/O (proxy.start) answer with a promise.
   */
  invoke<C extends CommandName>(cmd: C, args: unknown): CommandResult<C> | Promise<CommandResult<C>> {
    const handler = this.handlers[cmd] as ((a: CommandArgs<C>) => CommandResult<C> | Promise<CommandResult<C>>) | undefined;
    if (!handler) throw new ApiError('bad-request', `unknown command ${String(cmd)}`);
    return handler(validateArgs(cmd, args));
  }

  /** Subscribes to the core's events (frames.appended, sessions.changed); returns the unsubscribe function. */
  onEvent(fn: CoreListener): () => void {
    this.listeners.add(fn);
    this.watcher.start();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.watcher.stop();
    };
  }

  emit<E extends EventName>(event: E, data: Events[E]): void {
    for (const fn of this.listeners) fn(event, data);
  }

  /**
   * For hosts only (never a command): a capture file the host received. `owned` files are temporary copies in a
   * directory of their own, removed after the import. Returns the id for `import.start`.
   */
  registerUpload(file: string, name: string, owned: boolean): string {
    return this.imports.register(file, name, owned);
  }

  /** For hosts only: the content of an export ticket (single use): JSONL lines or pcapng blocks; or null. */
  takeExport(ticket: string): Generator<string | Uint8Array> | null {
    return this.exports.take(ticket);
  }

  /** For hosts only: the media type of an export ticket's content (before taking it), or null. */
  exportContentType(ticket: string): string | null {
    return this.exports.contentType(ticket);
  }

  /** Stops the proxies this core started (ending their sessions) and closes the database. */
  async close(): Promise<void> {
    this.watcher.stop();
    await this.proxies?.stopAll();
    await this.imports.settle();
    await this.replays?.settle();
    this.bodyReader.close();
    this.reader.close();
  }
}
