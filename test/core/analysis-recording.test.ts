// Correlation and expert info as recorded: bytes through the real recorder (in-process for import-like feeding,
// and through the worker as a proxy does), then the links, issues and profile in SQLite, and the report.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { computeReport, formatReport } from '../../src-main/core/read/report.js';
import { ConnectionRecorder } from '../../src-main/core/record/connection-recorder.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { StoreWriter } from '../../src-main/core/store/writer.js';
import { DeliveryCorrelator } from '../../shared/analysis/delivery.js';
import { runCli } from '../support/proxy-cli.js';
import { tmpDb as tmpDbIn } from '../support/tmp-db.js';

const tmpDb = () => tmpDbIn('stompscope-analysis-');
const b = (s: string) => Buffer.from(s, 'utf8');
const T = 1_700_000_000_000_000;

interface Row { id: number; command: string; dir: number; issues: number }

function rows(dbPath: string) {
  const db = openDb(dbPath, { readonly: true });
  const frames = db.prepare(`SELECT id, command, dir, issues FROM frames ORDER BY id`).all() as Row[];
  const links = db.prepare(`SELECT kind, from_frame, to_frame, latency FROM links ORDER BY rowid`).all() as Array<{ kind: string; from_frame: number; to_frame: number; latency: number }>;
  const issues = db.prepare(`SELECT code, frame_id, connection_id, dir, time, message FROM issues ORDER BY id`).all() as Array<{ code: string; frame_id: number | null; connection_id: number; time: number; message: string }>;
  const conns = db.prepare(`SELECT id, profile, issues FROM connections ORDER BY id`).all() as Array<{ id: number; profile: string | null; issues: number }>;
  db.close();
  const id = (command: string, n = 0) => frames.filter((f) => f.command === command)[n].id;
  return { frames, links, issues, conns, id };
}

