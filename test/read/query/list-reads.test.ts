// The frame list's reads in the core: a view sorted on the whole query (not on a window), colouring rules and header
// columns evaluated per window by the filter engine, find in the list, and the session's vocabulary for completion.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameRowDto, QueryDto, VocabularyDto, WindowDto } from '../../../shared/api/index.js';
import { validateArgs } from '../../../shared/api/index.js';
import { Core } from '../../../src-main/core/api.js';
import { conversation, seedSession } from '../../support/seed.js';

describe('frame list reads', () => {
  let dir = '';
  let core: Core;
  let session = 0;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-list-'));
    core = Core.open(path.join(dir, 'l.db'));
    session = seedSession(core.db, { name: 'list', connections: 2, frames: conversation(12, 2) }).session;
  });
  afterAll(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (filter = '', sort?: unknown) => (await core.invoke('frames.query', { session, filter, ...(sort ? { sort } : {}) } as never)) as QueryDto;
  const all = async (query: number, extra: object = {}) => ((await core.invoke('frames.window', { query, start: 0, count: 1000, ...extra } as never)) as WindowDto).rows;

  it('sorts the whole view in the core, ties in capture order, and keeps positions for windows and indexOf', async () => {
    const plain = await all((await open()).query);
    const q = await open('', { column: 'command' });
    const sorted = await all(q.query);
    const expected = [...plain].sort((a, b) => (a.command < b.command ? -1 : a.command > b.command ? 1 : a.id - b.id));
    expect(sorted.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    // A window in the middle is the same slice of that order.
    const w = (await core.invoke('frames.window', { query: q.query, start: 5, count: 4 })) as WindowDto;
    expect(w.rows.map((r) => r.id)).toEqual(expected.slice(5, 9).map((r) => r.id));
    // indexOf finds a frame where the sorted view has it.
    const pick = expected[17];
    expect(await core.invoke('frames.indexOf', { query: q.query, id: pick.id })).toEqual({ index: 17, total: expected.length, exact: true });

    const bySizeDesc = await all((await open('', { column: 'size', desc: true })).query);
    const sizes = bySizeDesc.map((r) => r.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(bySizeDesc[0].size).toBeGreaterThan(bySizeDesc[bySizeDesc.length - 1].size);
  });

  it('sorts by a header value, frames without it last, through a display filter', async () => {
    const q = await open('command == "SEND"', { column: 'header', header: 'receipt', desc: true });
    const rows = await all(q.query, { headers: ['receipt'] });
    const receipts = rows.map((r) => r.columns![0]!);
    expect(receipts).toEqual([...receipts].sort().reverse());
    expect(rows.every((r) => r.command === 'SEND')).toBe(true);
    const withMissing = await all((await open('', { column: 'header', header: 'subscription' })).query, { headers: ['subscription'] });
    const values = withMissing.map((r) => r.columns![0]);
    const firstNull = values.indexOf(null);
    expect(firstNull).toBeGreaterThan(0);
    expect(values.slice(firstNull).every((v) => v === null)).toBe(true);
  });

  it('refuses a header sort without a header name, and an unknown column, in one line', () => {
    expect(() => validateArgs('frames.query', { session: 1, filter: '', sort: { column: 'header' } })).toThrow(/sort.header' must name a header/);
    expect(() => validateArgs('frames.query', { session: 1, filter: '', sort: { column: 'colour' } })).toThrow(/sort.column' must be no, time/);
  });

  it('gives each row of a window the first colouring rule it matches, and its header columns', async () => {
    const q = await open();
    const rows = await all(q.query, { colours: ['issue', 'command == "MESSAGE"', 'destination contains "orders"'], headers: ['content-type', 'x-dup'] });
    const msgIssue = rows.find((r) => r.command === 'MESSAGE' && r.issues > 0)!;
    const msg = rows.find((r) => r.command === 'MESSAGE' && r.issues === 0)!;
    const sub = rows.find((r) => r.command === 'SUBSCRIBE')!;
    const ack = rows.find((r) => r.command === 'ACK')!;
    expect([msgIssue.colour, msg.colour, sub.colour, ack.colour]).toEqual([0, 1, 2, null]);
    // The first of repeated headers wins (STOMP 1.2 §Repeated Header Entries).
    expect(msg.columns).toEqual([expect.stringMatching(/json|text/), 'first']);
    expect(ack.columns).toEqual([null, null]);
    // Without rules or columns, rows keep their shape.
    const plain = await all(q.query);
    expect('colour' in plain[0] || 'columns' in plain[0]).toBe(false);
  });

  it('names the colouring rule that does not parse', async () => {
    const q = await open();
    await expect(Promise.resolve().then(() => core.invoke('frames.window', { query: q.query, start: 0, count: 5, colours: ['issue', 'command == '] })))
      .rejects.toThrow(/colouring rule 2/);
  });

  it('finds the next and previous frame by command, header value or body text, wrapping, case-insensitive', async () => {
    const q = await open();
    const rows = await all(q.query);
    const find = async (text: string, from: number, backwards = false) =>
      (await core.invoke('frames.find', { query: q.query, text, from, backwards })) as { index: number | null; wrapped: boolean };
    // A header value.
    const r3 = rows.findIndex((r) => r.command === 'SEND' && r.ref === 'r-3');
    expect(await find('R-3', -1)).toEqual({ index: r3, wrapped: false });
    // A body text ("answer 42" is in the SENDs and MESSAGEs of orders 0 and 10).
    const first = await find('answer 42', -1);
    expect(rows[first.index!].command).toBe('SEND');
    const second = await find('answer 42', first.index!);
    expect(second.index!).toBeGreaterThan(first.index!);
    // From past the last hit it wraps to the first.
    let last = first;
    for (let k = 0; k < 10; k++) {
      const n = await find('answer 42', last.index!);
      if (n.wrapped) {
        expect(n.index).toBe(first.index);
        break;
      }
      last = n;
    }
    // Backwards from the first hit wraps to the last.
    expect(await find('answer 42', first.index!, true)).toEqual({ index: last.index, wrapped: true });
    // A command.
    expect(rows[(await find('disconnect', -1)).index!].command).toBe('DISCONNECT');
    expect(await find('no such text anywhere', 0)).toEqual({ index: null, wrapped: false });
  });

  it('lists the commands, destinations and issue codes of the session, and its header names the most frequent first', async () => {
    const v = (await core.invoke('session.vocabulary', { session })) as VocabularyDto;
    expect(v.commands).toEqual(['ACK', 'CONNECT', 'CONNECTED', 'DISCONNECT', 'MESSAGE', 'RECEIPT', 'SEND', 'SUBSCRIBE']);
    expect(v.destinations).toEqual(['/queue/orders', '/queue/other']);
    expect(v.headers).toEqual(expect.arrayContaining(['destination', 'receipt', 'content-type', 'x-dup', 'heart-beat', 'message-id']));
    expect(v.headers[0]).toBe('destination');
    expect(v.issueCodes).toEqual(['content-length-mismatch']);
    await expect(Promise.resolve().then(() => core.invoke('session.vocabulary', { session: 999 }))).rejects.toThrow(/no session 999/);
  });

  it('sorted views still take frames recorded later, at the end', async () => {
    const s2 = seedSession(core.db, { name: 'grow', connections: 1, frames: conversation(2), state: 'recording' }).session;
    const q = (await core.invoke('frames.query', { session: s2, filter: '', sort: { column: 'command', desc: true } })) as QueryDto;
    const before = await all(q.query);
    const conn = (core.db.prepare('SELECT id FROM connections WHERE session_id = ?').pluck().get(s2)) as number;
    core.db.prepare(`INSERT INTO frames (session_id, connection_id, seq, dir, time, offset, length, command, destination, headers, crlf, body_offset, body_length, issues)
      VALUES (?, ?, 1000, 0, 1, 0, 10, 'ACK', NULL, '[]', 0, 0, 0, 0)`).run(s2, conn);
    const after = (await core.invoke('frames.window', { query: q.query, start: 0, count: 1000 })) as WindowDto;
    expect(after.total).toBe(before.length + 1);
    expect(after.rows.slice(0, before.length).map((r: FrameRowDto) => r.id)).toEqual(before.map((r) => r.id));
    expect(after.rows[before.length].command).toBe('ACK');
  });
});
