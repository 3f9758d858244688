// The store's one writer (one per database, in the recording worker or the import job): it owns every INSERT and
// UPDATE of sessions, connections, frames, heart-beats, issues, links and raw-byte chunks, with its statements
// prepared once and rows batched in synchronous transactions (frames 32 to a statement), off the forwarding path.
// It also says which sessions were left 'recording' by a process that is gone (marked interrupted).
import type { Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from './db.js';
import { RawFileWriter, rawFileOf } from './raw-files.js';
import type { Direction, Severity } from '../../../shared/stomp/types.js';

export type SessionKind = 'proxy' | 'import' | 'replay' | 'capture';
export type SessionState = 'recording' | 'complete' | 'interrupted';

export const DIR_CODE: Record<Direction, number> = { client: 0, broker: 1 };
export const DIR_NAME: readonly Direction[] = ['client', 'broker'];

export interface NewFrame {
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
  /** StompScope wrote this frame into the stream itself (proxy injection); default false. */
  injected?: boolean;
  issues: number;
}

/** A frame_rules row: what a proxy rule did to a frame. */
export interface FrameRuleRow {
  rule: string | null;
  action: string | null;
  forwarded: boolean;
  synthesized: boolean;
  original: Uint8Array | null;
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

/** What connections.negotiation holds once CONNECTED was seen (migration 3). */
export interface StoredNegotiation {
  version: string;
  /** Effective heart-beat periods in ms each way (0 = none); null when no CONNECT was seen or a heart-beat header was malformed. */
  heartBeats: { clientToBroker: number; brokerToClient: number } | null;
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
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, but not ours to signal
  }
  // A process that exited but was not reaped yet (a zombie, its parent busy or gone astray) still answers signal
  // 0, yet records nothing any more. On Linux its state says so: proc(5), /proc/PID/stat field 3, after the
  // command name in parentheses (which may itself hold ')').
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch (e) {
    // Gone since the signal, where /proc exists; elsewhere (no /proc) the signal's answer stands.
    return !((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync('/proc/self/stat'));
  }
}

// `issues` stays the last column: countFrameIssue finds it there.
const FRAME_COLUMNS = 18;
/** Where a buffered frame row (insertFrame) holds its issue count: the last column. */
const FRAME_ISSUES_AT = FRAME_COLUMNS - 1;
/** Frames are inserted this many rows per statement: several times faster than a statement per row. */
const FRAME_ROWS_PER_INSERT = 32;
const frameInsert = (rows: number) => `INSERT INTO frames (id, session_id, connection_id, seq, dir, time, offset, length, command,
  destination, headers, crlf, body_offset, body_length, body_sha256, injected, number, issues) VALUES
  ${Array(rows).fill(`(${Array(FRAME_COLUMNS).fill('?').join(',')})`).join(',')}`;

/**
 * The single writer of a database (SQLite takes one writer at a time, so every write goes through one):
 * statements prepared once; the caller groups calls into `transaction(fn)` batches, which run synchronously and never on the proxy's forwarding thread.
 * Frame rows are buffered and written FRAME_ROWS_PER_INSERT per statement (the rest when the transaction
 * ends); their ids are assigned here so that issues can point at them before they are written.
 */
export class StoreWriter {
  private readonly s;
  /**
   * Frame rows not yet written, FRAME_ROWS_PER_INSERT at most: written by one statement as soon as it is full,
   * so this array of parameters is reused for every statement and never grows (an array of a whole batch's
   * rows, sliced per statement, made old-space garbage at every batch).
   */
  private readonly pendingFrames: unknown[] = new Array(FRAME_ROWS_PER_INSERT * FRAME_COLUMNS);
  private pendingRows = 0;
  private nextFrameId = 0;
  /**
   * The last frame number given out in each session this writer wrote to in the current transaction: frames are
   * numbered 1..N in their session in the order they are stored (capture order). Read again from the table at
   * the start of each transaction, as nextFrameId is, so that a rolled back batch leaves no hole.
   */
  private readonly frameNumbers = new Map<number, number>();
  /** The per-session number of each connection this writer created (for the console lines). */
  private readonly connectionNumbers = new Map<number, number>();
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
      frameRule: db.prepare(`INSERT INTO frame_rules (frame_id, session_id, rule, action, forwarded, synthesized, original) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      maxFrameId: db.prepare(`SELECT coalesce(max(id), 0) FROM frames`).pluck(),
      // Numbers grow with ids in a session: its last frame has the highest (no index on the number: migration 7).
      maxFrameNumber: db.prepare(`SELECT coalesce((SELECT number FROM frames WHERE session_id = ? ORDER BY id DESC LIMIT 1), 0)`).pluck(),
      session: db.prepare(`INSERT INTO sessions (kind, name, started, meta) VALUES (?, ?, ?, ?)`),
      endSession: db.prepare(`UPDATE sessions SET ended = ?, state = ? WHERE id = ?`),
      sessionMeta: db.prepare(`UPDATE sessions SET meta = ? WHERE id = ?`),
      // A new connection has negotiated nothing yet ('{}'); NULL is kept for connections recorded before the column.
      // Connections are numbered 1..k in their session, in the order they are stored.
      connection: db.prepare(`INSERT INTO connections (session_id, client, broker, transport, opened, negotiation, number)
        VALUES (@session, ?, ?, ?, ?, '{}', (SELECT coalesce(max(number), 0) + 1 FROM connections WHERE session_id = @session))
        RETURNING id, number`),
      counters: db.prepare(`UPDATE connections SET version = ?, frames_client = ?, frames_broker = ?, heartbeats_client = ?,
        heartbeats_broker = ?, bytes_client = ?, bytes_broker = ?, issues = ? WHERE id = ?`),
      closeConnection: db.prepare(`UPDATE connections SET closed = ?, close_reason = ? WHERE id = ?`),
      chunk: db.prepare(`INSERT INTO chunks (connection_id, dir, offset, length, file_offset) VALUES (?, ?, ?, ?, ?)`),
      heartbeat: db.prepare(`INSERT INTO heartbeats (connection_id, dir, time, offset) VALUES (?, ?, ?, ?)`),
      issue: db.prepare(`INSERT INTO issues (session_id, connection_id, frame_id, dir, offset, time, code, severity, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      recording: db.prepare(`SELECT id, meta FROM sessions WHERE state = 'recording' AND id != ?`),
      interrupted: db.prepare(`UPDATE sessions SET state = 'interrupted' WHERE id = ?`),
      // A WebSocket found on a TLS connection stays marked as TLS: 'tls' becomes 'websocket+tls'.
      transport: db.prepare(`UPDATE connections SET transport = CASE WHEN transport LIKE '%tls' THEN ? || '+tls' ELSE ? END,
        handshake = ? WHERE id = ?`),
      link: db.prepare(`INSERT INTO links (session_id, kind, from_frame, to_frame, latency) VALUES (?, ?, ?, ?, ?)`),
      frameIssue: db.prepare(`UPDATE frames SET issues = issues + 1 WHERE id = ?`),
      profile: db.prepare(`UPDATE connections SET profile = ? WHERE id = ?`),
      negotiation: db.prepare(`UPDATE connections SET negotiation = ? WHERE id = ?`),
      tls: db.prepare(`UPDATE connections SET tls = ? WHERE id = ?`),
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
        this.frameNumbers.clear();
        const result = fn();
        this.flushFrames();
        return result;
      } finally {
        this.inTransaction = false;
        this.pendingRows = 0;
      }
    }).immediate();
  }

  /** Writes the pending frame rows: all at once when there are FRAME_ROWS_PER_INSERT, else one by one. */
  private flushFrames(): void {
    const p = this.pendingFrames;
    if (this.pendingRows === FRAME_ROWS_PER_INSERT) this.s.frames.run(p);
    else for (let i = 0; i < this.pendingRows * FRAME_COLUMNS; i += FRAME_COLUMNS) this.s.frame.run(p.slice(i, i + FRAME_COLUMNS));
    this.pendingRows = 0;
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
    const r = this.s.connection.get({ session: sessionId }, client, broker, transport, opened) as { id: number; number: number };
    this.sessionOf.set(r.id, sessionId);
    this.connectionNumbers.set(r.id, r.number);
    return r.id;
  }

  /** The number of a connection this writer created, 1..k within its session. */
  connectionNumber(connectionId: number): number | null {
    return this.connectionNumbers.get(connectionId) ?? null;
  }

  /** The transport found inside the connection ('websocket', 'sockjs') and its handshake as JSON. */
  setConnectionTransport(connectionId: number, transport: string, handshakeJson: string | null): void {
    this.s.transport.run(transport, transport, handshakeJson, connectionId);
  }

  /** A captured TLS connection's version, cipher suite and whether it was decrypted. */
  setConnectionTls(connectionId: number, tls: object): void {
    this.s.tls.run(JSON.stringify(tls), connectionId);
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
  /** Stream bytes of one direction, at `offset`: one buffer, or pieces written one after the other (no copy joins them). */
  appendChunk(connectionId: number, dir: Direction, offset: number, data: Uint8Array | readonly Uint8Array[]): void {
    const sessionId = this.sessionOf.get(connectionId);
    if (sessionId === undefined) throw new Error(`connection ${connectionId} was not created by this writer`);
    const at = this.raw.append(sessionId, data);
    let length = 0;
    if (Array.isArray(data)) for (const p of data as readonly Uint8Array[]) length += p.byteLength;
    else length = (data as Uint8Array).byteLength;
    this.s.chunk.run(connectionId, DIR_CODE[dir], offset, length, at);
  }

  /** Queues a frame row (written when the transaction ends) and returns its id. Only inside transaction(). */
  insertFrame(f: NewFrame): number {
    if (!this.inTransaction) throw new Error('insertFrame outside a transaction');
    const id = ++this.nextFrameId;
    const number = (this.frameNumbers.get(f.sessionId) ?? (this.s.maxFrameNumber.get(f.sessionId) as number)) + 1;
    this.frameNumbers.set(f.sessionId, number);
    const p = this.pendingFrames;
    let k = this.pendingRows * FRAME_COLUMNS;
    p[k++] = id; p[k++] = f.sessionId; p[k++] = f.connectionId; p[k++] = f.seq; p[k++] = DIR_CODE[f.dir]; p[k++] = f.time;
    p[k++] = f.offset; p[k++] = f.length; p[k++] = f.command; p[k++] = f.destination; p[k++] = f.headersJson; p[k++] = f.crlf ? 1 : 0;
    p[k++] = f.bodyOffset; p[k++] = f.bodyLength; p[k++] = f.bodySha256; p[k++] = f.injected ? 1 : 0; p[k++] = number; p[k++] = f.issues;
    if (++this.pendingRows === FRAME_ROWS_PER_INSERT) this.flushFrames();
    return id;
  }

  /** What a proxy rule did to frame `frameId` (migration 4's frame_rules). */
  insertFrameRule(frameId: number, sessionId: number, r: FrameRuleRow): void {
    this.s.frameRule.run(frameId, sessionId, r.rule, r.action, r.forwarded ? 1 : 0, r.synthesized ? 1 : 0, r.original);
  }

  /**
   * SHA-256 of stream bytes already appended (appendChunk), read back from the raw file 1 MiB at a time: for a
   * body the decoder did not keep (over maxBodyBytes), so that its hash is stored without ever holding it whole.
   * Null when some of the bytes were not recorded (shed).
   */
  hashStream(connectionId: number, dir: Direction, offset: number, length: number): Buffer | null {
    const sessionId = this.sessionOf.get(connectionId);
    if (sessionId === undefined) return null;
    this.chunkStmts ??= {
      at: this.db.prepare<unknown[]>(`SELECT offset, length, file_offset FROM chunks WHERE connection_id = ? AND dir = ? AND offset <= ? ORDER BY offset DESC LIMIT 1`),
      from: this.db.prepare<unknown[]>(`SELECT offset, length, file_offset FROM chunks WHERE connection_id = ? AND dir = ? AND offset > ? AND offset < ? ORDER BY offset`),
    };
    type Chunk = { offset: number; length: number; file_offset: number };
    const end = offset + length;
    const first = this.chunkStmts.at.get(connectionId, DIR_CODE[dir], offset) as Chunk | undefined;
    if (!first) return null;
    const chunks = [first, ...(this.chunkStmts.from.all(connectionId, DIR_CODE[dir], first.offset, end) as Chunk[])];
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    const fd = fs.openSync(rawFileOf(this.db.name, sessionId), 'r');
    try {
      let pos = offset;
      for (const c of chunks) {
        if (c.offset > pos || c.offset + c.length <= pos) return null; // a hole: bytes shed
        const stop = Math.min(c.offset + c.length, end);
        while (pos < stop) {
          const n = fs.readSync(fd, buf, 0, Math.min(buf.length, stop - pos), c.file_offset + (pos - c.offset));
          if (n === 0) return null;
          hash.update(buf.subarray(0, n));
          pos += n;
        }
      }
      return pos === end ? hash.digest() : null;
    } finally {
      fs.closeSync(fd);
    }
  }

  private chunkStmts: { at: Statement<unknown[]>; from: Statement<unknown[]> } | undefined;

  insertHeartbeat(connectionId: number, dir: Direction, time: number, offset: number): void {
    this.s.heartbeat.run(connectionId, DIR_CODE[dir], time, offset);
  }

  insertIssue(i: IssueRow): void {
    this.s.issue.run(i.sessionId, i.connectionId, i.frameId, i.dir === null ? null : DIR_CODE[i.dir], i.offset, i.time, i.code,
      i.severity, i.message);
  }

  /** A correlation link between two frames (shared/analysis/types.ts names the kinds); latency in µs. */
  insertLink(sessionId: number, kind: string, fromFrame: number, toFrame: number, latency: number | null): void {
    this.s.link.run(sessionId, kind, fromFrame, toFrame, latency);
  }

  /**
   * One more issue on a frame already inserted (an analysis finding): raises its issue count, in the buffered
   * row when the frame is not written yet, else in the table.
   */
  countFrameIssue(frameId: number): void {
    const pendingRows = this.pendingRows;
    const row = frameId - (this.nextFrameId - pendingRows) - 1;
    if (row >= 0 && row < pendingRows) {
      const at = row * FRAME_COLUMNS + FRAME_ISSUES_AT;
      this.pendingFrames[at] = (this.pendingFrames[at] as number) + 1;
    } else this.s.frameIssue.run(frameId);
  }

  setConnectionProfile(connectionId: number, profile: string | null): void {
    this.s.profile.run(profile, connectionId);
  }

  /** The connection's negotiated state (StoredNegotiation), written once when CONNECTED is seen. */
  setConnectionNegotiation(connectionId: number, n: StoredNegotiation): void {
    this.s.negotiation.run(JSON.stringify(n), connectionId);
  }
}
