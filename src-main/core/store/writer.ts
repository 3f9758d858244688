import os from 'node:os';
import type { Db } from './db.js';
import { RawFileWriter } from './raw-files.js';
import type { Direction, Severity } from '../../../shared/stomp/types.js';

export type SessionKind = 'proxy' | 'import' | 'replay';
export type SessionState = 'recording' | 'complete' | 'interrupted';

export const DIR_CODE: Record<Direction, number> = { client: 0, broker: 1 };
export const DIR_NAME: readonly Direction[] = ['client', 'broker'];

export interface FrameRow {
  sessionId: number;
  connectionId: number;
  seq: number;
  dir: Direction;
  time: number;
  offset: number;
  length: number;
  command: string;
  destination: string | null;
  /** JSON of the raw (escaped) header pairs. */
  headersJson: string;
  crlf: boolean;
  bodyOffset: number;
  bodyLength: number;
  bodySha256: Uint8Array | null;
  issues: number;
}

export interface IssueRow {
  sessionId: number;
  connectionId: number | null;
  frameId: number | null;
  dir: Direction | null;
  offset: number | null;
  time: number;
  code: string;
  severity: Severity;
  message: string;
}

export interface ConnectionCounters {
  version: string | null;
  framesClient: number;
  framesBroker: number;
  heartbeatsClient: number;
  heartbeatsBroker: number;
  bytesClient: number;
  bytesBroker: number;
  issues: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, but not ours to signal
  }
}

const FRAME_COLUMNS = 16;
/** Frames are inserted this many rows per statement: several times faster than a statement per row. */
const FRAME_ROWS_PER_INSERT = 32;
const frameInsert = (rows: number) => `INSERT INTO frames (id, session_id, connection_id, seq, dir, time, offset, length, command,
  destination, headers, crlf, body_offset, body_length, body_sha256, issues) VALUES
  ${Array(rows).fill(`(${Array(FRAME_COLUMNS).fill('?').join(',')})`).join(',')}`;

/**
 * The single writer of a database (DESIGN.md principle 6): statements prepared once; the caller groups calls
 * into `transaction(fn)` batches, which run synchronously and never on the proxy's forwarding thread.
 * Frame rows are buffered and written many per statement when the transaction ends; their ids are assigned
 * here so that issues can point at them before they are written.
 */
export class StoreWriter {
  private readonly s;
  private pendingFrames: unknown[] = [];
  private nextFrameId = 0;
  private inTransaction = false;
  private readonly raw: RawFileWriter;
  private readonly sessionOf = new Map<number, number>();

