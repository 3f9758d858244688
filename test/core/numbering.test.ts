// Frames are numbered 1..N and connections 1..k within their session, in the order they were stored (capture
// order), whatever ids the database gave them: by the recorder, by import, and for databases written before the
// numbers existed (migrated in id order). The display filter's `no` / `frame.number` and `conn` use them.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, validateArgs } from '../../shared/api/index.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { createReadSide } from '../../src-main/core/read/handlers.js';
import { filteredFrames } from '../../src-main/core/read/query/filtered-frames.js';
import { openDb } from '../../src-main/core/store/db.js';
import { MIGRATIONS } from '../../src-main/core/store/migrations.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { StoreWriter } from '../../src-main/core/store/writer.js';
import { connectedConversation, pcapFile } from '../capture/support/synth.js';
import { readJsonl, runCli } from '../support/proxy-cli.js';
import { seedSession } from '../support/seed.js';
import { tmpDb as tmpDbIn } from '../support/tmp-db.js';

const tmpDb = () => tmpDbIn('stompscope-numbers-');
const b = (s: string) => Buffer.from(s, 'utf8');
const T = 1_700_000_000_000_000;

/** Frames of a session as (number, connection number) pairs, in id order. */
function numbersOf(dbPath: string, session: number) {
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  try {
    const conns = new Map(reader.connections(session).map((c) => [c.id, c.number]));
    return { frames: [...reader.frames({ session })].map((f) => [f.number, conns.get(f.connectionId)]), connections: [...conns.values()] };
  } finally {
    reader.close();
  }
}