describe('recording with analysis (in-process, as an import feeds it)', () => {
  it('stores links with latencies, findings with frame ids and counts, the detected profile; findings at close too', () => {
    const dbPath = tmpDb();
    const writer = new StoreWriter(openDb(dbPath));
    const delivery = new DeliveryCorrelator();
    const session = writer.transaction(() => writer.createSession('import', 'analysis', T));
    const mk = (port: number) => writer.transaction(() => {
      const id = writer.createConnection(session, `127.0.0.1:${port}`, '127.0.0.1:61613', 'tcp', T);
      return new ConnectionRecorder(writer, session, id, { analysis: { delivery } });
    });
    const producer = mk(50001);
    const consumer = mk(50002);
    const step = (rec: ConnectionRecorder, dir: 'client' | 'broker', text: string, ms: number) =>
      writer.transaction(() => {
        rec.push(dir, b(text), T + ms * 1000);
        rec.flush();
      });
    const hs = (rec: ConnectionRecorder, at: number) => {
      step(rec, 'client', 'CONNECT\naccept-version:1.2\nhost:/\n\n\0', at);
      step(rec, 'broker', 'CONNECTED\nversion:1.2\nserver:RabbitMQ/3.10.8\n\n\0', at + 2);
    };
    hs(producer, 0);
    hs(consumer, 1);
    step(consumer, 'client', 'SUBSCRIBE\nid:s1\ndestination:/queue/a\nack:client-individual\n\n\0', 5);
    step(producer, 'client', 'SEND\ndestination:/queue/a\nreceipt:r1\n\nhello\0', 10);
    step(producer, 'broker', 'RECEIPT\nreceipt-id:r1\n\n\0', 13);
    step(producer, 'client', 'SEND\ndestination:/queue/a\nreceipt:r2\n\nworld\0', 14);
    step(consumer, 'broker', 'MESSAGE\nsubscription:s1\nmessage-id:m1\nack:k1\ndestination:/queue/a\n\nhello\0', 20);
    step(consumer, 'broker', 'MESSAGE\nsubscription:s1\nmessage-id:m2\nack:k2\ndestination:/queue/a\n\nworld\0', 21);
    step(consumer, 'client', 'ACK\nid:k1\n\n\0', 26);
    step(consumer, 'broker', 'ERROR\nmessage:bye now\n\n\0', 30);
    writer.transaction(() => {
      producer.close(T + 40_000, 'closed');
      consumer.close(T + 41_000, 'closed');
    });
    writer.close();

    const r = rows(dbPath);
    const link = (kind: string) => r.links.filter((l) => l.kind === kind).map((l) => [l.from_frame, l.to_frame, l.latency]);
    expect(link('connect')).toEqual([[r.id('CONNECT', 0), r.id('CONNECTED', 0), 2000], [r.id('CONNECT', 1), r.id('CONNECTED', 1), 2000]]);
    expect(link('receipt')).toEqual([[r.id('SEND', 0), r.id('RECEIPT'), 3000]]);
    expect(link('subscription')).toEqual([[r.id('SUBSCRIBE'), r.id('MESSAGE', 0), 15000], [r.id('SUBSCRIBE'), r.id('MESSAGE', 1), 16000]]);
    expect(link('ack')).toEqual([[r.id('MESSAGE', 0), r.id('ACK'), 6000]]);
    expect(link('delivery')).toEqual([[r.id('SEND', 0), r.id('MESSAGE', 0), 10000], [r.id('SEND', 1), r.id('MESSAGE', 1), 7000]]);

    const codes = r.issues.map((i) => [i.code, i.frame_id]);
    expect(codes).toEqual(expect.arrayContaining([
      ['error-frame', r.id('ERROR')], ['receipt-missing', r.id('SEND', 1)], ['message-unacked', r.id('MESSAGE', 1)],
    ]));
    expect(codes).toHaveLength(3);
    // A finding raises its frame's issue count, also for a frame written in an earlier transaction.
    for (const f of r.frames) expect(f.issues, f.command).toBe(r.issues.filter((i) => i.frame_id === f.id).length);
    expect(r.conns.map((c) => [c.profile, c.issues])).toEqual([['rabbitmq', 1], ['rabbitmq', 2]]);

    // The report computed from the store.
    const [rep] = computeReport(openDb(dbPath, { readonly: true }));
    expect(rep.latency.connect).toEqual({ count: 2, p50: 2000, p90: 2000, p99: 2000, max: 2000 });
    expect(rep.latency.receipt).toMatchObject({ count: 1, max: 3000 });
    expect(rep.latency.ack).toMatchObject({ count: 1, p50: 6000 });
    expect(rep.latency.delivery).toMatchObject({ count: 2, p50: 7000, max: 10000 });
    expect(rep.frames.byCommand).toMatchObject({ SEND: 2, MESSAGE: 2, CONNECT: 2, CONNECTED: 2, ACK: 1, ERROR: 1, RECEIPT: 1, SUBSCRIBE: 1 });
    expect(rep.destinations).toEqual([{ destination: '/queue/a', send: 2, message: 2, sendPerSecond: 2 / 0.041, messagePerSecond: 2 / 0.041 }]);
    expect(rep.issues.groups.map((g) => [g.severity, g.count])).toEqual([['warning', 3]]);
    expect(rep.connections.map((c) => c.profile)).toEqual(['rabbitmq', 'rabbitmq']);
    expect(rep.connections[1].latency.delivery.count).toBe(2); // delivery links belong to the consumer's connection
    const text = formatReport([rep]);
    expect(text).toContain('error-frame');
    expect(text).toMatch(/delivery\s+2\s+7\.00 ms/);
  });
});

