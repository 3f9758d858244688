// The contract's commands beyond listing, against a real database: frame detail (decoded and raw headers,
// repeated headers marked, body bytes), compare-with-previous, windows by position, rename and delete.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameDetailDto, FrameRowDto, QueryDto, WindowDto } from '../../../shared/api/index.js';
import { Core } from '../../../src-main/core/api.js';
import { rawFileOf } from '../../../src-main/core/store/raw-files.js';
import { conversation, seedSession } from '../../support/seed.js';

describe('core commands', () => {
  let dir = '';
  let db = '';
  let core: Core;
  let session = 0;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-core-'));
    db = path.join(dir, 'c.db');
    core = Core.open(db);
    session = seedSession(core.db, {
      name: 'seeded', connections: 1,
      frames: [
        ...conversation(4),
        { conn: 1, from: 'client', command: 'STOMP', headers: [['accept-version', '1.2'], ['login', 'admin'], ['passcode', 's3cr3t!']] },
        { conn: 1, from: 'client', command: 'SEND', headers: [['destination', '/queue/esc'], ['a\\cb', 'line1\\nline2'], ['a\\cb', 'ignored']], body: 'x' },
      ],
    }).session;
  });
  afterAll(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages by position with the total, and finds a frame\'s position', async () => {
    const q = await core.invoke('frames.query', { session, filter: '' }) as QueryDto;
    const w = await core.invoke('frames.window', { query: q.query, start: 2, count: 3 }) as WindowDto;
    expect(w.start).toBe(2);
    expect(w.rows.map((r) => r.command)).toEqual(['SUBSCRIBE', 'SEND', 'RECEIPT']);
    expect(await core.invoke('frames.indexOf', { query: q.query, id: w.rows[1].id })).toEqual({ index: 3, total: q.total, exact: true });
    expect((await core.invoke('frames.window', { query: q.query, start: q.total + 10, count: 5 }) as WindowDto).rows).toEqual([]);
    expect(await core.invoke('frames.close', { query: q.query })).toEqual({ closed: true });
    await expect(Promise.resolve().then(() => core.invoke('frames.window', { query: q.query, start: 0, count: 1 }))).rejects.toThrow(/no open query/);
  });

  it('gives rows their reference and info columns, and the worst issue severity', async () => {
    const rows = await core.invoke('frames.page', { session, after: 0, limit: 100 }) as FrameRowDto[];
    expect(rows.find((r) => r.command === 'SUBSCRIBE')).toMatchObject({ ref: 'sub-1', destination: '/queue/orders' });
    expect(rows.find((r) => r.command === 'RECEIPT')).toMatchObject({ ref: 'r-0' });
    expect(rows.find((r) => r.command === 'CONNECTED')!.info).toContain('version=1.2');
    expect(rows.find((r) => r.command === 'MESSAGE')).toMatchObject({ ref: 'sub-1', severity: null });
  });

  it('details a frame: decoded and raw headers, repeats marked, body and raw bytes', async () => {
    const last = (await core.invoke('frames.page', { session, after: 0, limit: 100, filter: 'destination == "/queue/esc"' }) as FrameRowDto[])[0];
    const d = await core.invoke('frame.detail', { id: last.id }) as FrameDetailDto;
    expect(d.headers).toEqual([
      { name: 'destination', value: '/queue/esc', rawName: 'destination', rawValue: '/queue/esc', repeated: false },
      { name: 'a:b', value: 'line1\nline2', rawName: 'a\\cb', rawValue: 'line1\\nline2', repeated: false },
      { name: 'a:b', value: 'ignored', rawName: 'a\\cb', rawValue: 'ignored', repeated: true },
    ]);
    expect(Buffer.from(d.bodyBase64!, 'base64').toString()).toBe('x');
    expect(Buffer.from(d.rawBase64!, 'base64').toString()).toMatch(/^SEND\ndestination:\/queue\/esc\n[\s\S]*\n\nx\0$/);
    expect(d.sincePreviousMs).toBeGreaterThan(0);
    expect(await core.invoke('frame.detail', { id: last.id, maxBytes: 4 })).toMatchObject({ bodyTruncated: false, rawTruncated: true });
    await expect(Promise.resolve().then(() => core.invoke('frame.detail', { id: 999_999 }))).rejects.toThrow(/no frame/);
  });

  it('masks credentials in details, raw bytes and the info column unless asked to reveal them', async () => {
    const rows = await core.invoke('frames.page', { session, after: 0, limit: 100, filter: 'command == "STOMP"' }) as FrameRowDto[];
    expect(rows).toHaveLength(1);
    expect(rows[0].info).not.toContain('admin');
    const masked = await core.invoke('frame.detail', { id: rows[0].id }) as FrameDetailDto;
    expect(masked.headers.find((h) => h.name === 'passcode')).toMatchObject({ value: '********', rawValue: '********' });
    expect(masked.headers.find((h) => h.name === 'login')).toMatchObject({ value: '********' });
    const raw = Buffer.from(masked.rawBase64!, 'base64').toString();
    expect(raw).not.toContain('s3cr3t');
    expect(raw).toContain('passcode:*******\n');
    const revealed = await core.invoke('frame.detail', { id: rows[0].id, revealSecrets: true }) as FrameDetailDto;
    expect(revealed.headers.find((h) => h.name === 'passcode')!.value).toBe('s3cr3t!');
    expect(Buffer.from(revealed.rawBase64!, 'base64').toString()).toContain('passcode:s3cr3t!');
    await expect(Promise.resolve().then(() => core.invoke('frame.detail', { id: rows[0].id, revealSecrets: 'yes' }))).rejects.toThrow(/true or false/);
  });

  it('finds the previous frame on the same destination', async () => {
    const sends = await core.invoke('frames.page', { session, after: 0, limit: 100, filter: 'command == SEND and destination == "/queue/orders"' }) as FrameRowDto[];
    expect(await core.invoke('frame.previousOnDestination', { id: sends[1].id })).toEqual({ id: sends[0].id, sameCommand: true });
    // The first SEND there: the SUBSCRIBE before it is on the same destination.
    const [sub] = await core.invoke('frames.page', { session, after: 0, limit: 1, filter: 'command == SUBSCRIBE' }) as FrameRowDto[];
    expect(await core.invoke('frame.previousOnDestination', { id: sends[0].id })).toEqual({ id: sub.id, sameCommand: false });
    expect(await core.invoke('frame.previousOnDestination', { id: sub.id })).toEqual({ id: null, sameCommand: false });
  });

  it('checks filters for the UI', () => {
    expect(core.invoke('filter.check', { filter: 'issue and' })).toEqual({ error: expect.objectContaining({ start: 9 }) });
    expect(core.invoke('filter.check', { filter: 'issue' })).toEqual({ error: null });
  });

  it('refuses proxies that would listen beyond loopback, and bad endpoints', async () => {
    await expect(Promise.resolve().then(() => core.invoke('proxy.start', { listen: '0.0.0.0:0', upstream: '127.0.0.1:61613' }))).rejects.toThrow(/loopback/);
    await expect(Promise.resolve().then(() => core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: 'a b c' }))).rejects.toThrow(/HOST:PORT/);
    expect(core.invoke('proxy.list', {})).toEqual([]);
  });

  it('renames and deletes sessions, with their raw bytes', async () => {
    expect(await core.invoke('sessions.rename', { session, name: '  orders bug  ' })).toMatchObject({ session, name: 'orders bug' });
    await expect(Promise.resolve().then(() => core.invoke('sessions.rename', { session, name: '   ' }))).rejects.toThrow(/empty/);
    expect(existsSync(rawFileOf(db, session))).toBe(true);
    expect(core.invoke('sessions.delete', { session })).toEqual({ deleted: 1 });
    expect(existsSync(rawFileOf(db, session))).toBe(false);
    expect(await core.invoke('sessions.list', {})).toEqual([]);
    expect(core.db.prepare('SELECT count(*) FROM frames').pluck().get()).toBe(0);
    expect(() => core.invoke('sessions.delete', { session })).toThrow(/no session/);
  });
});