describe('frame and connection numbers', () => {
  it('a recording numbers its two connections 1 and 2 and its frames 1..N in capture order, from 1 again in a new session', async () => {
    const db = tmpDb();
    // A first session, so that the second one's ids do not start at 1.
    const first = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'first' });
    const k0 = first.openConnection('127.0.0.1:50000', '127.0.0.1:61613');
    first.data(k0, 'client', b('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    first.data(k0, 'broker', b('CONNECTED\nversion:1.2\n\n\0'));
    first.closeConnection(k0, 'client closed');
    await first.end();

    const lines: string[] = [];
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'two connections', onLines: (t) => lines.push(t) });
    const a = rec.openConnection('127.0.0.1:50001', '127.0.0.1:61613');
    const c = rec.openConnection('127.0.0.1:50002', '127.0.0.1:61613');
    rec.data(a, 'client', b('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    rec.data(c, 'client', b('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    rec.data(a, 'broker', b('CONNECTED\nversion:1.2\n\n\0'));
    rec.data(c, 'broker', b('CONNECTED\nversion:1.2\n\n\0'));
    rec.data(c, 'client', b('SEND\ndestination:/queue/b\n\nx\0'));
    rec.data(a, 'client', b('SEND\ndestination:/queue/a\n\ny\0'));
    rec.closeConnection(a, 'client closed');
    rec.closeConnection(c, 'client closed');
    const summary = await rec.end();

    const { frames, connections } = numbersOf(db, summary.session);
    expect(connections).toEqual([1, 2]);
    expect(frames.map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6]);
    // The console lines name the connections by their numbers in the session.
    const text = lines.join('');
    expect(text).toMatch(/ {2}#1 {2}c→b {2}SEND {9}\/queue\/a/);
    expect(text).toMatch(/ {2}#2 {2}c→b {2}SEND {9}\/queue\/b/);
    expect(text).not.toMatch(/ #3 /);
  });

  it('an import of 25 frames into a database that already holds ids past 200000 is numbered 1..25 (CLI: frames and connections --jsonl)', async () => {
    const db = tmpDb();
    const setup = openDb(db);
    const before = seedSession(setup, { name: 'earlier', connections: 1, frames: [{ conn: 1, from: 'client', command: 'CONNECT', headers: [] }] });
    // The next frame id after this one is 200001 (SQLite's rowids follow the largest).
    setup.prepare(`UPDATE frames SET id = 200000 WHERE session_id = ?`).run(before.session);
    setup.close();

    let conv = connectedConversation();
    for (let i = 0; i < 23; i++) conv = conv.send('c', b(`SEND\ndestination:/queue/n\n\n${i}\0`));
    const pcap = path.join(path.dirname(db), 'c.pcap');
    fs.writeFileSync(pcap, pcapFile(conv.close().captured(), { linkType: 1 }));
    const r = await runCli(['import', pcap, '--db', db]);
    expect(r.code, r.stderr).toBe(0);

    const frames = await readJsonl<{ session: number; number: number; connection: number; connectionNumber: number }>(['frames', '--db', db, '--session', '2']);
    expect(frames.map((f) => f.number)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(frames.every((f) => f.connectionNumber === 1 && f.connection === 2)).toBe(true);
    const conns = await readJsonl<{ connection: number; number: number }>(['connections', '--db', db, '--session', '2']);
    expect(conns.map((x) => [x.connection, x.number])).toEqual([[2, 1]]);
    // The human output shows the numbers too: No. first, then the connection's #k.
    const human = await runCli(['frames', '--db', db, '--session', '2', '--filter', 'no == 25']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.trim().split('\n')).toHaveLength(1);
    expect(human.stdout).toMatch(/^ {4}25 {2}\S+ {2}#1 {2}/);
    const connections = await runCli(['connections', '--db', db, '--session', '2']);
    expect(connections.stdout).toMatch(/^ {4}2 {2}s2 #1 {2}10\.0\.0\.1:40000 → 10\.0\.0\.2:61613 /);
    const report = await runCli(['report', '--db', db, '--session', '2']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('  Connection #1 (id 2): 10.0.0.1:40000 → 10.0.0.2:61613');
  });

  it('a database of the schema before numbers gets them on open, in id order per session (read-only opens too)', () => {
    const db = tmpDb();
    const old = new Database(db);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.pragma('user_version = 3');
    old.prepare(`INSERT INTO sessions (id, kind, name, started) VALUES (1, 'proxy', 'a', ?), (2, 'proxy', 'b', ?)`).run(T, T);
    // Connections and frames of the two sessions interleaved, as two proxies writing one database leave them.
    old.prepare(`INSERT INTO connections (id, session_id, client, broker, opened) VALUES (10, 1, 'c', 'b', ?), (11, 2, 'c', 'b', ?), (12, 1, 'c', 'b', ?)`).run(T, T, T);
    const frame = old.prepare(`INSERT INTO frames (id, session_id, connection_id, seq, dir, time, offset, length, command, headers, body_offset, body_length)
      VALUES (?, ?, ?, ?, 0, ?, 0, 1, 'SEND', '[]', 0, 0)`);
    const rows: Array<[number, number, number]> = [[5, 1, 10], [6, 2, 11], [7, 1, 12], [9, 2, 11], [20, 1, 10]];
    rows.forEach(([id, s, c], i) => frame.run(id, s, c, i, T + i));
    old.close();

    const ro = openDb(db, { readonly: true });
    expect(ro.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(ro.prepare(`SELECT id, number FROM frames ORDER BY id`).raw().all()).toEqual([[5, 1], [6, 1], [7, 2], [9, 2], [20, 3]]);
    expect(ro.prepare(`SELECT id, number FROM connections ORDER BY id`).raw().all()).toEqual([[10, 1], [11, 1], [12, 2]]);
    ro.close();
  });

  it('a recording into a migrated database goes on from the numbers the migration gave', async () => {
    const db = tmpDb();
    const old = new Database(db);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.pragma('user_version = 3');
    old.close();
    const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'new' });
    const k = rec.openConnection('127.0.0.1:50000', '127.0.0.1:61613');
    rec.data(k, 'client', b('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    rec.closeConnection(k, 'client closed');
    const s = await rec.end();
    expect(numbersOf(db, s.session)).toEqual({ frames: [[1, 1]], connections: [1] });
  });
});

describe('the display filter on numbers', () => {
  function setup() {
    const dbPath = tmpDb();
    const db = openDb(dbPath);
    // An earlier session first: the filtered session's ids and connection ids do not start at 1.
    seedSession(db, { name: 'earlier', connections: 3, frames: Array.from({ length: 7 }, (_, i) => ({ conn: 1 + (i % 3), from: 'client' as const, command: 'SEND', headers: [['destination', '/queue/e']] as Array<[string, string]> })) });
    const s = seedSession(db, {
      name: 'numbered', connections: 2,
      frames: Array.from({ length: 12 }, (_, i) => ({ conn: 1 + (i % 2), from: 'client' as const, command: 'SEND', headers: [['destination', `/queue/${i}`]] as Array<[string, string]> })),
    });
    db.close();
    return { dbPath, session: s.session };
  }

  it('no == 3, frame.number >= 10 and conn == 2 select by the numbers within the session (frames.query)', () => {
    const { dbPath, session } = setup();
    const side = createReadSide(openDb(dbPath, { readonly: true }), openDb(dbPath, { readonly: true }));
    try {
      const rows = (filter: string) => {
        const q = side.handlers['frames.query']({ session, filter });
        return side.handlers['frames.window']({ query: q.query, start: 0, count: 100 }).rows;
      };
      expect(rows('no == 3').map((r) => [r.number, r.destination])).toEqual([[3, '/queue/2']]);
      expect(rows('frame.number >= 10').map((r) => r.number)).toEqual([10, 11, 12]);
      expect(rows('conn == 2').map((r) => r.number)).toEqual([2, 4, 6, 8, 10, 12]);
      expect(rows('conn == 2').every((r) => r.connectionNumber === 2 && r.connection > 3)).toBe(true);
      expect(rows('connection != 2 and no < 4').map((r) => r.number)).toEqual([1, 3]);
      // A number past the session's frames matches nothing, although such ids exist.
      expect(rows('no == 13')).toEqual([]);
    } finally {
      side.close();
    }
  });

  it('frames.indexOf finds a frame by its number ("go to frame N"), exactly or the nearest after it in a filtered view', () => {
    const { dbPath, session } = setup();
    const side = createReadSide(openDb(dbPath, { readonly: true }), openDb(dbPath, { readonly: true }));
    try {
      const all = side.handlers['frames.query']({ session, filter: '' }).query;
      expect(side.handlers['frames.indexOf']({ query: all, number: 5 })).toEqual({ index: 4, total: 12, exact: true });
      const odd = side.handlers['frames.query']({ session, filter: 'conn == 1' }).query;
      // Frame 4 is on connection 2: not shown, so the nearest shown after it (frame 5, third in the view).
      expect(side.handlers['frames.indexOf']({ query: odd, number: 4 })).toEqual({ index: 2, total: 6, exact: false });
      expect(side.handlers['frames.indexOf']({ query: odd, number: 99 })).toEqual({ index: 5, total: 6, exact: false });
      // The contract takes one of the two.
      expect(() => validateArgs('frames.indexOf', { query: all })).toThrow("frames.indexOf: give 'id' or 'number'");
      expect(() => validateArgs('frames.indexOf', { query: all, id: 1, number: 1 })).toThrow("give 'id' or 'number'");
      expect(() => validateArgs('frames.indexOf', { query: all, number: 0 })).toThrow(ApiError);
      // By id it answers as before.
      const id5 = side.handlers['frames.window']({ query: all, start: 4, count: 1 }).rows[0].id;
      expect(side.handlers['frames.indexOf']({ query: all, id: id5 })).toEqual({ index: 4, total: 12, exact: true });
    } finally {
      side.close();
    }
  });

  it('"go to frame N" finds every number of two sessions whose frames were stored interleaved (no index on numbers)', () => {
    const dbPath = tmpDb();
    const db = openDb(dbPath);
    const t = (s: number) => Array.from({ length: s }, (_, i) => ({ connection: 0, dir: 'client' as const, command: 'SEND', headers: [['destination', `/queue/${i}`]] as [string, string][] }));
    // Sessions written by turns (a, b, a, b, ...): each one's ids have holes where the other's frames went.
    const a = seedSession(db, { name: 'a', connections: 1, frames: [] });
    const bs = seedSession(db, { name: 'b', connections: 1, frames: [] });
    db.close();
    const writer = new StoreWriter(openDb(dbPath));
    const conns = [a.connections[0], bs.connections[0]];
    const sessions = [a.session, bs.session];
    // Uneven runs, so that the holes have many sizes: 1, 2, 3, ... frames of one, then of the other.
    for (let k = 1, turn = 0; k <= 24; k++, turn ^= 1) {
      writer.transaction(() => {
        for (const f of t(k)) {
          writer.insertFrame({ sessionId: sessions[turn], connectionId: conns[turn], seq: 0, dir: f.dir, time: T, offset: 0, length: 1, command: f.command,
            destination: f.headers[0][1], headersJson: JSON.stringify(f.headers), crlf: false, bodyOffset: 0, bodyLength: 0, bodySha256: null, issues: 0 });
        }
      });
    }
    writer.close();
    const side = createReadSide(openDb(dbPath, { readonly: true }), openDb(dbPath, { readonly: true }));
    try {
      for (const session of sessions) {
        const q = side.handlers['frames.query']({ session, filter: '' });
        const numbers = side.handlers['frames.window']({ query: q.query, start: 0, count: 1000 }).rows.map((r) => r.number);
        expect(numbers).toEqual(numbers.map((_, i) => i + 1));
        for (let n = 1; n <= q.total; n++) expect(side.handlers['frames.indexOf']({ query: q.query, number: n }), `session ${session} frame ${n}`).toEqual({ index: n - 1, total: q.total, exact: true });
        expect(side.handlers['frames.indexOf']({ query: q.query, number: q.total + 1 })).toEqual({ index: q.total - 1, total: q.total, exact: false });
      }
    } finally {
      side.close();
    }
  });

  it('the exported diagram names its lanes by the connections\' numbers (#1, #2), not their ids', () => {
    const { dbPath, session } = setup();
    const side = createReadSide(openDb(dbPath, { readonly: true }), openDb(dbPath, { readonly: true }));
    try {
      const { query } = side.handlers['frames.query']({ session, filter: '' });
      const { svg } = side.handlers['diagram.export']({ query });
      expect(svg).toContain('>#1</text>');
      expect(svg).toContain('>#2</text>');
      expect(svg).not.toContain('>#4</text>');
    } finally {
      side.close();
    }
  });

  it('Expert Info entries name their frame and connection by number', () => {
    const dbPath = tmpDb();
    const db = openDb(dbPath);
    seedSession(db, { name: 'earlier', connections: 2, frames: [{ conn: 2, from: 'client', command: 'SEND', headers: [] }] });
    const s = seedSession(db, {
      name: 'issues', connections: 2,
      frames: [
        { conn: 1, from: 'client', command: 'SEND', headers: [] },
        { conn: 2, from: 'client', command: 'SEND', headers: [], issues: [{ code: 'content-length-mismatch', severity: 'error', message: 'x' }] },
      ],
    });
    db.close();
    const side = createReadSide(openDb(dbPath, { readonly: true }), openDb(dbPath, { readonly: true }));
    try {
      const e = side.handlers['session.expertInfo']({ session: s.session }).groups[0].codes[0].entries[0];
      expect(e).toMatchObject({ frameNumber: 2, connectionNumber: 2, connection: s.connections[1], onFrame: true });
      expect(e.frameId).toBeGreaterThan(2);
    } finally {
      side.close();
    }
  });

  it('the CLI filter (frames --filter) uses the same numbers', () => {
    const { dbPath, session } = setup();
    const reader = new StoreReader(openDb(dbPath, { readonly: true }));
    try {
      expect([...filteredFrames(reader, 'no == 3', { session })].map((f) => f.number)).toEqual([3]);
      expect([...filteredFrames(reader, 'frame.number >= 10', { session })].map((f) => f.number)).toEqual([10, 11, 12]);
    } finally {
      reader.close();
    }
  });
});
