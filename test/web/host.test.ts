// The web host's boundary: 127.0.0.1 only, the token on every HTTP request and WebSocket, our own Origin and
// Host, no CORS; and the contract carried over the WebSocket (commands, errors, events).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Core } from '../../src-main/core/api.js';
import type { WebHost } from '../../src-main/web/server.js';
import { conversation, seedSession } from '../support/seed.js';
import { call, connect, startWebFixture, type WebFixture } from '../support/web-host.js';
import { IMPORTED_CONVERSATION, stompPcap } from '../support/pcap-build.js';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('web host', () => {
  let fixture: WebFixture;
  let core: Core;
  let host: WebHost;
  let origin = '';
  let session = 0;

  beforeAll(async () => {
    fixture = await startWebFixture({ seed: true });
    ({ core, host, origin, session } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('prints a URL on 127.0.0.1 with a long random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('serves the UI with the token and strict headers, sets no cookie, and no CORS; its static assets load without the token', async () => {
    const r = await get(host.port, `/?token=${host.token}`, { Host: `127.0.0.1:${host.port}` });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<div id="app">');
    // A cookie of 127.0.0.1 would be sent to every port of 127.0.0.1 (RFC 6265 §8.5): none is set.
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    // The page's scripts are requested without the token (the browser does not carry the page's query): the
    // build's assets are served to anyone on 127.0.0.1 with our Host, and nothing else is.
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(r.body)![1];
    const plain = await get(host.port, `/${asset}`);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toContain('javascript');
    expect((await get(host.port, `/${asset}`, { Host: `evil.example:${host.port}` })).status).toBe(421);
    expect((await get(host.port, '/assets/../index.html')).status).toBe(403);
    expect((await get(host.port, '/assets/%2e%2e/index.html')).status).toBe(403);
  });

  it('refuses HTTP requests without the token, with a forged one, from another Origin or Host, and outside its directory', async () => {
    expect((await get(host.port, '/')).status).toBe(403);
    expect((await get(host.port, '/?token=' + 'x'.repeat(32))).status).toBe(403);
    expect((await get(host.port, '/?token=')).status).toBe(403);
    expect((await get(host.port, '/', { Cookie: 'stompscope_token=guess' })).status).toBe(403);
    // Not even the right token in a cookie: the host sets none and reads none.
    expect((await get(host.port, '/', { Cookie: `stompscope_token=${host.token}` })).status).toBe(403);
    const cross = await get(host.port, `/?token=${host.token}`, { Origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers['access-control-allow-origin']).toBeUndefined();
    expect((await get(host.port, `/?token=${host.token}`, { Host: `evil.example:${host.port}` })).status).toBe(421);
    expect((await get(host.port, `/../package.json?token=${host.token}`)).status).toBe(404);
    expect((await get(host.port, `/%2e%2e/%2e%2e/package.json?token=${host.token}`)).status).toBe(404);
    expect((await get(host.port, `/?token=${host.token}`, {}, 'POST')).status).toBe(405);
  });

  it('refuses WebSockets without the token, with a forged one, or from another Origin', async () => {
    const url = `ws://127.0.0.1:${host.port}/api`;
    expect(await connect(url, { Origin: origin })).toBe(403);
    expect(await connect(`${url}?token=nope`, { Origin: origin })).toBe(403);
    expect(await connect(`${url}?token=${host.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await connect(`${url}?token=${host.token}`, { Origin: 'null' })).toBe(403);
    expect(await connect(`${url}?token=${host.token}`, {})).toBe(403);
    expect(await connect(`ws://127.0.0.1:${host.port}/other?token=${host.token}`, { Origin: origin })).toBe(404);
  });

  it('carries the contract: commands, validation errors, filter errors with their place', async () => {
    const ws = await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { Origin: origin });
    expect(ws).toBeInstanceOf(WebSocket);
    const s = ws as WebSocket;
    const list = await call(s, 1, 'sessions.list', {});
    expect(list.ok).toBe(true);
    expect(list.result).toEqual([expect.objectContaining({ session, name: 'seeded' })]);
    const q = await call(s, 2, 'frames.query', { session, filter: 'command == "SEND"' });
    expect(q.result).toEqual({ query: expect.any(Number), total: 10 });
    const w = await call(s, 3, 'frames.window', { query: (q.result as { query: number }).query, start: 8, count: 10 });
    expect((w.result as { rows: unknown[] }).rows).toHaveLength(2);
    const bad = await call(s, 4, 'frames.query', { session, filter: 'size > "x"' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-filter', detail: { start: 7 } } });
    expect(await call(s, 5, 'fs.readFile', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await call(s, 6, 'frames.window', { query: 1, start: -1, count: 5 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const detail = await call(s, 7, 'frame.detail', { id: (w.result as { rows: Array<{ id: number }> }).rows[0].id });
    expect(detail.result).toMatchObject({ row: { command: 'SEND' }, headers: expect.arrayContaining([expect.objectContaining({ name: 'destination' })]) });
    s.close();
  });

  it('streams an export ticket once, as JSON lines, only with the token', async () => {
    const ws = (await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { Origin: origin })) as WebSocket;
    const r = await call(ws, 1, 'session.export', { session, filter: 'command == "SEND"' });
    const { ticket, filename } = r.result as { ticket: string; filename: string };
    expect(filename).toBe(`stompscope-session-${session}-filtered.jsonl`);
    expect(await call(ws, 2, 'session.export', { session, filter: 'size >' })).toMatchObject({ ok: false, error: { code: 'bad-filter' } });
    ws.close();
    expect((await get(host.port, `/export/${ticket}`)).status).toBe(403);
    const res = await get(host.port, `/export/${ticket}?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment');
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatchObject({ session, command: 'SEND', headers: expect.arrayContaining([['destination', '/queue/other']]) });
    expect((await get(host.port, `/export/${ticket}?token=${host.token}`)).status).toBe(404);
  });

  it('masks credentials in exports unless asked to reveal them', async () => {
    const secret = seedSession(core.db, {
      name: 'credentials', connections: 1,
      frames: [{ conn: 1, from: 'client', command: 'CONNECT', headers: [['accept-version', '1.2'], ['login', 'admin'], ['passcode', 's3cr3t']] }],
    }).session;
    const ws = (await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { Origin: origin })) as WebSocket;
    const exported = async (id: number, revealSecrets?: boolean) => {
      const r = await call(ws, id, 'session.export', { session: secret, filter: '', revealSecrets });
      const res = await get(host.port, `/export/${(r.result as { ticket: string }).ticket}?token=${host.token}`);
      return JSON.parse(res.body.trim().split('\n')[0]) as { headers: [string, string][] };
    };
    expect((await exported(1)).headers).toEqual([['accept-version', '1.2'], ['login', '********'], ['passcode', '********']]);
    expect((await exported(2, true)).headers).toEqual([['accept-version', '1.2'], ['login', 'admin'], ['passcode', 's3cr3t']]);
    ws.close();
  });

  it('sends frames.appended to connected pages while a session records', async () => {
    const ws = (await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { Origin: origin })) as WebSocket;
    const got = new Promise<{ event: string; data: { session: number; frames: number } }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no frames.appended event')), 5000);
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.event === 'frames.appended') {
          clearTimeout(t);
          resolve(m);
        }
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    const live = seedSession(core.db, { name: 'live', connections: 1, frames: conversation(3), state: 'recording' });
    const e = await got;
    expect(e.data).toMatchObject({ session: live.session, frames: live.frames });
    ws.close();
  });
});

describe('web host uploads', () => {
  let fixture: WebFixture;
  let core: Core;
  let host: WebHost;
  let origin = '';

  beforeAll(async () => {
    fixture = await startWebFixture({ dbName: 'u.db' });
    ({ core, host, origin } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const post = (query: string, body: Buffer, headers: Record<string, string>) =>
    new Promise<Res>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: `/upload${query}`, method: 'POST', headers: { 'Content-Length': String(body.length), ...headers }, timeout: 5000 }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('refuses uploads without the token, without our Origin, or with another one', async () => {
    const pcap = stompPcap(IMPORTED_CONVERSATION);
    expect((await post('?name=a.pcap', pcap, { Origin: origin })).status).toBe(403);
    expect((await post(`?token=${host.token}&name=a.pcap`, pcap, {})).status).toBe(403);
    expect((await post(`?token=${host.token}&name=a.pcap`, pcap, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(host.port, `/upload?token=${host.token}`, { Origin: origin })).status).toBe(405);
  });

  it('imports an uploaded capture by the id it returns, with progress and done events', async () => {
    const ws = (await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { Origin: origin })) as WebSocket;
    const events: Array<{ event: string; data: Record<string, unknown> }> = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.event) events.push(m);
    });
    const r = await post(`?token=${host.token}&name=${encodeURIComponent('../../etc/evil.pcap')}`, stompPcap(IMPORTED_CONVERSATION), { Origin: origin });
    expect(r.status).toBe(201);
    const { upload } = JSON.parse(r.body) as { upload: string };
    expect(await call(ws, 1, 'import.start', { upload: 'guessed' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const started = await call(ws, 2, 'import.start', { upload });
    expect(started).toMatchObject({ ok: true, result: { job: expect.any(Number) } });
    await expect.poll(() => events.find((e) => e.event === 'import.done'), { timeout: 10_000 }).toBeTruthy();
    const done = events.find((e) => e.event === 'import.done')!.data;
    expect(done).toMatchObject({ name: 'evil.pcap', frames: 5, complete: true, error: null });
    const frames = await core.invoke('frames.page', { session: done.session as number, after: 0, limit: 10, filter: 'destination == "/queue/imported"' }) as Array<{ command: string }>;
    expect(frames.map((f) => f.command)).toEqual(['SEND']);
    // An upload is imported once.
    expect(await call(ws, 3, 'import.start', { upload })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    ws.close();
  });

  it('removes an upload that was never imported when the UI exits', async () => {
    const other = await startWebFixture({ dbName: 'u2.db' });
    const uploads = () => new Set(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('stompscope-upload-')));
    const before = uploads();
    const r = await new Promise<number>((resolve, reject) => {
      const body = stompPcap(IMPORTED_CONVERSATION);
      const req = http.request({ host: '127.0.0.1', port: other.host.port, path: `/upload?token=${other.host.token}&name=left.pcap`, method: 'POST',
        headers: { 'Content-Length': String(body.length), Origin: other.origin }, timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      req.end(body);
    });
    expect(r).toBe(201);
    const ours = [...uploads()].filter((d) => !before.has(d));
    expect(ours).toHaveLength(1);
    await other.close();
    expect(fs.existsSync(path.join(os.tmpdir(), ours[0]))).toBe(false);
  });
});
