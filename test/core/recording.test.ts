// Recording as a conversation: bytes in per direction through the real recorder worker and SQLite, then the
// CLI's JSON views out.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { StoreWriter } from '../../src-main/core/store/writer.js';
import { connectionJson, frameJson, isoMicros, sessionJson } from '../../src-main/core/read/frame-json.js';
import { tmpDb as tmpDbIn } from '../support/tmp-db.js';

const tmpDb = () => tmpDbIn('stompscope-rec-');

const b = (s: string) => Buffer.from(s, 'utf8');

function read(dbPath: string) {
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  const conns = reader.connections();
  const frames = [...reader.frames()].map((f) => frameJson(reader, f, reader.connection(f.connectionId), { base64: true }));
  return { reader, sessions: reader.sessions().map(sessionJson), connections: conns.map(connectionJson), frames };
}

describe('recording a connection', () => {
  it('records frames, heart-beats and unescaped headers per direction, whatever the chunking', async () => {
    const db = tmpDb();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'conversation' });
    const key = rec.openConnection('127.0.0.1:50000', '127.0.0.1:61613');
    const client = b('CONNECT\naccept-version:1.1,1.2\nhost:/\nheart-beat:1000,1000\n\n\0') ;
    const broker = b('CONNECTED\nversion:1.2\nheart-beat:1000,1000\n\n\0\n');
    const send = Buffer.concat([b('SEND\r\ndestination:/queue/a\\cb\r\nx:1\r\nx:2\r\ncontent-length:5\r\n\r\n'), Buffer.from([1, 0, 2, 0, 3]), b('\0\n\n')]);
    rec.data(key, 'client', client);
    rec.data(key, 'broker', broker);
    // The SEND arrives one byte at a time.
    for (const byte of send) rec.data(key, 'client', Buffer.from([byte]));
    rec.data(key, 'broker', b('RECEIPT\nreceipt-id:77\n\n\0'));
    rec.closeConnection(key, 'client closed');
    const summary = await rec.end();
    // One issue: the connection-level note of the negotiated heart-beats (heartbeat-negotiated).
    // Heart-beats: the client's second EOL after the SEND; the EOL right after a NUL only ends that frame.
    expect(summary).toMatchObject({ connections: 1, frames: 4, heartbeats: 1, issues: 1 });

    const { sessions, connections, frames } = read(db);
    expect(sessions).toEqual([expect.objectContaining({ session: summary.session, kind: 'proxy', name: 'conversation', connections: 1, frames: 4, state: 'complete' })]);
    expect(connections[0]).toMatchObject({
      client: '127.0.0.1:50000', broker: '127.0.0.1:61613', version: '1.2', frames: { client: 2, broker: 2 },
      heartbeats: { client: 1, broker: 0 }, issues: 1, closeReason: 'client closed',
    });
    expect(frames.map((f) => [f.seq, f.from, f.command])).toEqual([[0, 'client', 'CONNECT'], [1, 'broker', 'CONNECTED'], [2, 'client', 'SEND'], [3, 'broker', 'RECEIPT']]);
    const s = frames[2];
    // Unescaped per 1.2, repeats kept in order, binary body hashed whole.
    expect(s.headers).toEqual([['destination', '/queue/a:b'], ['x', '1'], ['x', '2'], ['content-length', '5']]);
    expect(s.bodyLength).toBe(5);
    expect(s.bodySha256).toBe(createHash('sha256').update(Buffer.from([1, 0, 2, 0, 3])).digest('hex'));
    expect(s.bodyBase64).toBe(Buffer.from([1, 0, 2, 0, 3]).toString('base64'));
    expect(s.body).toBe('\u0001\u0000\u0002\u0000\u0003');
    expect(s.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(frames[0].headers).toEqual([['accept-version', '1.1,1.2'], ['host', '/'], ['heart-beat', '1000,1000']]);
  });

  it('keeps the raw bytes of each direction exactly, garbage included', async () => {
    const db = tmpDb();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'raw' });
    const key = rec.openConnection('127.0.0.1:1', '127.0.0.1:2');
    const bytes = Buffer.concat([b('SEND\ndestination:/q\n\nhi\0'), Buffer.from([0xff, 0xfe, 0, 10]), b('MESSAGE\ndestination:/q\\t\n\nx\0')]);
    for (let i = 0; i < bytes.length; i += 3) rec.data(key, 'client', bytes.subarray(i, i + 3));
    rec.closeConnection(key, null);
    await rec.end();
    const { reader, connections, frames } = read(db);
    expect(reader.readBytes(connections[0].connection, 'client', 0, bytes.length)).toEqual(bytes);
    // Malformed input is data: the garbage is recorded as an issue at its offset, and decoding resumes.
    const issues = reader.db.prepare(`SELECT code, offset FROM issues WHERE connection_id = ?`).all(connections[0].connection);
    expect(issues).toEqual([expect.objectContaining({ code: 'garbage', offset: 24 })]);
    expect(connections[0].issues).toBe(1);
    expect(frames.map((f) => f.command)).toEqual(['SEND', 'MESSAGE']);
  });

  it('sheds recording, not forwarding, when the recorder falls behind, and says so', async () => {
    const db = tmpDb();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'overload', maxInFlightBytes: 64 * 1024 });
    const key = rec.openConnection('127.0.0.1:1', '127.0.0.1:2');
    const frame = b(`SEND\ndestination:/q\n\n${'x'.repeat(1000)}\0`);
    // Synchronously, with no chance for the worker to acknowledge: most of this must be shed.
    for (let i = 0; i < 1000; i++) rec.data(key, 'client', frame);
    rec.closeConnection(key, null);
    const summary = await rec.end();
    expect(rec.shedBytes).toBeGreaterThan(0);
    const { frames, connections } = read(db);
    expect(frames.length).toBeLessThan(1000);
    expect(frames.length).toBeGreaterThan(0);
    expect(connections[0].bytes.client).toBe(1000 * frame.length);
    const db2 = openDb(db, { readonly: true });
    const overload = db2.prepare(`SELECT count(*) FROM issues WHERE code = 'recording-overload'`).pluck().get() as number;
    expect(overload).toBeGreaterThan(0);
    expect(summary.issues).toBeGreaterThanOrEqual(overload);
  });

  it('makes one issue per span of shed reads, and keeps the frame the shed bytes fell in, with its real length', async () => {
    const db = tmpDb();
    // 64 KiB of budget; every call below is synchronous, so nothing is acknowledged before close: the head and the
    // first piece of the body are recorded, the next 200 reads (8 MB) are over the budget and shed.
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'spans', maxInFlightBytes: 64 * 1024 });
    const key = rec.openConnection('127.0.0.1:1', '127.0.0.1:2');
    const head = b('SEND\ndestination:/queue/big\n\n');
    const piece = Buffer.alloc(40_000, 0x61); // no NUL: one body that goes on
    rec.data(key, 'client', head);
    rec.data(key, 'client', piece);
    const reads = 200;
    for (let i = 0; i < reads; i++) rec.data(key, 'client', piece);
    rec.data(key, 'client', b('\0')); // the NUL, in the last shed read
    rec.closeConnection(key, 'client closed');
    await rec.end();
    expect(rec.shedBytes).toBe(reads * piece.length + 1);

    const d = openDb(db, { readonly: true });
    const issues = d.prepare(`SELECT code, frame_id, offset, message FROM issues WHERE code = 'recording-overload' ORDER BY id`).all() as Array<{ code: string; frame_id: number | null; offset: number; message: string }>;
    const frames = d.prepare(`SELECT id, command, length, body_length FROM frames`).all() as Array<{ id: number; command: string; length: number; body_length: number }>;
    d.close();
    const shedFrom = head.length + piece.length;
    const shed = reads * piece.length + 1;
    // One issue for the 201 shed reads (not one or two per read), saying how many bytes and where...
    const spans = issues.filter((i) => i.frame_id === null);
    expect(spans).toEqual([expect.objectContaining({ offset: shedFrom })]);
    expect(spans[0].message).toMatch(new RegExp(`^${shed} bytes \\(stream offsets ${shedFrom}–${shedFrom + shed},`));
    // ...and the SEND is still listed, with its real length, marked: its body was not kept.
    const length = head.length + (reads + 1) * piece.length + 1;
    expect(frames).toEqual([{ id: expect.any(Number), command: 'SEND', length, body_length: length - head.length - 1 }]);
    expect(issues.filter((i) => i.frame_id === frames[0].id).map((i) => i.message)).toEqual([`${shed} bytes of this frame were forwarded but not recorded; its length is known, its body was not kept`]);
  });

  it('marks a session left recording by a killed process as interrupted, not one still being recorded', async () => {
    const db = tmpDb();
    // A recorder that was killed: its process is gone.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const w = new StoreWriter(openDb(db));
    const orphan = w.createSession('proxy', 'killed', 1);
    w.setSessionMeta(orphan, { recorder: { pid: Number(gone.stdout), host: os.hostname() } });
    // A recording that goes on in this (live) process.
    const live = w.createSession('proxy', 'still recording', 2);
    w.close();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'next' });
    await rec.end();
    const { sessions } = read(db);
    expect(sessions.find((s) => s.session === orphan)?.state).toBe('interrupted');
    expect(sessions.find((s) => s.session === live)?.state).toBe('recording');
    expect(sessions.find((s) => s.name === 'next')?.state).toBe('complete');
  });

  it.skipIf(process.platform !== 'linux')('marks as interrupted a session whose recorder exited but was not reaped (a zombie answers signal 0)', async () => {
    const db = tmpDb();
    // sh starts a short-lived child, prints its pid, then becomes `sleep`, which never waits for children: once
    // the child exits it stays a zombie of that sleep until the sleep ends.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
        parent.once('error', reject);
      });
      const state = () => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
          return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch {
          return 'gone';
        }
      };
      for (let i = 0; i < 200 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 25));
      expect(state(), `state of the child ${pid}`).toBe('Z');
      expect(() => process.kill(pid, 0)).not.toThrow(); // what the check used to rely on

      const w = new StoreWriter(openDb(db));
      const orphan = w.createSession('proxy', 'zombie recorder', 1);
      w.setSessionMeta(orphan, { recorder: { pid, host: os.hostname() } });
      w.close();
      const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'next' });
      await rec.end();
      expect(read(db).sessions.find((s) => s.session === orphan)?.state).toBe('interrupted');
    } finally {
      parent.kill('SIGKILL'); // the zombie goes to init, which reaps it
    }
  });

  it('refuses a file that is not a StompScope database, clearly', async () => {
    const file = tmpDb();
    fs.writeFileSync(file, 'this is not sqlite');
    await expect(Recorder.start({ dbPath: file, kind: 'proxy', name: 'x' })).rejects.toThrow(/database/);
    expect(() => openDb(file, { readonly: true })).toThrow(/database/);
  });
});

