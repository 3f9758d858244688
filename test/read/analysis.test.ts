// The analysis read side over seeded databases: Expert Info grouped by severity and code with the catalogue's
// words and frames to jump to, linked frames both ways, links among a diagram's rows, per-destination rates and
// latency statistics, the issue.code / issue.severity filters, and the indexes every query goes through.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpertInfoDto, FrameRowDto, SessionStatsDto } from '../../shared/api/index.js';
import { filterError, parseFilter } from '../../shared/filter/parser.js';
import { ISSUES } from '../../shared/issues.js';
import { edges125, formatMicros, percentile, summarizeLatencies } from '../../shared/stats/latency.js';
import { Core } from '../../src-main/core/api.js';
import { StatsReader } from '../../src-main/core/read/stats.js';
import { compileFilterText } from '../../src-main/core/read/query/compile.js';
import { conversation, seedSession, type SeedFrame } from '../support/seed.js';
import { linkSession } from './links-fixture.js';

let dir = '';
let core: Core;
let session = 0;
let other = 0;
let conns: number[] = [];
const call = async <T>(cmd: string, args: unknown) => (await core.invoke(cmd as never, args)) as T;
const frames = () => core.db.prepare(`SELECT id, connection_id AS conn, command, destination, time, headers FROM frames WHERE session_id = ? ORDER BY id`).all(session) as Array<{ id: number; conn: number; command: string; destination: string | null; time: number; headers: string }>;

/** conversation(), plus an error on the 5th SEND and a frame with two issues. */
function* seeded(): Generator<SeedFrame> {
  let sends = 0;
  for (const f of conversation(60, 2)) {
    if (f.command === 'SEND' && ++sends === 5) {
      yield { ...f, issues: [{ code: 'undefined-escape', severity: 'error', message: 'undefined escape \\t in header "x"' }] };
    } else yield f;
  }
  yield { conn: 1, from: 'client', command: 'SEND', headers: [['destination', '/queue/orders']], body: 'x',
    issues: [{ code: 'unexpected-body', severity: 'warning', message: 'w' }, { code: 'mixed-line-endings', severity: 'note', message: 'n' }] };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stompscope-analysis-read-'));
  core = Core.open(path.join(dir, 'a.db'));
  const s = seedSession(core.db, { name: 'seed', connections: 2, frames: seeded() });
  session = s.session;
  conns = s.connections;
  linkSession(core.db, session);
  // Findings about a connection, not a frame (as the engine writes heart-beat gaps): placed between frames.
  const fs = frames().filter((f) => f.conn === conns[1]);
  const ins = core.db.prepare(`INSERT INTO issues (session_id, connection_id, frame_id, dir, offset, time, code, severity, message) VALUES (?, ?, NULL, 1, NULL, ?, ?, ?, ?)`);
  ins.run(session, conns[1], fs[10].time - 500, 'heartbeat-gap-test', 'warning', 'no heart-beat from the broker for 3.2 s');
  ins.run(session, conns[1], fs[fs.length - 1].time + 10_000_000, 'heartbeat-gap-test', 'warning', 'after the last frame');
  // Another session must never leak into the first one's answers.
  other = seedSession(core.db, { name: 'other', connections: 1, frames: conversation(5) }).session;
  linkSession(core.db, other);
});

