// The display-filter language: parsing, positioned syntax errors, and compilation to parameterised SQL run
// against a real database (including strings that would be SQL injection if they were spliced in).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterError, parseFilter } from '../../../shared/filter/parser.js';
import { compileFilterText } from '../../../src-main/core/read/query/compile.js';
import { Core } from '../../../src-main/core/api.js';
import { conversation, seedSession } from '../../support/seed.js';

describe('filter parser', () => {
  it('parses the language of the issue', () => {
    expect(parseFilter('command == "SEND" and destination contains "orders"')).toEqual({
      type: 'and',
      left: { type: 'compare', field: { kind: 'command' }, op: '==', value: { type: 'string', value: 'SEND' } },
      right: { type: 'compare', field: { kind: 'destination' }, op: 'contains', value: { type: 'string', value: 'orders' } },
    });
    expect(parseFilter('header["content-type"] == "application/json"')).toMatchObject({ field: { kind: 'header', name: 'content-type' } });
    expect(parseFilter('from == broker')).toMatchObject({ field: { kind: 'from' }, value: { value: 'broker' } });
    expect(parseFilter('size > 1k')).toMatchObject({ op: '>', value: { type: 'number', value: 1024 } });
    expect(parseFilter('issue')).toEqual({ type: 'exists', field: { kind: 'issue' } });
    expect(parseFilter('not (conn == 3 or body contains "42")')).toMatchObject({ type: 'not', expr: { type: 'or' } });
    expect(parseFilter('!issue && size >= 10 || seq < 2')).toMatchObject({ type: 'or', left: { type: 'and' } });
    expect(parseFilter('   ')).toBeNull();
  });

  it('binds "and" tighter than "or"', () => {
    expect(parseFilter('issue or conn == 1 and size > 2')).toMatchObject({ type: 'or', right: { type: 'and' } });
  });

  it.each([
    ['command == ', 'expected a value', 11],
    ['command = = "SEND"', 'expected a value', 10],
    ['destination contains "orders', 'unterminated string', 21],
    ['(conn == 1', 'expected ")"', 10],
    ['conn == 1)', 'unmatched ")"', 9],
    ['colour == "red"', 'unknown field "colour"', 0],
    ['size > "big"', 'size is a number', 7],
    ['destination > 3', 'compares numbers', 0],
    ['from == sideways', 'client or broker', 8],
    ['header[content-type == 1', 'expected ]', 20],
    ['body matches "("', 'bad regular expression', 13],
    ['conn == 1 $', 'unexpected character', 10],
    ['conn == 1 conn == 2', 'expected "and", "or"', 10],
  ])('%j is an error at the right place', (src, message, start) => {
    const e = filterError(src);
    expect(e?.message).toContain(message);
    expect(e?.start).toBe(start);
    expect(e!.end).toBeGreaterThan(e!.start);
  });

  it('never puts values into the SQL text', () => {
    const evil = `x"); DROP TABLE frames; --`;
    const c = compileFilterText(`destination == ${JSON.stringify(evil)} or header[${JSON.stringify(evil)}] contains "' OR 1=1 --"`);
    expect(c.sql).not.toContain('DROP');
    expect(c.sql).not.toContain('OR 1=1');
    expect(c.params).toEqual([evil, evil, "' OR 1=1 --"]);
  });
});

describe('filters over a database', () => {
  let dir = '';
  let core: Core;
  let session = 0;
  const ids = async (filter: string) => {
    const q = await core.invoke('frames.query', { session, filter }) as { query: number; total: number };
    const w = await core.invoke('frames.window', { query: q.query, start: 0, count: 5000 }) as { rows: Array<{ id: number; command: string; destination: string | null; from: string; size: number; connection: number; issues: number }> };
    return w.rows;
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-filter-'));
    core = Core.open(path.join(dir, 'f.db'));
    session = seedSession(core.db, { name: 'seed', connections: 2, frames: conversation(60, 2) }).session;
    // A second session must never leak into the first one's results.
    seedSession(core.db, { name: 'other', connections: 1, frames: conversation(5) });
  });
  afterAll(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('matches command, destination, direction, connection, size and issues', async () => {
    const all = await ids('');
    expect(all.length).toBeGreaterThan(200);
    const sends = await ids('command == "SEND" and destination contains "orders"');
    expect(sends.length).toBe(40);
    expect(sends.every((r) => r.command === 'SEND' && r.destination === '/queue/orders')).toBe(true);
    expect((await ids('command == send')).length).toBe(60);
    expect((await ids('from == broker')).every((r) => r.from === 'broker')).toBe(true);
    expect((await ids('from == broker')).length + (await ids('from == client')).length).toBe(all.length);
    expect((await ids('conn == 2')).every((r) => r.connection === all.find((x) => x.connection !== all[0].connection)!.connection)).toBe(true);
    expect((await ids('size > 100')).every((r) => r.size > 100)).toBe(true);
    expect((await ids('issue')).length).toBe(all.filter((r) => r.issues > 0).length);
    expect((await ids('issue')).length).toBeGreaterThan(0);
    expect((await ids('issue == "content-length-mismatch"')).length).toBe((await ids('issue')).length);
    expect((await ids('not issue')).length).toBe(all.length - (await ids('issue')).length);
  });

  it('matches headers decoded, first one winning, and bodies read from the chunks', async () => {
    const all = await ids('');
    expect((await ids('header["content-type"] == "application/json"')).length).toBe(all.filter((r) => r.command === 'SEND' || r.command === 'MESSAGE').length - (await ids('header["content-type"] == "text/plain"')).length);
    expect((await ids('header["x-dup"] == "first"')).length).toBe(40);
    expect((await ids('header["x-dup"] == "second"')).length).toBe(0);
    expect((await ids('header["receipt-id"]')).every((r) => r.command === 'RECEIPT')).toBe(true);
    const b = await ids('body contains "answer 42"');
    expect(b.length).toBe(6 + 4); // SENDs 0,10,…,50 and the MESSAGEs of those on /queue/orders (10, 20, 40, 50)
    expect((await ids('body matches "\\"order\\":5[0-9],"')).length).toBeGreaterThan(0);
  });

  it('treats injection attempts as plain values', async () => {
    expect(await ids(`destination == "x' OR '1'='1"`)).toEqual([]);
    expect(await ids(`header["x\\"); DROP TABLE frames; --"] == "1"`)).toEqual([]);
    expect((await ids('')).length).toBeGreaterThan(0);
  });

  it('pages with a filter, and reports syntax errors with their place', async () => {
    const page = await core.invoke('frames.page', { session, after: 0, limit: 3, filter: 'command == "ACK"' }) as Array<{ command: string }>;
    expect(page.map((r) => r.command)).toEqual(['ACK', 'ACK', 'ACK']);
    await expect(Promise.resolve().then(() => core.invoke('frames.query', { session, filter: 'command ==' }))).rejects.toThrow(expect.objectContaining({ code: 'bad-filter', detail: expect.objectContaining({ start: 10 }) }));
  });
});