describe('recording with analysis through the worker (proxy sessions)', () => {
  it('applies the profile chosen in the session meta, writes findings at connection close, matches SEND -> MESSAGE across connections', async () => {
    const dbPath = tmpDb();
    let console = '';
    const rec = await Recorder.start({ dbPath, kind: 'proxy', name: 'p', meta: { profile: 'artemis' }, onLines: (t) => (console += t) });
    const p = rec.openConnection('127.0.0.1:1', '127.0.0.1:61613');
    const c = rec.openConnection('127.0.0.1:2', '127.0.0.1:61613');
    rec.data(p, 'client', b('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    rec.data(p, 'broker', b('CONNECTED\nversion:1.2\nserver:RabbitMQ/3\n\n\0'));
    rec.data(c, 'client', b('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    rec.data(c, 'broker', b('CONNECTED\nversion:1.2\n\n\0'));
    rec.data(c, 'client', b('SUBSCRIBE\nid:s\ndestination:/queue/x\nack:auto\n\n\0'));
    rec.data(p, 'client', b('SEND\ndestination:/queue/x\n\npayload\0'));
    rec.data(p, 'client', b('BEGIN\ntransaction:t\n\n\0'));
    rec.data(c, 'broker', b('MESSAGE\nsubscription:s\nmessage-id:1\ndestination:/queue/x\n\npayload\0'));
    rec.closeConnection(p, 'client closed');
    // The connection's findings at close are in the database before the session ends.
    const deadline = Date.now() + 10_000;
    let open: Array<{ code: string }> = [];
    while (Date.now() < deadline) {
      const db = openDb(dbPath, { readonly: true });
      open = db.prepare(`SELECT code FROM issues WHERE code = 'transaction-open'`).all() as Array<{ code: string }>;
      db.close();
      if (open.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(open).toHaveLength(1);
    rec.closeConnection(c, 'client closed');
    await rec.end();
    const r = rows(dbPath);
    expect(r.conns.map((x) => x.profile)).toEqual(['artemis', 'artemis']);
    expect(r.issues.map((i) => i.code).sort()).toEqual(['jms-message-type', 'transaction-open']);
    expect(r.links.filter((l) => l.kind === 'delivery').map((l) => [l.from_frame, l.to_frame])).toEqual([[r.id('SEND'), r.id('MESSAGE')]]);
    const reader = new StoreReader(openDb(dbPath, { readonly: true }));
    expect(reader.connections().map((x) => x.issues)).toEqual([2, 0]);
    // The live console shows warnings and errors found, like wire issues; notes (the JMS hint) stay out of it.
    expect(console).toContain('#1  c→b  ! transaction-open  transaction "t" (0 SENDs) was neither committed nor aborted');
    expect(console).not.toContain('jms-message-type');
  });
});

describe('heart-beat silence reported live (proxy sessions)', () => {
  it('a client silent past its heart-beat is in the issues and on the console while the connection is still open, once', async () => {
    const dbPath = tmpDb();
    let console = '';
    const rec = await Recorder.start({ dbPath, kind: 'proxy', name: 'live', onLines: (t) => (console += t), tickMs: 50 });
    const k = rec.openConnection('127.0.0.1:1', '127.0.0.1:61613');
    // The client promises a heart-beat every 100 ms (a warning past 200 ms) and then says nothing.
    rec.data(k, 'client', b('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:100,0\n\n\0'));
    rec.data(k, 'broker', b('CONNECTED\nversion:1.2\nheart-beat:0,100\n\n\0'));
    const missed = async () => {
      const db = openDb(dbPath, { readonly: true });
      const r = db.prepare(`SELECT dir, message FROM issues WHERE code = 'heartbeat-missed'`).all() as Array<{ dir: number; message: string }>;
      db.close();
      return r;
    };
    const deadline = Date.now() + 10_000;
    let found = await missed();
    while (!found.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      found = await missed();
    }
    expect(found).toEqual([{ dir: 0, message: expect.stringMatching(/^nothing from the client for .* so far with a heart-beat every 100 ms negotiated \(.*× the period\): the broker may have considered the connection dead/) }]);
    // The console line comes from the recording thread by its own message, which may arrive after the row is
    // visible in the database: waited for (bounded), not assumed.
    while (!/! heartbeat-missed/.test(console) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(console).toMatch(/! heartbeat-missed/);
    // More ticks, then the client speaks and the connection closes: the same silence is not reported again.
    await new Promise((r) => setTimeout(r, 200));
    rec.data(k, 'client', b('\n'));
    rec.closeConnection(k, 'client closed');
    await rec.end();
    expect(await missed()).toHaveLength(1);
  });
});

describe('stompscope report (CLI)', () => {
  it('--help, usage errors exit 2, text and --json', async () => {
    const dbPath = tmpDb();
    const rec = await Recorder.start({ dbPath, kind: 'proxy', name: 'cli report' });
    const k = rec.openConnection('127.0.0.1:1', '127.0.0.1:61613');
    rec.data(k, 'client', b('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,1000\n\n\0'));
    rec.data(k, 'broker', b('CONNECTED\nversion:1.2\nheart-beat:1000,0\n\n\0'));
    rec.data(k, 'broker', b('ERROR\nmessage:nope\n\n\0'));
    rec.closeConnection(k, 'broker closed');
    await rec.end();

    const help = await runCli(['report', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: stompscope report');
    for (const bad of [['report', '--db', dbPath, '--session', 'x'], ['report', '--db', dbPath, '--session', '99'], ['report', '--db', dbPath, '--bogus'],
      ['report', '--db', dbPath, 'extra'], ['proxy', '--upstream', '127.0.0.1:1', '--profile', 'nope'], ['import', 'x.pcap', '--profile', 'nope']]) {
      const r = await runCli(bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
    }
    expect((await runCli(['proxy', '--help'])).stdout).toContain('--profile NAME');
    expect((await runCli(['import', '--help'])).stdout).toMatch(/--profile NAME .*rabbitmq, activemq, artemis, stompserver, rocketmq/);

    const text = await runCli(['report', '--db', dbPath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Session 1 (proxy) "cli report"');
    expect(text.stdout).toContain('error-frame');
    expect(text.stdout).toContain('broker → client every 1000 ms');
    const json = await runCli(['report', '--db', dbPath, '--session', '1', '--json']);
    expect(json.code).toBe(0);
    const [s] = JSON.parse(json.stdout);
    expect(s).toMatchObject({ session: 1, connectionCount: 1, frames: { total: 3, byCommand: { CONNECT: 1, CONNECTED: 1, ERROR: 1 } } });
    expect(s.latency.connect.count).toBe(1);
    expect(s.connections[0].heartbeats).toMatchObject({ negotiated: { clientToBroker: 0, brokerToClient: 1000 }, health: 'ok', missed: 0 });
    expect(s.issues.groups).toEqual([
      { severity: 'warning', count: 1, codes: [{ code: 'error-frame', title: 'ERROR from the broker', count: 1 }] },
      { severity: 'note', count: 1, codes: [{ code: 'heartbeat-negotiated', title: 'Heart-beats negotiated', count: 1 }] },
    ]);
  });
});

describe('stompscope import --profile', () => {
  it('analyses a committed real capture with the chosen profile instead of the detected one', async () => {
    const dbPath = tmpDb();
    const fixture = path.join(import.meta.dirname, '..', 'capture', 'fixtures', 'rabbitmq.pcap');
    const plain = await runCli(['import', fixture, '--db', dbPath, '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const chosen = await runCli(['import', fixture, '--db', dbPath, '--json', '--profile', 'artemis']);
    expect(chosen.code, chosen.stderr).toBe(0);
    const db = openDb(dbPath, { readonly: true });
    const profiles = db.prepare(`SELECT session_id, profile FROM connections ORDER BY id`).all() as Array<{ session_id: number; profile: string }>;
    const jms = db.prepare(`SELECT session_id, count(*) n FROM issues WHERE code = 'jms-message-type' GROUP BY session_id`).all();
    const meta = JSON.parse(db.prepare(`SELECT meta FROM sessions WHERE id = 2`).pluck().get() as string) as { profile?: string };
    db.close();
    expect(profiles.filter((p) => p.session_id === 1).map((p) => p.profile)).toEqual(['rabbitmq', 'rabbitmq']);
    expect(profiles.filter((p) => p.session_id === 2).map((p) => p.profile)).toEqual(['artemis', 'artemis']);
    expect(jms).toEqual([{ session_id: 2, n: expect.any(Number) }]);
    expect(meta.profile).toBe('artemis');
  });
});