describe('time format', () => {
  it('is ISO 8601 UTC with microseconds', () => {
    expect(isoMicros(1_700_000_000_123_456)).toBe('2023-11-14T22:13:20.123456Z');
    expect(isoMicros(5)).toBe('1970-01-01T00:00:00.000005Z');
    expect(isoMicros(null)).toBeNull();
  });
});

describe('raw bytes beside the database', () => {
  it('keeps each session in its own append-only file, and reads bodies across chunks', async () => {
    const db = tmpDb();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'raw file' });
    const key = rec.openConnection('127.0.0.1:1', '127.0.0.1:2');
    const body = Buffer.alloc(700_000, 0x62);
    const frame = Buffer.concat([b(`SEND\ndestination:/q\ncontent-length:${body.length}\n\n`), body, b('\0')]);
    // Broker bytes interleave with client bytes in the file: reads must follow the index, not the file order.
    for (let i = 0; i < frame.length; i += 50_000) {
      rec.data(key, 'client', frame.subarray(i, i + 50_000));
      rec.data(key, 'broker', b('\n'));
    }
    rec.closeConnection(key, null);
    const { session } = await rec.end();
    const rawFile = `${db}-raw/session-${session}.raw`;
    expect(fs.statSync(rawFile).size).toBe(frame.length + Math.ceil(frame.length / 50_000));
    let { frames } = read(db);
    expect(frames).toHaveLength(1);
    expect(frames[0].bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    // Without its raw file a session still lists its frames; bodies are then unknown, not wrong.
    fs.rmSync(rawFile);
    ({ frames } = read(db));
    expect(frames[0]).toMatchObject({ command: 'SEND', bodyLength: body.length, body: null, bodySha256: null });
  });
});

