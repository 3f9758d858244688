// The read commands of the API contract, written once: the core's read workers run them (read-worker.ts) on
// their own read-only connections, so that no read runs on the thread that forwards the proxies' bytes (why,
// and how a read is stopped: pool.ts). The core's handler table (api.ts) sends each of them to a worker.
import {
  ApiError, type CommandArgs, type CommandName, type CommandResult, type FrameDetailDto, type HeaderDto,
} from '../../../shared/api/index.js';
import { exportDiagramSvg, MAX_EXPORT_FRAMES, MAX_EXPORT_HEARTBEATS } from '../../../shared/diagram/model.js';
import { interpretHeaders } from '../../../shared/stomp/escape.js';
import { isSecretHeader, maskRawFrame, MASK, maskText } from '../../../shared/stomp/secrets.js';
import type { RawHeader, Severity } from '../../../shared/stomp/types.js';
import type Database from 'better-sqlite3';
import { exportCode, MAX_CLIPBOARD_FRAMES } from '../export/code.js';
import { diffRecordedConnections } from '../replay/diff.js';
import { conditionOf, FrameQueries, FrameRowMapper, fromClause } from './query/frames-query.js';
import { registerQueryFunctions } from './query/functions.js';
import type { Db } from '../store/db.js';
import { StoreReader } from '../store/reader.js';
import { connectionJson, sessionJson } from './frame-json.js';
import { ExpertInfoReader } from './expert-info.js';
import { LinkReader } from './links.js';
import { StatsEngine, StatsReader } from './stats.js';
import { ConnectionsReader } from './connections.js';
import { exportContent, type ExportSpec } from '../jobs/exports.js';

/** Every command that only reads the database: run off the forwarding thread, time-limited. */
export const READ_COMMANDS = [
  'sessions.list', 'connections.list', 'frames.page', 'frames.query', 'frames.window', 'frames.indexOf', 'frames.close',
  'frames.find', 'session.vocabulary', 'frame.detail', 'frame.previousOnDestination', 'heartbeats.range', 'diagram.export', 'export.code',
  'session.expertInfo', 'frame.links', 'diagram.links', 'session.stats', 'replay.diff', 'connections.overview', 'connection.follow',
] as const satisfies readonly CommandName[];
export type ReadCommand = (typeof READ_COMMANDS)[number];

/** The read commands bound to an open query (frames.query's handle): they run where the query lives. */
export const QUERY_BOUND = new Set<ReadCommand>(['frames.window', 'frames.indexOf', 'frames.close', 'frames.find', 'diagram.export']);

export function isReadCommand(cmd: string): cmd is ReadCommand {
  return (READ_COMMANDS as readonly string[]).includes(cmd);
}


/** What the read side answers besides the contract's commands: streamed exports (see Core.takeExport). */
export interface InternalReads {
  'export.open': { args: ExportSpec; result: { stream: number } };
  'export.next': { args: { stream: number; maxBytes: number }; result: { parts: Array<string | Uint8Array>; done: boolean } };
  'export.close': { args: { stream: number }; result: { closed: boolean } };
}
export type InternalRead = keyof InternalReads;
export const STREAM_BOUND = new Set<string>(['export.next', 'export.close']);

type ReadHandlers = { [C in ReadCommand]: (args: CommandArgs<C>) => CommandResult<C> } &
  { [C in InternalRead]: (args: InternalReads[C]['args']) => InternalReads[C]['result'] };

const DEFAULT_DETAIL_BYTES = 1024 * 1024;

export interface ReadSide {
  handlers: ReadHandlers;
  dropSession(session: number): void;
  close(): void;
}

/**
 * The read handlers over `db` (opened read-only by the worker). `firstHandle`: the first query / export handle
 * this side gives out, so that handles of a restarted worker never collide with those of the one before.
 */