  constructor(readonly db: Db) {
    // Recording is written once per byte and never waits for the disk: with WAL, synchronous=OFF survives a
    // crash or kill of our process (the OS still has every write), and only an OS crash or power loss can
    // lose the latest batches. fsync at each checkpoint halved recording throughput (bench/store.ts).
    db.pragma('synchronous = OFF');
    if (db.memory) throw new Error('StoreWriter needs a database file: raw bytes are kept beside it');
    this.raw = new RawFileWriter(db.name);
    this.s = {
      frames: db.prepare(frameInsert(FRAME_ROWS_PER_INSERT)),
      frame: db.prepare(frameInsert(1)),
      maxFrameId: db.prepare(`SELECT coalesce(max(id), 0) FROM frames`).pluck(),
      session: db.prepare(`INSERT INTO sessions (kind, name, started, meta) VALUES (?, ?, ?, ?)`),
      endSession: db.prepare(`UPDATE sessions SET ended = ?, state = ? WHERE id = ?`),
      sessionMeta: db.prepare(`UPDATE sessions SET meta = ? WHERE id = ?`),
      connection: db.prepare(`INSERT INTO connections (session_id, client, broker, transport, opened) VALUES (?, ?, ?, ?, ?)`),
      counters: db.prepare(`UPDATE connections SET version = ?, frames_client = ?, frames_broker = ?, heartbeats_client = ?,
        heartbeats_broker = ?, bytes_client = ?, bytes_broker = ?, issues = ? WHERE id = ?`),
      closeConnection: db.prepare(`UPDATE connections SET closed = ?, close_reason = ? WHERE id = ?`),
      chunk: db.prepare(`INSERT INTO chunks (connection_id, dir, offset, length, file_offset) VALUES (?, ?, ?, ?, ?)`),
      heartbeat: db.prepare(`INSERT INTO heartbeats (connection_id, dir, time, offset) VALUES (?, ?, ?, ?)`),
      issue: db.prepare(`INSERT INTO issues (session_id, connection_id, frame_id, dir, offset, time, code, severity, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      recording: db.prepare(`SELECT id, meta FROM sessions WHERE state = 'recording' AND id != ?`),
      interrupted: db.prepare(`UPDATE sessions SET state = 'interrupted' WHERE id = ?`),
    };
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE), writing the buffered frames before COMMIT. */
  transaction<T>(fn: () => T): T {
    if (this.inTransaction) return fn();
    return this.db.transaction(() => {
      this.inTransaction = true;
      try {
        // Another process may have written frames since our last batch (two proxies, one database).
        this.nextFrameId = Math.max(this.nextFrameId, this.s.maxFrameId.get() as number);
        const result = fn();
        this.flushFrames();
        return result;
      } finally {
        this.inTransaction = false;
        this.pendingFrames = [];
      }
    }).immediate();
  }

  private flushFrames(): void {
    const p = this.pendingFrames;
    const rows = p.length / FRAME_COLUMNS;
    let i = 0;
    const batch = FRAME_ROWS_PER_INSERT * FRAME_COLUMNS;
    for (; (rows - i / FRAME_COLUMNS) >= FRAME_ROWS_PER_INSERT; i += batch) this.s.frames.run(p.slice(i, i + batch));
    for (; i < p.length; i += FRAME_COLUMNS) this.s.frame.run(p.slice(i, i + FRAME_COLUMNS));
    this.pendingFrames = [];
  }

  /**
   * Creates a session in state 'recording'. The meta records which process writes it, so that a later
   * writer can tell a session whose recorder was killed from one that another process is still recording.
   */
  createSession(kind: SessionKind, name: string, started: number, meta: object = {}): number {
    const full = { ...meta, recorder: { pid: process.pid, host: os.hostname() } };
    const id = Number(this.s.session.run(kind, name, started, JSON.stringify(full)).lastInsertRowid);
    this.markInterrupted(id);
    return id;
  }

  setSessionMeta(sessionId: number, meta: object): void {
    this.s.sessionMeta.run(JSON.stringify(meta), sessionId);
  }

  endSession(sessionId: number, ended: number, state: SessionState): void {
    this.s.endSession.run(ended, state, sessionId);
    this.raw.close(sessionId);
  }

  /** Closes the raw files and the database. */
  close(): void {
    this.raw.closeAll();
    this.db.close();
  }

  /**
   * Marks as 'interrupted' the sessions left 'recording' by a process of this machine that no longer runs
   * (it was killed). Sessions another live process is recording, or recorded on another machine sharing the
   * file, are left alone.
   */
  markInterrupted(exceptSessionId: number): void {
    for (const r of this.s.recording.all(exceptSessionId) as Array<{ id: number; meta: string }>) {
      let rec: { pid?: unknown; host?: unknown } | undefined;
      try {
        rec = (JSON.parse(r.meta) as { recorder?: { pid?: unknown; host?: unknown } }).recorder;
      } catch { /* unreadable meta: treat as unknown writer */ }
      const dead = !rec || (rec.host === os.hostname() && typeof rec.pid === 'number' && !processAlive(rec.pid));
      if (dead) this.s.interrupted.run(r.id);
    }
  }

  createConnection(sessionId: number, client: string, broker: string, transport: string, opened: number): number {
    const id = Number(this.s.connection.run(sessionId, client, broker, transport, opened).lastInsertRowid);
    this.sessionOf.set(id, sessionId);
    return id;
  }

  updateCounters(connectionId: number, c: ConnectionCounters): void {
    this.s.counters.run(c.version, c.framesClient, c.framesBroker, c.heartbeatsClient, c.heartbeatsBroker, c.bytesClient,
      c.bytesBroker, c.issues, connectionId);
  }

  closeConnection(connectionId: number, closed: number, reason: string | null): void {
    this.s.closeConnection.run(closed, reason, connectionId);
  }

  /**
   * Appends raw stream bytes: to the session's raw file first, then their place in the index, so that a
   * committed index entry always points at bytes that were written.
   */
  appendChunk(connectionId: number, dir: Direction, offset: number, data: Uint8Array): void {
    const sessionId = this.sessionOf.get(connectionId);
    if (sessionId === undefined) throw new Error(`connection ${connectionId} was not created by this writer`);
    const at = this.raw.append(sessionId, data);
    this.s.chunk.run(connectionId, DIR_CODE[dir], offset, data.length, at);
  }

  /** Queues a frame row (written when the transaction ends) and returns its id. Only inside transaction(). */
  insertFrame(f: FrameRow): number {
    if (!this.inTransaction) throw new Error('insertFrame outside a transaction');
    const id = ++this.nextFrameId;
    this.pendingFrames.push(id, f.sessionId, f.connectionId, f.seq, DIR_CODE[f.dir], f.time, f.offset, f.length, f.command,
      f.destination, f.headersJson, f.crlf ? 1 : 0, f.bodyOffset, f.bodyLength, f.bodySha256, f.issues);
    return id;
  }

  insertHeartbeat(connectionId: number, dir: Direction, time: number, offset: number): void {
    this.s.heartbeat.run(connectionId, DIR_CODE[dir], time, offset);
  }

  insertIssue(i: IssueRow): void {
    this.s.issue.run(i.sessionId, i.connectionId, i.frameId, i.dir === null ? null : DIR_CODE[i.dir], i.offset, i.time, i.code,
      i.severity, i.message);
  }
}
