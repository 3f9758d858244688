// Writes sessions straight into a StompScope database with SQL, with real frame bytes in chunks (so bodies and
// raw frames read back), for tests and benchmarks that need data but not the proxy.
import type { Db } from '../../src-main/core/store/db.js';
import { RawFileWriter } from '../../src-main/core/store/raw-files.js';

export interface SeedFrame {
  conn: number;
  from: 'client' | 'broker';
  command: string;
  headers: Array<[string, string]>;
  body?: string;
  issues?: Array<{ code: string; severity: 'error' | 'warning' | 'note'; message: string }>;
}

const enc = new TextEncoder();

export function seedSession(db: Db, o: { name: string; version?: string; connections: number; frames: Iterable<SeedFrame>; t0?: number; stepUs?: number; state?: string }): { session: number; connections: number[]; frames: number } {
  const t0 = o.t0 ?? 1_700_000_000_000_000;
  const step = o.stepUs ?? 1000;
  let frames = 0;
  const run = db.transaction(() => {
    const session = Number(db.prepare(`INSERT INTO sessions (kind, name, started, ended, state, meta) VALUES ('proxy', ?, ?, ?, ?, '{}')`)
      .run(o.name, t0, o.state === 'recording' ? null : t0 + 1, o.state ?? 'complete').lastInsertRowid);
    const conns: number[] = [];
    for (let i = 0; i < o.connections; i++) {
      conns.push(Number(db.prepare(`INSERT INTO connections (session_id, number, client, broker, version, opened) VALUES (?, ?, ?, '127.0.0.1:61613', ?, ?)`)
        .run(session, i + 1, `127.0.0.1:${40000 + i}`, o.version ?? '1.2', t0).lastInsertRowid));
    }
    const insFrame = db.prepare(`INSERT INTO frames (session_id, number, connection_id, seq, dir, time, offset, length, command, destination, headers,
      crlf, body_offset, body_length, issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`);
    const insIssue = db.prepare(`INSERT INTO issues (session_id, connection_id, frame_id, dir, offset, time, code, severity, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insChunk = db.prepare(`INSERT INTO chunks (connection_id, dir, offset, length, file_offset) VALUES (?, ?, ?, ?, ?)`);
    const raw = new RawFileWriter(db.name);
    const state = new Map<string, { offset: number; chunkStart: number; parts: Uint8Array[]; size: number; seq: number }>();
    const flush = (key: string, conn: number, dir: number) => {
      const s = state.get(key)!;
      if (!s.size) return;
      const data = Buffer.concat(s.parts);
      insChunk.run(conn, dir, s.chunkStart, data.length, raw.append(session, data));
      s.chunkStart += s.size;
      s.parts = [];
      s.size = 0;
    };
    const seqs = new Map<number, number>();
    let t = t0;
    for (const f of o.frames) {
      const conn = conns[f.conn - 1];
      const dir = f.from === 'client' ? 0 : 1;
      const key = `${conn}:${dir}`;
      let s = state.get(key);
      if (!s) state.set(key, (s = { offset: 0, chunkStart: 0, parts: [], size: 0, seq: 0 }));
      const head = enc.encode(`${f.command}\n${f.headers.map(([k, v]) => `${k}:${v}\n`).join('')}\n`);
      const body = enc.encode(f.body ?? '');
      const bytes = new Uint8Array(head.length + body.length + 1);
      bytes.set(head);
      bytes.set(body, head.length);
      const seq = seqs.get(conn) ?? 0;
      seqs.set(conn, seq + 1);
      const dest = f.headers.find(([k]) => k === 'destination')?.[1] ?? null;
      const id = Number(insFrame.run(session, frames + 1, conn, seq, dir, t, s.offset, bytes.length, f.command, dest, JSON.stringify(f.headers),
        s.offset + head.length, body.length, f.issues?.length ?? 0).lastInsertRowid);
      for (const i of f.issues ?? []) insIssue.run(session, conn, id, dir, s.offset, t, i.code, i.severity, i.message);
      s.parts.push(bytes);
      s.size += bytes.length;
      s.offset += bytes.length;
      if (s.size > 256 * 1024) flush(key, conn, dir);
      t += step;
      frames++;
    }
    for (const [key] of state) {
      const [c, d] = key.split(':').map(Number);
      flush(key, c, d);
    }
    raw.closeAll();
    return { session, connections: conns };
  });
  const r = run();
  return { ...r, frames };
}

/** A small realistic conversation: CONNECT…DISCONNECT with SENDs (JSON bodies) to two queues, MESSAGEs, ACKs. */
export function* conversation(n: number, conns = 1): Generator<SeedFrame> {
  for (let c = 1; c <= conns; c++) {
    yield { conn: c, from: 'client', command: 'CONNECT', headers: [['accept-version', '1.2'], ['host', '/'], ['heart-beat', '1000,1000']] };
    yield { conn: c, from: 'broker', command: 'CONNECTED', headers: [['version', '1.2'], ['heart-beat', '1000,1000'], ['server', 'RabbitMQ/3']] };
    yield { conn: c, from: 'client', command: 'SUBSCRIBE', headers: [['destination', '/queue/orders'], ['id', `sub-${c}`], ['ack', 'client-individual']] };
  }
  for (let i = 0; i < n; i++) {
    const c = (i % conns) + 1;
    const dest = i % 3 === 0 ? '/queue/other' : '/queue/orders';
    const body = JSON.stringify({ order: i, amount: i * 7 % 100, note: i % 10 === 0 ? 'answer 42' : 'none' });
    const ct: Array<[string, string]> = i % 5 === 0 ? [['content-type', 'text/plain']] : [['content-type', 'application/json']];
    yield { conn: c, from: 'client', command: 'SEND', headers: [['destination', dest], ...ct, ['receipt', `r-${i}`], ['content-length', String(body.length)]], body };
    yield { conn: c, from: 'broker', command: 'RECEIPT', headers: [['receipt-id', `r-${i}`]] };
    if (dest === '/queue/orders') {
      yield {
        conn: c, from: 'broker', command: 'MESSAGE',
        headers: [['destination', dest], ['subscription', `sub-${c}`], ['message-id', `m-${i}`], ['ack', `a-${i}`], ...ct, ['x-dup', 'first'], ['x-dup', 'second']],
        body,
        issues: i % 50 === 7 ? [{ code: 'content-length-mismatch', severity: 'warning', message: 'seeded issue' }] : undefined,
      };
      yield { conn: c, from: 'client', command: 'ACK', headers: [['id', `a-${i}`]] };
    }
  }
  for (let c = 1; c <= conns; c++) yield { conn: c, from: 'client', command: 'DISCONNECT', headers: [['receipt', `bye-${c}`]] };
}

/**
 * A display filter that backtracks catastrophically on SLOW_BODY: exponential in its 40 'a's, so it never ends by
 * itself (the read workers' tests stop it by their time limit or a cancellation, never by waiting it out).
 */
export const SLOW_FILTER = 'body matches "^(a|a){1,26}(a+)+$"';
export const SLOW_BODY = 'a'.repeat(40) + '!';

/** A session of `n` conversation steps and one SEND whose body SLOW_FILTER never finishes on; its SEND count. */
export function seedSlowBodies(db: Db, n: number, name = 'slow bodies'): { session: number; sends: number } {
  const frames: SeedFrame[] = [...conversation(n), { conn: 1, from: 'client', command: 'SEND', headers: [['destination', '/queue/slow']], body: SLOW_BODY }];
  return { session: seedSession(db, { name, connections: 1, frames }).session, sends: frames.filter((f) => f.command === 'SEND').length };
}
