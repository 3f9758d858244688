// The reads behind the Connections, Follow, Statistics and Compare views, against a seeded database: the previous
// frame on a destination (whatever the command when none has the same one), one row per connection with what it
// negotiated and carried, a connection's transcript both ways, and the statistics' counts and exports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { conversation, seedSession } from '../support/seed.js';
import { linkSession } from './links-fixture.js';

let dir = '';
let core: Core;
let session = 0;
let conns: number[] = [];
const ids = (command: string, destination?: string) =>
  core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND command = ? AND (? IS NULL OR destination = ?) ORDER BY id`).pluck()
    .all(session, command, destination ?? null, destination ?? null) as number[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stompscope-views-read-'));
  core = Core.open(path.join(dir, 'v.db'));
  const s = seedSession(core.db, { name: 'views', connections: 2, frames: conversation(12, 2) });
  session = s.session;
  conns = s.connections;
  linkSession(core.db, session);
  // The recorder keeps these counts on the connection as it writes; the seed writes frames only.
  core.db.prepare(`UPDATE connections SET frames_client = (SELECT count(*) FROM frames f WHERE f.connection_id = connections.id AND f.dir = 0),
    frames_broker = (SELECT count(*) FROM frames f WHERE f.connection_id = connections.id AND f.dir = 1) WHERE session_id = ?`).run(session);
});

afterAll(async () => {
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('frame.previousOnDestination', () => {
  it('finds the previous frame of the same command on the destination', async () => {
    const sends = ids('SEND', '/queue/orders');
    expect(await core.invoke('frame.previousOnDestination', { id: sends[1] })).toMatchObject({ id: sends[0], sameCommand: true });
  });

  it('falls back to an earlier frame of another command on the destination (the first MESSAGE after its SEND and SUBSCRIBE)', async () => {
    const [message] = ids('MESSAGE', '/queue/orders');
    const earlier = core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND destination = '/queue/orders' AND id < ? ORDER BY id DESC LIMIT 1`)
      .pluck().get(session, message) as number;
    expect(earlier).toBeDefined();
    expect(await core.invoke('frame.previousOnDestination', { id: message })).toEqual({ id: earlier, sameCommand: false });
  });

  it('says none only when no earlier frame names the destination', async () => {
    const [subscribe] = ids('SUBSCRIBE', '/queue/orders');
    expect(await core.invoke('frame.previousOnDestination', { id: subscribe })).toEqual({ id: null, sameCommand: false });
  });
});

describe('connections.overview', () => {
  it('has one row per connection with heart-beats negotiated, duration, frames each way and findings by severity', async () => {
    core.db.prepare(`INSERT INTO issues (session_id, connection_id, frame_id, dir, offset, time, code, severity, message) VALUES (?, ?, NULL, 1, NULL, ?, 'x', 'warning', 'w')`)
      .run(session, conns[1], 1_700_000_000_000_000);
    const rows = await core.invoke('connections.overview', { session }) as import('../../shared/api/index.js').ConnectionOverviewDto[];
    expect(rows.map((r) => r.connection)).toEqual(conns);
    const counted = core.db.prepare(`SELECT dir, count(*) n FROM frames WHERE connection_id = ? GROUP BY dir ORDER BY dir`).all(conns[0]) as Array<{ n: number }>;
    expect(rows[0].frames).toEqual({ client: counted[0].n, broker: counted[1].n });
    // Both sides offered 1000,1000 (STOMP 1.2 §Heart-beating: the larger of what one can send and the other wants).
    expect(rows[0].heartBeatNegotiated).toEqual({ clientToBroker: 1000, brokerToClient: 1000 });
    const last = core.db.prepare(`SELECT max(time) FROM frames WHERE connection_id = ?`).pluck().get(conns[0]) as number;
    expect(rows[0].durationUs).toBe(last - 1_700_000_000_000_000);
    // The seed puts one content-length-mismatch warning on the second connection; the finding above is the other.
    expect(rows[0].findings).toEqual({ error: 0, warning: 0, note: 0 });
    expect(rows[1].findings).toEqual({ error: 0, warning: 2, note: 0 });
  });

  it('refuses an unknown session', async () => {
    await expect(Promise.resolve().then(() => core.invoke('connections.overview', { session: 999_999 }))).rejects.toThrow(/no session/);
  });
});