afterAll(async () => {
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('session.expertInfo', () => {
  it('groups issues by severity, then code by count, with the catalogue words and the first frames', async () => {
    const e = await call<ExpertInfoDto>('session.expertInfo', { session });
    expect(e.groups.map((g) => g.severity)).toEqual(['error', 'warning', 'note']);
    const stored = core.db.prepare(`SELECT count(*) FROM issues WHERE session_id = ?`).pluck().get(session) as number;
    expect(e.total).toBe(stored);
    expect(e.groups.reduce((s, g) => s + g.count, 0)).toBe(stored);

    const [err] = e.groups[0].codes;
    expect(err).toMatchObject({ code: 'undefined-escape', count: 1, severity: 'error', title: ISSUES['undefined-escape'].title, specRef: ISSUES['undefined-escape'].specRef });
    expect(err.explanation).toBe(ISSUES['undefined-escape'].explanation);
    const fifthSend = frames().filter((f) => f.command === 'SEND')[4];
    expect(err.entries).toEqual([expect.objectContaining({ frameId: fifthSend.id, onFrame: true, connection: fifthSend.conn, message: 'undefined escape \\t in header "x"' })]);

    const warnings = e.groups[1].codes;
    // By count, most first (then by code): the two gaps, then content-length-mismatch (seeded on MESSAGE 7) and unexpected-body.
    expect(warnings.map((c) => [c.code, c.count])).toEqual([['heartbeat-gap-test', 2], ['content-length-mismatch', 1], ['unexpected-body', 1]]);
    const mismatches = frames().filter((f) => core.db.prepare(`SELECT 1 FROM issues WHERE frame_id = ? AND code = 'content-length-mismatch'`).get(f.id));
    expect(warnings[1].entries.map((x) => x.frameId)).toEqual(mismatches.map((f) => f.id));
    expect(e.groups[2].codes.map((c) => c.code)).toEqual(['mixed-line-endings']);
  });

  it('places a finding about a connection at its next frame, or its last one past the end', async () => {
    const e = await call<ExpertInfoDto>('session.expertInfo', { session });
    const gap = e.groups[1].codes.find((c) => c.code === 'heartbeat-gap-test')!;
    // Unknown to this build's catalogue: said so, not dropped.
    expect(gap.title).toBe('heartbeat-gap-test');
    expect(gap.explanation).toMatch(/no description/);
    const fs = frames().filter((f) => f.conn === conns[1]);
    expect(gap.entries.map((x) => [x.frameId, x.onFrame, x.connection])).toEqual([[fs[10].id, false, conns[1]], [fs[fs.length - 1].id, false, conns[1]]]);
  });

  it('narrows to one connection and caps the entries per code', async () => {
    const one = await call<ExpertInfoDto>('session.expertInfo', { session, connection: conns[0], entries: 1 });
    const stored = core.db.prepare(`SELECT count(*) FROM issues WHERE session_id = ? AND connection_id = ?`).pluck().get(session, conns[0]) as number;
    expect(one.total).toBe(stored);
    expect(one.groups.flatMap((g) => g.codes).some((c) => c.code === 'heartbeat-gap-test')).toBe(false);
    expect(one.groups.flatMap((g) => g.codes).every((c) => c.entries.length === 1 && c.entries[0].connection === conns[0])).toBe(true);
    const none = await call<ExpertInfoDto>('session.expertInfo', { session, entries: 0 });
    expect(none.groups.flatMap((g) => g.codes).every((c) => c.entries.length === 0 && c.count > 0)).toBe(true);
  });

  it('answers an empty list for a clean session and refuses bad arguments', async () => {
    expect(await call<ExpertInfoDto>('session.expertInfo', { session: other })).toEqual({ session: other, total: 0, groups: [] });
    await expect(call('session.expertInfo', { session: 999 })).rejects.toThrow(/no session 999/);
    await expect(call('session.expertInfo', { session: 'x' })).rejects.toThrow(/'session' must be an integer/);
    await expect(call('session.expertInfo', { session, entries: 5000 })).rejects.toThrow(/'entries' must be an integer from 0 to 1000/);
  });
});

describe('frame.links and diagram.links', () => {
  it('links a SEND to its RECEIPT and the MESSAGE it became, and back, with latencies', async () => {
    const fs = frames();
    const send = fs.find((f) => f.command === 'SEND' && f.destination === '/queue/orders')!;
    const receipt = fs.find((f) => f.command === 'RECEIPT' && f.headers.includes(`"${JSON.parse(send.headers).find((h: string[]) => h[0] === 'receipt')[1]}"`))!;
    const r = await call<{ links: Array<{ kind: string; role: string; other: FrameRowDto; latencyUs: number | null }>; total: number }>('frame.links', { id: send.id });
    expect(r.total).toBe(2);
    const byKind = Object.fromEntries(r.links.map((l) => [l.kind, l]));
    expect(byKind.receipt).toMatchObject({ role: 'answer', other: { id: receipt.id, command: 'RECEIPT' }, latencyUs: receipt.time - send.time });
    expect(byKind.delivery).toMatchObject({ role: 'answer', other: { command: 'MESSAGE', destination: '/queue/orders' } });
    expect(byKind.delivery.latencyUs).toBeGreaterThan(0);

    const back = await call<{ links: Array<{ kind: string; role: string; other: FrameRowDto }> }>('frame.links', { id: receipt.id });
    expect(back.links).toEqual([expect.objectContaining({ kind: 'receipt', role: 'cause', other: expect.objectContaining({ id: send.id }) })]);
  });

  it('lists a MESSAGE with its causes first, then its ACK; caps a SUBSCRIBE with many MESSAGEs and counts them all', async () => {
    const fs = frames();
    const msg = fs.find((f) => f.command === 'MESSAGE')!;
    const r = await call<{ links: Array<{ kind: string; role: string; other: FrameRowDto }> }>('frame.links', { id: msg.id });
    expect(r.links.map((l) => [l.role, l.kind, l.other.command])).toEqual([['cause', 'subscription', 'SUBSCRIBE'], ['cause', 'delivery', 'SEND'], ['answer', 'ack', 'ACK']]);

    const sub = fs.find((f) => f.command === 'SUBSCRIBE' && f.conn === conns[0])!;
    const messages = fs.filter((f) => f.command === 'MESSAGE' && f.conn === conns[0]);
    const all = await call<{ links: Array<{ other: FrameRowDto }>; total: number }>('frame.links', { id: sub.id });
    expect(all.total).toBe(messages.length);
    expect(all.links.map((l) => l.other.id)).toEqual(messages.map((m) => m.id));
    const capped = await call<{ links: Array<{ other: FrameRowDto }>; total: number }>('frame.links', { id: sub.id, limit: 3 });
    expect(capped.total).toBe(messages.length);
    expect(capped.links.map((l) => l.other.id)).toEqual(messages.slice(0, 3).map((m) => m.id));
    expect(await call<{ links: unknown[]; total: number }>('frame.links', { id: fs.find((f) => f.command === 'DISCONNECT')!.id })).toEqual({ links: [], total: 0 });
    await expect(call('frame.links', { id: 10_000_000 })).rejects.toThrow(/no frame/);
  });

  it('gives a diagram the links answered by its rows', async () => {
    const fs = frames().slice(0, 20);
    const got = await call<Array<{ kind: string; from: number; to: number }>>('diagram.links', { ids: fs.map((f) => f.id) });
    const want = core.db.prepare(`SELECT kind, from_frame AS "from", to_frame AS "to" FROM links WHERE to_frame BETWEEN ? AND ?`).all(fs[0].id, fs[19].id);
    expect(got.map(({ kind, from, to }) => ({ kind, from, to })).sort((a, b) => a.to - b.to || a.kind.localeCompare(b.kind)))
      .toEqual((want as typeof got).sort((a, b) => a.to - b.to || a.kind.localeCompare(b.kind)));
    expect(got.map((l) => l.kind)).toEqual(expect.arrayContaining(['connect', 'receipt', 'subscription', 'ack']));
    expect(await call('diagram.links', { ids: [] })).toEqual([]);
    await expect(call('diagram.links', { ids: [1, 'x'] })).rejects.toThrow(/'ids' must be a list/);
    await expect(call('diagram.links', { ids: Array.from({ length: 5001 }, (_, i) => i + 1) })).rejects.toThrow(/at most 5000/);
  });
});

describe('diagram.export with links', () => {
  it('draws the connectors of the exported rows into the SVG', async () => {
    const q = await call<{ query: number }>('frames.query', { session, filter: 'conn == ' + conns[0] });
    const { svg } = await call<{ svg: string }>('diagram.export', { query: q.query });
    const receipts = core.db.prepare(`SELECT count(*) FROM links l JOIN frames f ON f.id = l.to_frame WHERE l.session_id = ? AND l.kind = 'receipt' AND f.connection_id = ?`).pluck().get(session, conns[0]) as number;
    expect(receipts).toBeGreaterThan(10);
    expect((svg.match(/class="link-receipt"/g) ?? []).length).toBe(receipts);
    expect((svg.match(/class="link-connect"/g) ?? []).length).toBe(1);
    // Not drawn: SUBSCRIBE -> MESSAGE fans out.
    expect(svg).not.toContain('link-subscription');
  });
});

describe('session.stats', () => {
  it('counts SEND and MESSAGE per destination over time buckets', async () => {
    const st = await call<SessionStatsDto>('session.stats', { session, buckets: 10 });
    const fs = frames();
    expect(st.t0).toBe(fs[0].time);
    expect(st.t1).toBe(fs[fs.length - 1].time);
    // 209 frames 1 ms apart in at most 10 buckets: 50 ms each (20.9 ms rounded up to 1-2-5), so 5 of them.
    expect(st.bucketUs).toBe(50_000);
    expect(st.buckets).toBe(5);
    expect(st.bucketUs * st.buckets).toBeGreaterThan(st.t1 - st.t0);
    expect(st.destinations.map((d) => d.destination)).toEqual(['/queue/orders', '/queue/other']);
    for (const d of st.destinations) {
      const sends = fs.filter((f) => f.command === 'SEND' && f.destination === d.destination);
      expect(d.send).toBe(sends.length);
      expect(d.message).toBe(fs.filter((f) => f.command === 'MESSAGE' && f.destination === d.destination).length);
      expect(d.sendBuckets).toHaveLength(st.buckets);
      expect(d.sendBuckets.reduce((a, b) => a + b, 0)).toBe(d.send);
      expect(d.messageBuckets.reduce((a, b) => a + b, 0)).toBe(d.message);
      // Each frame in the bucket of its time.
      const expected = new Array<number>(st.buckets).fill(0);
      for (const f of sends) expected[Math.floor((f.time - st.t0) / st.bucketUs)]++;
      expect(d.sendBuckets).toEqual(expected);
    }
    expect(st.otherDestinations).toEqual({ destinations: 0, frames: 0 });
    const top1 = await call<SessionStatsDto>('session.stats', { session, destinations: 1 });
    expect(top1.destinations).toHaveLength(1);
    expect(top1.otherDestinations.destinations).toBe(1);
    expect(top1.otherDestinations.frames).toBe(st.destinations[1].send + st.destinations[1].message);
  });

  it('summarises latencies per correlation kind with exact percentiles', async () => {
    const st = await call<SessionStatsDto>('session.stats', { session });
    expect(st.latency.map((l) => l.kind)).toEqual(['connect', 'receipt', 'subscription', 'ack', 'delivery']);
    for (const l of st.latency) {
      const values = (core.db.prepare(`SELECT latency FROM links WHERE session_id = ? AND kind = ? ORDER BY latency`).pluck().all(session, l.kind) as number[]);
      expect(l.count).toBe(values.length);
      expect(l.min).toBe(values[0]);
      expect(l.max).toBe(values[values.length - 1]);
      expect(l.p50).toBe(values[Math.ceil(values.length / 2) - 1]);
      expect(l.p99).toBe(values[Math.ceil(values.length * 0.99) - 1]);
      expect(l.bins.reduce((s, b) => s + b.count, 0)).toBe(values.length);
      for (const b of l.bins) expect(b.count).toBe(values.filter((v) => v >= b.lo && v < b.hi).length);
    }
    // Seeded frames are 1 ms apart, and each CONNECTED comes right after its CONNECT.
    expect(st.latency[0]).toMatchObject({ kind: 'connect', count: 2, min: 1000, max: 1000, p50: 1000 });
  });

  it('answers again from its cache only while nothing was added', async () => {
    // The cache is the reader's (the core answers copies from its read worker): checked on a reader of its own.
    const stats = new StatsReader(core.db);
    const before = stats.read(other, {});
    expect(stats.read(other, {})).toBe(before);
    const [a, b] = core.db.prepare(`SELECT id, time FROM frames WHERE session_id = ? ORDER BY id LIMIT 2`).all(other) as Array<{ id: number; time: number }>;
    core.db.prepare(`INSERT INTO links (session_id, kind, from_frame, to_frame, latency) VALUES (?, 'transaction', ?, ?, ?)`).run(other, a.id, b.id, 777);
    expect(stats.read(other, {}).latency.find((l) => l.kind === 'transaction')).toMatchObject({ count: 1, p50: 777 });
    const after = await call<SessionStatsDto>('session.stats', { session: other });
    expect(after.latency.find((l) => l.kind === 'transaction')).toMatchObject({ count: 1, p50: 777 });
  });

  it('forgets the links of a deleted session', async () => {
    const s = seedSession(core.db, { name: 'doomed', connections: 1, frames: conversation(3) }).session;
    expect(linkSession(core.db, s)).toBeGreaterThan(0);
    await call('sessions.delete', { session: s });
    expect(core.db.prepare(`SELECT count(*) FROM links WHERE session_id = ?`).pluck().get(s)).toBe(0);
  });

  it('is empty for a session without frames, and checks its arguments', async () => {
    const empty = seedSession(core.db, { name: 'empty', connections: 0, frames: [] }).session;
    expect(await call<SessionStatsDto>('session.stats', { session: empty })).toMatchObject({ destinations: [], latency: [], t0: 0, t1: 0 });
    await expect(call('session.stats', { session: 999 })).rejects.toThrow(/no session/);
    await expect(call('session.stats', { session, buckets: 0 })).rejects.toThrow(/'buckets' must be an integer from 1/);
  });
});

describe('latency summaries and 1-2-5 edges', () => {
  it('takes percentiles by nearest rank', () => {
    const v = Float64Array.from([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    const s = summarizeLatencies(v);
    expect([s.min, s.p50, s.p90, s.p99, s.max, s.mean]).toEqual([1, 5, 9, 10, 10, 5.5]);
    expect(percentile([7], 99)).toBe(7);
    expect(summarizeLatencies(new Float64Array(0)).count).toBe(0);
  });

  it('bins on 1-2-5 edges covering min and max', () => {
    expect(edges125(3, 3)).toEqual([2, 5]);
    expect(edges125(0, 0)).toEqual([0, 1]);
    expect(edges125(150, 4200)).toEqual([100, 200, 500, 1000, 2000, 5000]);
    const s = summarizeLatencies(Float64Array.from([-3, 0, 1, 999, 1000, 1001]));
    expect(s.min).toBe(0);
    expect(s.bins.find((b) => b.lo === 1000)!.count).toBe(2);
    expect(formatMicros(850)).toBe('850 µs');
    expect(formatMicros(12_345)).toBe('12.3 ms');
    expect(formatMicros(2_400_000)).toBe('2.40 s');
  });
});

describe('issue.code and issue.severity filters', () => {
  const ids = async (filter: string) => {
    const q = await call<{ query: number; total: number }>('frames.query', { session, filter });
    return (await call<{ rows: FrameRowDto[] }>('frames.window', { query: q.query, start: 0, count: 5000 })).rows.map((r) => r.id);
  };
  const withIssue = (where: string, ...params: string[]) =>
    (core.db.prepare(`SELECT DISTINCT frame_id FROM issues WHERE session_id = ? AND frame_id IS NOT NULL AND ${where} ORDER BY frame_id`).pluck().all(session, ...params) as number[]);

  it('parses as the issue field and compiles to bound parameters', () => {
    expect(parseFilter('issue.code == "tcp-gap"')).toEqual({ type: 'compare', field: { kind: 'issue' }, op: '==', value: { type: 'string', value: 'tcp-gap' } });
    expect(parseFilter('issue.severity == error')).toEqual({ type: 'compare', field: { kind: 'issueSeverity' }, op: '==', value: { type: 'string', value: 'error' } });
    expect(filterError('issue.severity == fatal')?.message).toBe('issue.severity is error, warning or note');
    expect(filterError('issue.code > 3')?.message).toMatch(/compares numbers/);
    const c = compileFilterText(`issue.code == "x' OR 1=1 --" or issue.severity == "Warning"`);
    expect(c.sql).not.toContain('OR 1=1');
    expect(c.params).toEqual(["x' OR 1=1 --", 'warning']);
  });

  it('selects the frames with an issue of that code or severity', async () => {
    expect(await ids('issue.code == "content-length-mismatch"')).toEqual(withIssue(`code = ?`, 'content-length-mismatch'));
    expect(await ids('issue.code == "content-length-mismatch"')).toHaveLength(1);
    expect(await ids('issue.code == "undefined-escape"')).toEqual(withIssue(`code = ?`, 'undefined-escape'));
    expect(await ids('issue.code contains "escape"')).toEqual(withIssue(`code = ?`, 'undefined-escape'));
    expect(await ids('issue.severity == warning')).toEqual(withIssue(`severity = ?`, 'warning'));
    expect(await ids('issue.severity == "note" and issue.code == "unexpected-body"')).toHaveLength(1);
    const all = await ids('');
    expect(await ids('issue.code != "undefined-escape"')).toHaveLength(all.length - 1);
    expect(await ids('issue.severity')).toEqual(await ids('issue'));
  });
});

describe('indexes', () => {
  const plan = (sql: string) => (core.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: sql.split('?').length - 1 }, (_, i) => i + 1)) as Array<{ detail: string }>)
    .map((r) => r.detail).join(' | ');
  it('every read goes through an index, never a scan of the table', () => {
    expect(plan(`SELECT code, count(*) AS n FROM issues WHERE session_id = ? GROUP BY code`)).toMatch(/USING COVERING INDEX issues_session/);
    const first = plan(`SELECT id, frame_id, connection_id, time, severity, message FROM issues WHERE session_id = ? AND code = ? ORDER BY id LIMIT ?`);
    expect(first).toMatch(/USING INDEX issues_session/);
    expect(first).not.toMatch(/TEMP B-TREE/);
    const from = plan(`SELECT kind, from_frame, to_frame, latency FROM links WHERE from_frame = ? ORDER BY rowid LIMIT ?`);
    expect(from).toMatch(/USING INDEX links_from/);
    expect(from).not.toMatch(/TEMP B-TREE/);
    expect(plan(`SELECT count(*) FROM links WHERE to_frame = ?`)).toMatch(/USING COVERING INDEX links_to/);
    expect(plan(`SELECT kind, from_frame, to_frame, latency FROM links WHERE to_frame IN (SELECT value FROM json_each(?))`)).toMatch(/USING INDEX links_to/);
    expect(plan(`SELECT latency FROM links WHERE session_id = ? AND kind = ? AND latency IS NOT NULL`)).toMatch(/USING INDEX links_session_kind/);
    expect(plan(`SELECT seq, id, time FROM frames WHERE connection_id = ? AND seq >= ? ORDER BY seq LIMIT 1`)).toMatch(/USING INDEX frames_connection/);
    expect(plan(`SELECT destination, command, min(?, max(0, CAST((time - ?) / ? AS INTEGER))) AS b, count(*) AS n FROM frames WHERE session_id = ? AND command IN ('SEND', 'MESSAGE') GROUP BY destination, command, b`))
      .toMatch(/USING INDEX frames_(command|destination)/);
  });
});
