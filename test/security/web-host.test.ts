// The web host's boundary under requests a browser would never send (test/web/host.test.ts covers the token,
// Origin, Host and CORS rules with ordinary requests): raw, malformed request lines and URLs must be refused
// without taking the host down; CORS preflights get no CORS headers; the WebSocket checks Host and Origin even
// with the right token; export tickets cannot be traversed; uploads land in a private directory of their own,
// whatever name the page gives.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Core } from '../../src-main/core/api.js';
import { startWebHost, type WebHost } from '../../src-main/web/server.js';

/** Sends raw bytes and returns the status line of the answer ('' when the connection closed without one). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(5000, () => s.destroy(new Error('no answer')));
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(got.split('\r\n')[0]) : reject(e)));
    s.on('close', () => resolve(got.split('\r\n')[0]));
    // Not end(): a half-closed request gets no answer once the server has to wait for anything (a file read).
    s.write(request);
  });
}

function wsStatus(url: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5000 });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('web host: hostile requests', () => {
  let dir = '';
  let core: Core;
  let host: WebHost;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-web-'));
    const renderer = path.join(dir, 'renderer');
    fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><div id="app"></div>');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
    core = Core.open(path.join(dir, 'w.db'));
    host = await startWebHost({ core, rendererDir: renderer });
  });
  afterAll(async () => {
    await host?.close();
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const alive = async () => expect(await raw(host.port, `GET /?token=${host.token} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`)).toBe('HTTP/1.1 200 OK');

  it('listens on 127.0.0.1 only, with a fresh random token each start', async () => {
    expect(host.url.startsWith(`http://127.0.0.1:${host.port}/`)).toBe(true);
    const other = await startWebHost({ core, rendererDir: path.join(dir, 'renderer') });
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(other.token).not.toBe(host.token);
      // One host's token opens nothing on the other.
      expect(await raw(other.port, `GET /?token=${host.token} HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\nConnection: close\r\n\r\n`)).toBe('HTTP/1.1 403 Forbidden');
    } finally {
      await other.close();
    }
  });

  it('refuses malformed URLs and request targets without going down', async () => {
    const t = host.token;
    const h = `Host: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`;
    // A bad percent-encoding (decodeURIComponent throws on it), with and without the token.
    expect(await raw(host.port, `GET /%E0%A4%A?token=${t} HTTP/1.1\r\n${h}`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect(await raw(host.port, `GET /assets/%ZZ.js?token=${t} HTTP/1.1\r\n${h}`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect(await raw(host.port, `GET /%E0%A4%A HTTP/1.1\r\n${h}`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    // Absolute-form targets the URL parser rejects; a network-path reference cannot climb out either.
    expect(await raw(host.port, `GET http://[ HTTP/1.1\r\n${h}`)).toMatch(/^HTTP\/1\.1 4\d\d|^$/);
    expect(await raw(host.port, `GET //evil.example/../../secret.txt?token=${t} HTTP/1.1\r\n${h}`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    // Traversal, encoded every way.
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/assets/../../secret.txt', '/%00']) {
      expect(await raw(host.port, `GET ${p}?token=${t} HTTP/1.1\r\n${h}`), p).toMatch(/^HTTP\/1\.1 4\d\d/);
    }
    // The same on the WebSocket path.
    expect(await raw(host.port, `GET /api%ZZ?token=${t} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://127.0.0.1:${host.port}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 4\d\d|^$/);
    expect(await raw(host.port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`)).toMatch(/^HTTP\/1\.1 4\d\d|^$/);
    await alive();
  });

  it('answers a CORS preflight from another site with a refusal and no CORS headers', async () => {
    const r = await raw(host.port, `OPTIONS /upload?token=${host.token} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n`);
    expect(r).toBe('HTTP/1.1 403 Forbidden');
    const full = await new Promise<string>((resolve) => {
      const s = net.connect(host.port, '127.0.0.1');
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.write(`OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: http://127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`);
    });
    expect(full.toLowerCase()).not.toContain('access-control-allow');
  });

  it('checks the WebSocket Host and Origin even with the right token, and takes the token from no cookie', async () => {
    const url = `ws://127.0.0.1:${host.port}/api?token=${host.token}`;
    expect(await wsStatus(url, { Origin: `http://127.0.0.1:${host.port}` })).toBe('open');
    expect(await wsStatus(url, { Origin: 'http://evil.example' })).toBe(403);
    expect(await wsStatus(url, { Origin: `http://127.0.0.1:${host.port}.evil.example` })).toBe(403);
    expect(await wsStatus(url, { Origin: `https://127.0.0.1:${host.port}` })).toBe(403);
    // DNS rebinding: evil.example resolving to 127.0.0.1 sends its own name as Host.
    expect(await wsStatus(url, { Origin: `http://127.0.0.1:${host.port}`, Host: `evil.example:${host.port}` })).toBe(421);
    // A token one character off (its last character changed: 'x', or 'y' when it already ends in 'x').
    const forged = host.token.slice(0, -1) + (host.token.endsWith('x') ? 'y' : 'x');
    expect(await wsStatus(`ws://127.0.0.1:${host.port}/api?token=${forged}`, { Origin: `http://127.0.0.1:${host.port}` })).toBe(403);
    expect(await wsStatus(`ws://127.0.0.1:${host.port}/api?token=${encodeURIComponent(host.token + ' ')}`, { Origin: `http://127.0.0.1:${host.port}` })).toBe(403);
    // A cookie is sent to every port of the host it belongs to (RFC 6265 §8.5): the token is never read from one.
    expect(await wsStatus(`ws://127.0.0.1:${host.port}/api`, { Cookie: `stompscope_token=${host.token}`, Origin: `http://127.0.0.1:${host.port}` })).toBe(403);
  });

  it('answers every hostile WebSocket message with an error and stays up (not JSON, binary, no id, odd ids, bad args)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { headers: { Origin: `http://127.0.0.1:${host.port}` } });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const answers: Array<{ id: unknown; ok: boolean; error?: { code: string; message: string } }> = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (!('event' in m)) answers.push(m);
    });
    const junk: Array<string | Buffer> = [
      'not json', '', '{', 'null', '[]', '42', '"x"', '{"id":"1","cmd":"sessions.list"}', '{"id":1}', '{"id":2,"cmd":"constructor"}',
      '{"id":3,"cmd":"__proto__"}', '{"id":4,"cmd":"sessions.list","args":"x"}', '{"id":5,"cmd":"frames.window","args":{"query":1e308,"start":-0,"count":NaN}}',
      '{"id":6,"cmd":"frame.detail","args":{"id":1,"maxBytes":1e100}}', '{"id":7,"cmd":"import.start","args":{"upload":"../../etc/passwd"}}',
      '{"id":8,"cmd":"filter.check","args":{"filter":"' + '('.repeat(5000) + '"}}', '{"__proto__":{"id":9},"cmd":"sessions.list"}',
      Buffer.from([0xff, 0x00, 0x7b]), JSON.stringify({ id: 10, cmd: 'frames.query', args: { session: 1, filter: 'x'.repeat(5000) } }),
    ];
    for (const m of junk) ws.send(m);
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBe(junk.length);
    for (const a of answers) {
      expect(a.ok, JSON.stringify(a)).toBe(false);
      expect(a.error!.message.length).toBeGreaterThan(0);
      expect(['bad-request', 'bad-filter', 'not-found'], JSON.stringify(a)).toContain(a.error!.code);
    }
    // The filter check answers the syntax error as data, as the UI expects; the connection still works.
    ws.send(JSON.stringify({ id: 11, cmd: 'filter.check', args: { filter: '('.repeat(3000) } }));
    ws.send(JSON.stringify({ id: 12, cmd: 'sessions.list', args: {} }));
    await expect.poll(() => answers.find((a) => a.id === 12), { timeout: 10_000 }).toMatchObject({ ok: true });
    expect(answers.find((a) => a.id === 11)).toMatchObject({ ok: true, result: { error: { message: expect.stringMatching(/nested too deeply/) } } });
    ws.close();
    await alive();
  });

  it('export tickets are single names: no traversal, no other files', async () => {
    for (const p of ['/export/..%2f..%2fsecret.txt', '/export/../secret.txt', '/export/%2e%2e/secret.txt', '/export/..%5csecret.txt', '/export/']) {
      const status = await raw(host.port, `GET ${p}?token=${host.token} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`);
      expect(status, p).toBe('HTTP/1.1 404 Not Found');
    }
  });

  it('an upload is written into a fresh private directory, never where its name points', async () => {
    const name = `../../${path.basename(dir)}/planted.pcap`;
    const body = Buffer.from('not a capture');
    const req = `POST /upload?token=${host.token}&name=${encodeURIComponent(name)} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n` +
      `Origin: http://127.0.0.1:${host.port}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('latin1')}`;
    expect(await raw(host.port, req)).toBe('HTTP/1.1 201 Created');
    expect(fs.existsSync(path.join(dir, 'planted.pcap'))).toBe(false);
    const uploads = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('stompscope-upload-'));
    const mine = uploads.map((d) => path.join(os.tmpdir(), d, 'capture')).filter((f) => fs.existsSync(f) && fs.readFileSync(f).equals(body));
    expect(mine.length).toBeGreaterThan(0);
    for (const f of mine) {
      expect(fs.statSync(f).mode & 0o077, 'readable by its owner only').toBe(0);
      expect(fs.readdirSync(path.dirname(f))).toEqual(['capture']);
    }
  });
});
