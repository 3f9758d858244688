// The display filter compiles to parameterised SQL: a string that would be SQL injection if it were spliced in
// is matched literally, wherever it appears in a filter (a value of ==, contains or matches, a header name, an
// issue code), through the same command the UI and the web host use (frames.query), and the database keeps its
// tables and rows. (test/read/query/filter.test.ts checks the SQL text; test/fuzz/filter.fuzz.test.ts, volume.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { conversation, seedSession } from '../support/seed.js';

const EVIL = [
  `'; DROP TABLE frames; --`,
  `"; DROP TABLE frames; --`,
  `x' OR '1'='1`,
  `x") OR 1=1 --`,
  `') UNION SELECT name, sql FROM sqlite_master --`,
  `*/ DELETE FROM sessions; /*`,
  `%`,
  `_`,
  `?`,
  `:1`,
  `\\'`,
];

/** As a filter string literal (the filter language's escapes: \" \\ \n …). */
const lit = (s: string) => JSON.stringify(s);

describe('filter injection', () => {
  let dir = '';
  let core: Core;
  let session = 0;
  let other = 0;
  let names = 0;
  const ids = new Map<string, number>();
  let schema = '';
  let rows = '';

  const counts = () =>
    JSON.stringify(['sessions', 'connections', 'frames', 'issues', 'chunks'].map((t) => core.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()));

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-filter-'));
    core = Core.open(path.join(dir, 'f.db'));
    other = seedSession(core.db, { name: 'bystander', connections: 1, frames: conversation(10) }).session;
    // One frame per hostile string: as its destination, as a header's name and value, as its body, as an issue code.
    session = seedSession(core.db, {
      name: 'hostile', connections: 1,
      frames: EVIL.map((s, i) => ({
        conn: 1, from: 'client' as const, command: 'SEND',
        headers: [['destination', s], [`x-${i}`, s], [s.replace(/:/g, ''), 'named']] as [string, string][],
        body: `body ${s}`,
        issues: [{ code: s, severity: 'warning' as const, message: 'planted' }],
      })),
    }).session;
    const all = core.db.prepare('SELECT id, destination FROM frames WHERE session_id = ? ORDER BY id').all(session) as Array<{ id: number; destination: string }>;
    for (const r of all) ids.set(r.destination, r.id);
    // Header names that need escaping, seeded here with the rest so that the row counts below cover every session
    // whichever tests run.
    names = seedSession(core.db, {
      name: 'names', connections: 1,
      frames: [{ conn: 1, from: 'client', command: 'SEND', headers: [['destination', '/q'], ['a\\cb', 'colon'], ['say "hi"', 'quote'], ['t\tab', 'tab']] }],
    }).session;
    schema = JSON.stringify(core.db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all());
    rows = counts();
  });
  afterAll(async () => {
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Frame ids of `session` matching `filter`, through the UI's commands. */
  async function matching(filter: string, s = session): Promise<number[]> {
    const q = (await core.invoke('frames.query', { session: s, filter })) as { query: number; total: number };
    const w = (await core.invoke('frames.window', { query: q.query, start: 0, count: 100 })) as { rows: Array<{ id: number }> };
    await core.invoke('frames.close', { query: q.query });
    expect(w.rows).toHaveLength(q.total);
    return w.rows.map((r) => r.id);
  }

  it.each(EVIL.map((s, i) => [s, i] as const))('%s is matched literally wherever it appears', async (s, i) => {
    const id = ids.get(s)!;
    expect(id).toBeGreaterThan(0);
    expect(await matching(`destination == ${lit(s)}`)).toEqual([id]);
    expect(await matching(`header["x-${i}"] == ${lit(s)}`)).toEqual([id]);
    expect(await matching(`header[${lit(s.replace(/:/g, ''))}] == "named"`)).toContain(id);
    expect(await matching(`issue == ${lit(s)}`)).toEqual([id]);
    expect(await matching(`body == ${lit(`body ${s}`)}`)).toEqual([id]);
    // contains is a substring test, not LIKE: % and _ are not wildcards.
    const sub = await matching(`destination contains ${lit(s)}`);
    expect(sub).toContain(id);
    for (const other of sub) expect([...ids.entries()].find(([, v]) => v === other)![0]).toContain(s);
    // A bare word where a value goes is a string too, never SQL.
    expect(await matching(`destination != ${lit(s)}`)).not.toContain(id);
  });

  it('header names with quotes, escapes or tabs are found (regression: the pre-check missed JSON-escaped names)', async () => {
    const s = names;
    const [id] = await matching('command == "SEND"', s);
    expect(await matching('header["a:b"] == "colon"', s)).toEqual([id]);
    expect(await matching('header["say \\"hi\\""] == "quote"', s)).toEqual([id]);
    expect(await matching('header["t\\tab"] == "tab"', s)).toEqual([id]);
    expect(await matching('header["say"] or header["a"] or header["b"]', s)).toEqual([]);
  });

  it('regular expressions are matched by the regex engine, not by SQL', async () => {
    expect(await matching(`destination matches ${lit("^'; DROP TABLE frames; --$")}`)).toEqual([ids.get(EVIL[0])]);
    expect(await matching(`destination matches "^%$"`)).toEqual([ids.get('%')]);
  });

  it('the other session saw nothing of it, and no table or row was touched', async () => {
    // The hostile strings go through the filter here too, so the check below holds after them even when this
    // test runs alone.
    for (const s of EVIL) await matching(`destination == ${lit(s)} or body contains ${lit(s)} or issue == ${lit(s)}`);
    expect(await matching(`destination == ${lit(EVIL[0])} or destination contains "DROP"`, other)).toEqual([]);
    expect(await matching('command == "SEND"', other)).toHaveLength(10);
    expect(JSON.stringify(core.db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all())).toBe(schema);
    expect(counts()).toBe(rows);
  });
});