describe('batching', () => {
  it('keeps every byte when one batch holds more reads than its descriptor table', async () => {
    const db = tmpDb();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'many reads' });
    const key = rec.openConnection('127.0.0.1:1', '127.0.0.1:2');
    // 20,000 one-byte reads: more than one batch's worth of segments, far less than a batch's bytes.
    const frame = b('SEND\ndestination:/q\n\nx\0');
    const reads = 20_000;
    for (let i = 0; i < reads; i++) rec.data(key, 'client', frame.subarray(i % frame.length, (i % frame.length) + 1));
    rec.closeConnection(key, null);
    await rec.end();
    const { reader, connections, frames } = read(db);
    const all = Buffer.concat(Array.from({ length: Math.ceil(reads / frame.length) }, () => frame)).subarray(0, reads);
    expect(reader.readBytes(connections[0].connection, 'client', 0, reads)).toEqual(all);
    // The last read ends mid-frame: that frame is recorded too, marked truncated.
    const whole = frames.filter((f) => (f.issues as Array<{ code: string }>).length === 0);
    expect(whole).toHaveLength(Math.floor(reads / frame.length));
    expect(frames.at(-1)!.issues).toEqual([expect.objectContaining({ code: 'truncated-frame' })]);
  });

  it('records reads handed over whole (owned) byte for byte, interleaved with copied ones, and copies a read that shares its memory', async () => {
    const db = tmpDb();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'owned reads' });
    const key = rec.openConnection('127.0.0.1:1', '127.0.0.1:2');
    // Frames with 20–90 KiB bodies (reads past the transfer threshold), binary, cut into reads of varied sizes.
    const frames = Array.from({ length: 24 }, (_, n) => {
      const body = Buffer.alloc(20_000 + n * 3_000, 0x41 + (n % 26));
      return Buffer.concat([b(`SEND\ndestination:/q/${n}\ncontent-length:${body.length}\n\n`), body, b('\0')]);
    });
    const stream = Buffer.concat(frames);
    const sizes = [70_000, 17, 40_000, 16_384, 3, 65_536, 900];
    const owned: Buffer[] = [];
    let shared: { view: Buffer; whole: Buffer; copy: Buffer } | null = null;
    for (let at = 0, k = 0; at < stream.length; k++) {
      const len = Math.min(sizes[k % sizes.length], stream.length - at);
      if (k === 3) {
        // A large read that is a view of a larger buffer: must be copied, the rest of that buffer left intact.
        const whole = Buffer.alloc(len + 10, 0x7a);
        stream.copy(whole, 5, at, at + len);
        const view = whole.subarray(5, 5 + len);
        shared = { view, whole, copy: Buffer.from(whole) };
        rec.data(key, 'client', view, false, null, true);
      } else {
        // Its own memory, as a socket read is.
        const read = Buffer.from(stream.subarray(at, at + len));
        owned.push(read);
        rec.data(key, 'client', read, false, null, true);
      }
      at += len;
    }
    rec.closeConnection(key, null);
    await rec.end();
    // The large owned reads were handed over (left detached, empty); the shared one was not.
    expect(owned.filter((r) => r.length === 0).length).toBeGreaterThan(0);
    expect(shared!.whole.equals(shared!.copy)).toBe(true);
    expect(shared!.view.length).toBeGreaterThan(0);
    const { reader, connections, frames: rows } = read(db);
    // (equals: an element-wise comparison of 1.3 MB takes seconds.)
    expect(reader.readBytes(connections[0].connection, 'client', 0, stream.length)?.equals(stream)).toBe(true);
    expect(rows.map((f) => (f.headers as Array<[string, string]>).find(([k]) => k === 'destination')?.[1])).toEqual(frames.map((_, n) => `/q/${n}`));
    expect(rows.map((f) => f.bodyLength)).toEqual(frames.map((_, n) => 20_000 + n * 3_000));
    expect(rows.every((f) => (f.issues as unknown[]).length === 0)).toBe(true);
  });

  it('writes every frame row of a transaction, at and around the rows-per-statement boundaries, and counts issues on written and pending rows', () => {
    const db = tmpDb();
    const writer = new StoreWriter(openDb(db));
    const session = writer.transaction(() => writer.createSession('import', 'rows', 1));
    const conn = writer.transaction(() => writer.createConnection(session, 'c', 'b', 'tcp', 1));
    let seq = 0;
    const row = () => writer.insertFrame({
      sessionId: session, connectionId: conn, seq: seq++, dir: 'client', time: seq, offset: seq, length: 1, command: 'SEND',
      destination: `/q/${seq}`, headersJson: '[]', crlf: false, bodyOffset: seq, bodyLength: 0, bodySha256: null, injected: false, issues: 0,
    });
    const ids: number[] = [];
    for (const n of [0, 1, 31, 32, 33, 65, 64]) {
      writer.transaction(() => {
        const mine = Array.from({ length: n }, row);
        ids.push(...mine);
        // An issue on the first row of this transaction (written already once 32 rows piled up) and on the last.
        if (n) writer.countFrameIssue(mine[0]);
        if (n > 1) writer.countFrameIssue(mine[n - 1]);
      });
    }
    const rows = writer.db.prepare('SELECT id, seq, destination, issues FROM frames ORDER BY id').all() as Array<{ id: number; seq: number; destination: string; issues: number }>;
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.map((r) => r.seq)).toEqual(ids.map((_, i) => i));
    expect(rows.map((r) => r.destination)).toEqual(ids.map((_, i) => `/q/${i + 1}`));
    expect(rows.reduce((s, r) => s + r.issues, 0)).toBe(1 + 2 * 5); // n=1: one; n>1: two each (5 of them)
    // A transaction that fails writes none of its rows, and the next one goes on.
    expect(() => writer.transaction(() => {
      for (let i = 0; i < 40; i++) row();
      throw new Error('boom');
    })).toThrow('boom');
    writer.transaction(() => row());
    expect(writer.db.prepare('SELECT count(*) FROM frames').pluck().get()).toBe(ids.length + 1);
    // New files get 8 KiB pages (faster frame inserts); the setting is the file's own.
    expect(writer.db.pragma('page_size', { simple: true })).toBe(8192);
    writer.close();
  });
});

describe('the better-sqlite3 addon', () => {
  it('comes from STOMPSCOPE_SQLITE_BINDING when the host sets it (the Electron build), for every open', () => {
    const db = tmpDb();
    const saved = process.env.STOMPSCOPE_SQLITE_BINDING;
    try {
      process.env.STOMPSCOPE_SQLITE_BINDING = path.join(os.tmpdir(), 'no-such-dir', 'better_sqlite3.node');
      expect(() => openDb(db)).toThrow(/no-such-dir/);
      process.env.STOMPSCOPE_SQLITE_BINDING = fileURLToPath(new URL('../../node_modules/better-sqlite3/build/Release/better_sqlite3.node', import.meta.url));
      openDb(db).close();
    } finally {
      if (saved === undefined) delete process.env.STOMPSCOPE_SQLITE_BINDING;
      else process.env.STOMPSCOPE_SQLITE_BINDING = saved;
    }
  });
});