export function createReadSide(db: Db, bodyDb: Db, firstHandle = 1): ReadSide {
  const r = new StoreReader(db);
  // SQLite functions may not run statements on the connection that calls them: bodies are read through a
  // second, read-only connection.
  const bodyReader = new StoreReader(bodyDb);
  registerQueryFunctions(db, bodyReader);
  const rows = new FrameRowMapper(db);
  const queries = new FrameQueries(db, rows, 16, firstHandle);
  const s = {
    frame: db.prepare(`SELECT f.*, r.rule AS rule_name, r.action AS rule_action, r.forwarded AS rule_forwarded, r.synthesized AS rule_synthesized,
      r.original AS rule_original FROM frames f LEFT JOIN frame_rules r ON r.frame_id = f.id WHERE f.id = ?`),
    issues: db.prepare(`SELECT code, severity, message FROM issues WHERE frame_id = ? ORDER BY id`),
    prevInConn: db.prepare(`SELECT time FROM frames WHERE connection_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1`).pluck(),
    prevOnDest: db.prepare(`SELECT id FROM frames WHERE session_id = ? AND destination = ? AND command = ? AND id < ? ORDER BY id DESC LIMIT 1`).pluck(),
    // Any command: the first MESSAGE of a destination has no earlier MESSAGE, but its SEND and SUBSCRIBE are there.
    prevOnDestAny: db.prepare(`SELECT id FROM frames WHERE session_id = ? AND destination = ? AND id < ? ORDER BY id DESC LIMIT 1`).pluck(),
    heartbeats: db.prepare(`SELECT h.connection_id, h.dir, h.time FROM heartbeats h JOIN connections c ON c.id = h.connection_id
      WHERE c.session_id = ? AND h.time BETWEEN ? AND ? ORDER BY h.time LIMIT 5000`),
    heartbeatsUpTo: db.prepare(`SELECT h.connection_id, h.dir, h.time FROM heartbeats h JOIN connections c ON c.id = h.connection_id
      WHERE c.session_id = ? AND h.time BETWEEN ? AND ? ORDER BY h.time LIMIT ?`),
    firstTime: db.prepare(`SELECT time FROM frames WHERE session_id = ? ORDER BY id LIMIT 1`).pluck(),
  };
  const needSession = (session: number) => {
    if (!r.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
  };
  const pages = new Map<string, Database.Statement<unknown[]>>();
  // Analysis read side: Expert Info, correlation links, statistics.
  const expert = new ExpertInfoReader(db);
  const links = new LinkReader(db, rows);
  const stats = new StatsReader(db);
  const conversations = new ConnectionsReader(db, r, new StatsEngine(db));
  const streams = new Map<number, Iterator<string | Uint8Array>>();
  let nextStream = firstHandle;

  const handlers: ReadHandlers = {
    // Issue counts are the sessions sidebar's; the CLI's JSON lines keep their documented shape.
    'sessions.list': () => r.sessions().map((s) => ({ ...sessionJson(s), issues: s.issues })),
    'connections.list': ({ session }) => {
      needSession(session);
      // The UI's status bar names the broker profile; the CLI's JSON lines keep their documented shape.
      return r.connections(session).map((c) => ({ ...connectionJson(c), profile: c.profile }));
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
    'frames.query': ({ session, filter, sort }) => {
      needSession(session);
      return queries.create(session, filter, sort);
    },
    'frames.window': ({ query, start, count, colours, headers }) => queries.window(query, start, count, { colours, headers }),
    'frames.find': ({ query, text, from, backwards }) => queries.find(query, text, from, !!backwards),
    'session.vocabulary': ({ session }) => {
      needSession(session);
      return queries.vocabulary(session);
    },
    'frames.indexOf': ({ query, id, number }) => queries.indexOf(query, { id, number }),
    'frames.close': ({ query }) => ({ closed: queries.close(query) }),
    'frame.detail': ({ id, maxBytes, revealSecrets }) => {
      const f = s.frame.get(id) as Record<string, number | string | null> | undefined;
      if (!f) throw new ApiError('not-found', `no frame ${id}`);
      const max = maxBytes ?? DEFAULT_DETAIL_BYTES;
      const original = (f as Record<string, unknown>).rule_original as Buffer | null;
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
        ...(original ? { originalBase64: Buffer.from(revealSecrets ? original : maskRawFrame(original)).subarray(0, max).toString('base64') } : {}),
      };
      return detail;
    },
    'frame.previousOnDestination': ({ id }) => {
      const f = s.frame.get(id) as { session_id: number; destination: string | null; command: string } | undefined;
      if (!f) throw new ApiError('not-found', `no frame ${id}`);
      if (f.destination === null) return { id: null, sameCommand: false };
      const same = s.prevOnDest.get(f.session_id, f.destination, f.command, id) as number | undefined;
      if (same !== undefined) return { id: same, sameCommand: true };
      return { id: (s.prevOnDestAny.get(f.session_id, f.destination, id) as number | undefined) ?? null, sameCommand: false };
    },
    'heartbeats.range': ({ session, from, to }) =>
      (s.heartbeats.all(session, from, to) as Array<{ connection_id: number; dir: number; time: number }>).map((h) => ({
        connection: h.connection_id, from: h.dir === 0 ? 'client' : 'broker', t: h.time,
      })),
    'diagram.export': ({ query, maxFrames }) => {
      // Built here, over the first frames of the query, rather than in the page: the page holds only the
      // rows on screen, and a session may have a million.
      const { session, filter } = queries.describe(query);
      const { rows, total } = queries.window(query, 0, maxFrames ?? MAX_EXPORT_FRAMES);
      const heartbeats = rows.length
        ? (s.heartbeatsUpTo.all(session, rows[0].t, rows[rows.length - 1].t, MAX_EXPORT_HEARTBEATS) as Array<{ connection_id: number; dir: number; time: number }>)
          .map((h) => ({ connection: h.connection_id, from: h.dir === 0 ? 'client' as const : 'broker' as const, t: h.time }))
        : [];
      const connections = r.connections(session).map(connectionJson);
      const t0 = (s.firstTime.get(session) as number | undefined) ?? rows[0]?.t ?? 0;
      const svg = exportDiagramSvg({ connections, rows, total, heartbeats, t0, filter: filter.trim(), links: links.answering(rows.map((x) => x.id)) });
      return { svg, frames: rows.length, total, capped: rows.length < total };
    },
    'export.code': ({ frame, connection, language, revealSecrets }) => {
      const out = exportCode(r, frame !== undefined ? { frame } : { connection: connection! }, language, !!revealSecrets, MAX_CLIPBOARD_FRAMES);
      return {
        text: out.text, filename: out.filename, connection: out.connection, connectionNumber: out.connectionNumber, frameNumber: out.frameNumber,
        frames: out.frames,
      };
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
    'connections.overview': ({ session }) => {
      needSession(session);
      return conversations.overview(session);
    },
    'connection.follow': ({ connection, after, limit, revealSecrets }) => conversations.follow(connection, { after, limit, revealSecrets }),
    'replay.diff': ({ a, b, includeVolatile, revealSecrets }) => diffRecordedConnections(r, a, b, { includeVolatile: !!includeVolatile, revealSecrets: !!revealSecrets }),
    'export.open': (spec) => {
      needSession(spec.session);
      const stream = nextStream++;
      streams.set(stream, exportContent(db.name, spec));
      return { stream };
    },
    'export.next': ({ stream, maxBytes }) => {
      const it = streams.get(stream);
      if (!it) throw new ApiError('not-found', `no open export ${stream}`);
      const parts: Array<string | Uint8Array> = [];
      let bytes = 0;
      while (bytes < maxBytes) {
        const n = it.next();
        if (n.done) {
          streams.delete(stream);
          return { parts, done: true };
        }
        parts.push(n.value);
        bytes += n.value.length;
      }
      return { parts, done: false };
    },
    'export.close': ({ stream }) => {
      const it = streams.get(stream);
      streams.delete(stream);
      it?.return?.();
      return { closed: !!it };
    },
  };
  return {
    handlers,
    dropSession: (session) => queries.dropSession(session),
    close: () => {
      for (const it of streams.values()) it.return?.();
      streams.clear();
      bodyReader.close();
      r.close();
    },
  };
}