describe('connection.follow', () => {
  it('gives the connection\'s frames both ways in order as text, without the NUL, and reads on with `after`', async () => {
    const first = await core.invoke('connection.follow', { connection: conns[0], limit: 3 }) as import('../../shared/api/index.js').FollowDto;
    expect(first.total).toBe(core.db.prepare(`SELECT count(*) FROM frames WHERE connection_id = ?`).pluck().get(conns[0]));
    expect(first.entries.map((e) => [e.from, e.command])).toEqual([['client', 'CONNECT'], ['broker', 'CONNECTED'], ['client', 'SUBSCRIBE']]);
    expect(first.entries[0].text).toBe('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n');
    expect(first.next).toBe(3);
    const rest = await core.invoke('connection.follow', { connection: conns[0], after: first.next! }) as import('../../shared/api/index.js').FollowDto;
    expect(rest.entries[0].seq).toBe(3);
    expect(first.entries.length + rest.entries.length).toBe(first.total);
    expect(rest.next).toBeNull();
    const send = rest.entries.find((e) => e.command === 'SEND')!;
    expect(send.text).toMatch(/^SEND\ndestination:\/queue\/\w+\n.*\n\n\{"order":/s);
    expect(send.truncated).toBe(false);
  });

  it('masks credentials unless asked to reveal them', async () => {
    const s = seedSession(core.db, { name: 'secret', connections: 1, frames: [{ conn: 1, from: 'client', command: 'CONNECT', headers: [['login', 'bob'], ['passcode', 'hunter2']] }] });
    const masked = await core.invoke('connection.follow', { connection: s.connections[0] }) as import('../../shared/api/index.js').FollowDto;
    expect(masked.entries[0].text).not.toContain('hunter2');
    const shown = await core.invoke('connection.follow', { connection: s.connections[0], revealSecrets: true }) as import('../../shared/api/index.js').FollowDto;
    expect(shown.entries[0].text).toContain('passcode:hunter2');
  });
});

describe('session.stats tables and exports', () => {
  it('counts frames by command and direction, frame bytes each way, and every destination', async () => {
    const s = await core.invoke('session.stats', { session }) as import('../../shared/api/index.js').SessionStatsDto;
    const byDb = core.db.prepare(`SELECT command, dir, count(*) n FROM frames WHERE session_id = ? GROUP BY command, dir`).all(session) as Array<{ command: string; dir: number; n: number }>;
    for (const r of byDb) expect(s.commands.find((c) => c.command === r.command)![r.dir === 0 ? 'client' : 'broker']).toBe(r.n);
    const bytes = core.db.prepare(`SELECT dir, sum(length) b FROM frames WHERE session_id = ? GROUP BY dir ORDER BY dir`).all(session) as Array<{ b: number }>;
    expect(s.bytes).toEqual({ client: bytes[0].b, broker: bytes[1].b });
    expect(s.destinationTable.map((d) => d.destination).sort()).toEqual(['/queue/orders', '/queue/other']);
  });

  it('exports the statistics as CSV and SVG through an export ticket', async () => {
    for (const format of ['stats.csv', 'stats.svg'] as const) {
      const { ticket, filename } = await core.invoke('session.export', { session, filter: '', format }) as { ticket: string; filename: string };
      expect(filename).toBe(`stompscope-session-${session}-${format}`);
      let text = '';
      for await (const part of core.takeExport(ticket)!) text += String(part);
      if (format === 'stats.csv') {
        expect(text).toContain('# frames by command\r\ncommand,from client,from broker,total\r\n');
        expect(text).toMatch(/\r\nSEND,12,0,12\r\n/);
        expect(text).toContain('subscription,"time since SUBSCRIBE, per MESSAGE"');
      } else {
        expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
        expect(text).toContain('SEND /queue/orders');
        expect(text).toContain('p99');
      }
    }
    expect(() => core.invoke('session.export', { session, filter: 'command == SEND', format: 'stats.csv' })).toThrow(/whole session/);
  });
});
