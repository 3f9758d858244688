// The store's read side for one connection of SQLite: sessions, connections and frames as typed records (headers
// as the ordered raw pairs they were on the wire), and the raw bytes of a stream range, read back from the chunk
// files. Interpretation (unescaping, masking, JSON shapes) is done by its callers, on top of this wire truth.
import type { Db } from './db.js';
import { RawFileReader } from './raw-files.js';
import { DIR_NAME } from './writer.js';
import type { Direction, RawHeader, Severity, StompVersion } from '../../../shared/stomp/types.js';

export interface SessionInfo {
  id: number;
  kind: string;
  name: string;
  started: number;
  ended: number | null;
  state: string;
  meta: Record<string, unknown>;
  connections: number;
  frames: number;
  /** Issues (findings) recorded in the session. */
  issues: number;
}

export interface ConnectionInfo {
  id: number;
  sessionId: number;
  /** 1..k within its session, in the order connections were stored: what people read (`#k`). */
  number: number;
  client: string;
  broker: string;
  transport: string;
  /** JSON of the WebSocket / SockJS handshake (shared/websocket/handshake.ts); null for TCP and TLS. */
  handshake: string | null;
  /** JSON of a captured TLS connection's version, cipher suite and decryption ({"version", "cipherSuite", "decrypted", "missing"?}). */
  tls: string | null;
  version: StompVersion | null;
  opened: number;
  closed: number | null;
  closeReason: string | null;
  /** The broker profile: detected from CONNECTED's server header, or chosen by the user; null: none. */
  profile: string | null;
  frames: Record<Direction, number>;
  heartbeats: Record<Direction, number>;
  bytes: Record<Direction, number>;
  issues: number;
}

export interface StoredIssue {
  code: string;
  severity: Severity;
  message: string;
}

export interface StoredFrame {
  id: number;
  /** 1..N within its session, in capture order: what people read (the list's No. column). */
  number: number;
  sessionId: number;
  connectionId: number;
  seq: number;
  from: Direction;
  time: number;
  offset: number;
  length: number;
  command: string;
  destination: string | null;
  /** Raw (escaped) header pairs as on the wire. */
  rawHeaders: RawHeader[];
  crlf: boolean;
  bodyOffset: number;
  bodyLength: number;
  bodySha256: Buffer | null;
  issueCount: number;
  /** StompScope wrote this frame into the connection itself (proxy injection). */
  injected: boolean;
  /** What a proxy rule did to the frame (frame_rules), or null. */
  rule: { name: string | null; action: string | null; forwarded: boolean; synthesized: boolean; original: Buffer | null } | null;
}

interface FrameRowDb {
  id: number; number: number; session_id: number; connection_id: number; seq: number; dir: number; time: number; offset: number; length: number;
  command: string; destination: string | null; headers: string; crlf: number; body_offset: number; body_length: number;
  body_sha256: Buffer | null; issues: number; injected?: number;
  rule_name?: string | null; rule_action?: string | null; rule_forwarded?: number | null; rule_synthesized?: number | null; rule_original?: Buffer | null;
}

function toFrame(r: FrameRowDb): StoredFrame {
  return {
    id: r.id, number: r.number, sessionId: r.session_id, connectionId: r.connection_id, seq: r.seq, from: DIR_NAME[r.dir], time: r.time, offset: r.offset,
    length: r.length, command: r.command, destination: r.destination, rawHeaders: JSON.parse(r.headers) as RawHeader[], crlf: !!r.crlf,
    bodyOffset: r.body_offset, bodyLength: r.body_length, bodySha256: r.body_sha256, issueCount: r.issues, injected: !!r.injected,
    rule: r.rule_forwarded === null || r.rule_forwarded === undefined ? null : {
      name: r.rule_name ?? null, action: r.rule_action ?? null, forwarded: r.rule_forwarded === 1, synthesized: r.rule_synthesized === 1, original: r.rule_original ?? null,
    },
  };
}

interface Chunk {
  offset: number;
  length: number;
  file_offset: number;
}

/** Read-side queries over a StompScope database. Paging is by keyset (frame id), never OFFSET. */
export class StoreReader {
  private readonly s;
  private readonly raw: RawFileReader;
  private readonly sessionOfConnection = new Map<number, number>();

  constructor(readonly db: Db) {
    this.raw = new RawFileReader(db.name);
    this.s = {
      sessions: db.prepare(`SELECT s.*, (SELECT count(*) FROM connections c WHERE c.session_id = s.id) connections,
        (SELECT count(*) FROM frames f WHERE f.session_id = s.id) frames,
        (SELECT count(*) FROM issues i WHERE i.session_id = s.id) issues FROM sessions s ORDER BY s.id`),
      session: db.prepare(`SELECT id FROM sessions WHERE id = ?`),
      connections: db.prepare(`SELECT * FROM connections WHERE (@session IS NULL OR session_id = @session) ORDER BY id`),
      connection: db.prepare(`SELECT * FROM connections WHERE id = ?`),
      framePage: db.prepare(`SELECT f.*, r.rule AS rule_name, r.action AS rule_action, r.forwarded AS rule_forwarded, r.synthesized AS rule_synthesized,
        r.original AS rule_original FROM frames f LEFT JOIN frame_rules r ON r.frame_id = f.id WHERE f.id > @after AND (@session IS NULL OR f.session_id = @session)
        AND (@connection IS NULL OR f.connection_id = @connection) ORDER BY f.id LIMIT @limit`),
      frameIssues: db.prepare(`SELECT frame_id, code, severity, message FROM issues WHERE frame_id BETWEEN ? AND ? ORDER BY id`),
      chunkAt: db.prepare(`SELECT offset, length, file_offset FROM chunks WHERE connection_id = ? AND dir = ? AND offset <= ?
        ORDER BY offset DESC LIMIT 1`),
      chunksFrom: db.prepare(`SELECT offset, length, file_offset FROM chunks WHERE connection_id = ? AND dir = ? AND offset > ? AND offset < ?
        ORDER BY offset`),
      sessionOf: db.prepare(`SELECT session_id FROM connections WHERE id = ?`).pluck(),
    };
  }

