// The web host carries the core's read rules: each WebSocket is one caller, so a page's newer frames.query
// cancels its own older one still running (src-main/core/read/pool.ts), never another page's; and an export
// whose filter runs past the time limit is cut, not sent as if it were whole, with the host still up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Core, type CoreOptions } from '../../src-main/core/api.js';
import { openDb } from '../../src-main/core/store/db.js';
import { startWebHost, type WebHost } from '../../src-main/web/server.js';
import { SLOW_FILTER, seedSlowBodies } from '../support/seed.js';

type Answer = { id: number; ok: boolean; result?: unknown; error?: { code: string; message: string } };

/** A page's WebSocket: every answer kept by request id. */
async function page(host: WebHost) {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { headers: { Origin: `http://127.0.0.1:${host.port}` }, handshakeTimeout: 5000 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const answers = new Map<number, Answer>();
  const waiting = new Map<number, (a: Answer) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Answer;
    if (typeof m.id !== 'number') return;
    answers.set(m.id, m);
    waiting.get(m.id)?.(m);
  });
  let next = 1;
  return {
    ws,
    answers,
    /** Sends a command; the promise is its answer. */
    send(cmd: string, args: unknown): { id: number; answer: Promise<Answer> } {
      const id = next++;
      const answer = new Promise<Answer>((resolve) => {
        if (answers.has(id)) resolve(answers.get(id)!);
        waiting.set(id, resolve);
      });
      ws.send(JSON.stringify({ id, cmd, args }));
      return { id, answer };
    },
  };
}

function download(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body })).on('error', reject).on('aborted', () => reject(new Error('aborted')));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('the web host and the core\'s reads', () => {
  let dir = '';
  let db = '';
  let session = 0;
  let sends = 0;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-web-reads-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
    db = path.join(dir, 'w.db');
    const d = openDb(db);
    ({ session, sends } = seedSlowBodies(d, 5));
    d.close();
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (o: CoreOptions) => {
    const core = Core.open(db, o);
    const host = await startWebHost({ core, rendererDir: dir });
    stops.push(async () => {
      await host.close();
      await core.close();
    });
    return host;
  };

  it('a page\'s newer filter cancels its own older one, not another page\'s', async () => {
    // No time limit a test would wait out: only a cancellation ends these filters.
    const host = await start({ readTimeoutMs: 600_000, readWorkers: 2 });
    const one = await page(host);
    const two = await page(host);
    const slowOne = one.send('frames.query', { session, filter: SLOW_FILTER });
    const slowTwo = two.send('frames.query', { session, filter: SLOW_FILTER });
    const quickOne = one.send('frames.query', { session, filter: 'command == "SEND"' });
    expect(await slowOne.answer).toMatchObject({ ok: false, error: { code: 'cancelled', message: 'filter cancelled: a newer filter replaced it' } });
    expect(await quickOne.answer).toMatchObject({ ok: true, result: { total: sends } });
    expect(two.answers.has(slowTwo.id)).toBe(false);
    // Still running: its own page's next filter is what cancels it.
    const quickTwo = two.send('frames.query', { session, filter: '' });
    expect(await slowTwo.answer).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(await quickTwo.answer).toMatchObject({ ok: true });
    one.ws.close();
    two.ws.close();
  });

  it('cuts an export whose filter runs past the time limit, and answers the next request', async () => {
    const host = await start({ readTimeoutMs: 1000, readWorkers: 1 });
    const p = await page(host);
    const t = await p.send('session.export', { session, filter: SLOW_FILTER }).answer;
    const { ticket } = t.result as { ticket: string };
    await expect(download(host.port, `/export/${ticket}?token=${host.token}`)).rejects.toThrow();
    expect(await p.send('frames.query', { session, filter: 'command == "SEND"' }).answer).toMatchObject({ ok: true, result: { total: sends } });
    const whole = (await p.send('session.export', { session, filter: 'command == "SEND"' }).answer).result as { ticket: string };
    const r = await download(host.port, `/export/${whole.ticket}?token=${host.token}`);
    expect(r.status).toBe(200);
    expect(r.body.trim().split('\n')).toHaveLength(sends);
    p.ws.close();
  });
});