  sessions(): SessionInfo[] {
    return (this.s.sessions.all() as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number, kind: r.kind as string, name: r.name as string, started: r.started as number, ended: r.ended as number | null,
      state: r.state as string, meta: JSON.parse(r.meta as string), connections: r.connections as number, frames: r.frames as number,
      issues: r.issues as number,
    }));
  }

  hasSession(id: number): boolean {
    return !!this.s.session.get(id);
  }

  connections(sessionId: number | null = null): ConnectionInfo[] {
    return (this.s.connections.all({ session: sessionId }) as Array<Record<string, unknown>>).map(toConnection);
  }

  connection(id: number): ConnectionInfo | null {
    const r = this.s.connection.get(id) as Record<string, unknown> | undefined;
    return r ? toConnection(r) : null;
  }

  /** Frames in capture order, in pages of `pageSize`, with the issues found on each. */
  *frames(filter: { session?: number | null; connection?: number | null } = {}, pageSize = 1000): Generator<StoredFrame & { issues: StoredIssue[] }> {
    let after = 0;
    for (;;) {
      const rows = this.s.framePage.all({ after, session: filter.session ?? null, connection: filter.connection ?? null, limit: pageSize }) as FrameRowDb[];
      if (rows.length === 0) return;
      const byFrame = new Map<number, StoredIssue[]>();
      if (rows.some((r) => r.issues > 0)) {
        for (const i of this.s.frameIssues.all(rows[0].id, rows[rows.length - 1].id) as Array<{ frame_id: number } & StoredIssue>) {
          let list = byFrame.get(i.frame_id);
          if (!list) byFrame.set(i.frame_id, (list = []));
          list.push({ code: i.code, severity: i.severity, message: i.message });
        }
      }
      for (const r of rows) yield { ...toFrame(r), issues: byFrame.get(r.id) ?? [] };
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * Bytes [offset, offset + length) of one direction of a connection, from the session's raw file. Returns
   * null when some of those bytes were never recorded (a gap) or the raw file is gone.
   */
  readBytes(connectionId: number, from: Direction, offset: number, length: number): Buffer | null {
    const dir = from === 'client' ? 0 : 1;
    if (length === 0) return Buffer.alloc(0);
    let sessionId = this.sessionOfConnection.get(connectionId);
    if (sessionId === undefined) {
      sessionId = this.s.sessionOf.get(connectionId) as number | undefined;
      if (sessionId === undefined) return null;
      this.sessionOfConnection.set(connectionId, sessionId);
    }
    const first = this.s.chunkAt.get(connectionId, dir, offset) as Chunk | undefined;
    if (!first) return null;
    const end = offset + length;
    const firstEnd = first.offset + first.length;
    if (firstEnd <= offset) return null;
    // Contiguous stream bytes are contiguous in the file when their chunks are: one read in the common case.
    const pieces: Array<[fileOffset: number, len: number]> = [[first.file_offset + (offset - first.offset), Math.min(firstEnd, end) - offset]];
    let pos = firstEnd;
    if (pos < end) {
      for (const c of this.s.chunksFrom.all(connectionId, dir, first.offset, end) as Chunk[]) {
        if (c.offset !== pos) return null;
        const len = Math.min(c.length, end - c.offset);
        const last = pieces[pieces.length - 1];
        if (last[0] + last[1] === c.file_offset) last[1] += len;
        else pieces.push([c.file_offset, len]);
        pos = c.offset + c.length;
      }
      if (pos < end) return null;
    }
    const parts: Buffer[] = [];
    for (const [at, len] of pieces) {
      const b = this.raw.read(sessionId, at, len);
      if (!b) return null;
      parts.push(b);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  close(): void {
    this.raw.close();
    this.db.close();
  }
}

function toConnection(r: Record<string, unknown>): ConnectionInfo {
  return {
    id: r.id as number, sessionId: r.session_id as number, number: r.number as number, client: r.client as string, broker: r.broker as string,
    transport: r.transport as string, handshake: (r.handshake as string | null | undefined) ?? null,
    tls: (r.tls as string | null | undefined) ?? null, version: r.version as StompVersion | null, opened: r.opened as number, closed: r.closed as number | null,
    closeReason: r.close_reason as string | null, profile: (r.profile as string | null | undefined) ?? null,
    frames: { client: r.frames_client as number, broker: r.frames_broker as number },
    heartbeats: { client: r.heartbeats_client as number, broker: r.heartbeats_broker as number },
    bytes: { client: r.bytes_client as number, broker: r.bytes_broker as number },
    issues: r.issues as number,
  };
}
