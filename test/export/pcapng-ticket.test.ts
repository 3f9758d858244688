// The UI's pcapng export: `session.export` with format pcapng gives a ticket like the JSON lines export, and
// the web host streams it as a pcapng download (credentials masked) that our importer reads back.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { startWebHost, type WebHost } from '../../src-main/web/server.js';
import { importFile } from '../capture/support/import-helper.js';
import { frame, recordConversation, tmpDir } from '../replay/support.js';

function download(port: number, pathname: string): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: 5000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: Buffer.concat(parts) }));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
  });
}

describe('pcapng export ticket (session.export, format pcapng)', () => {
  let dir = '';
  let core: Core;
  let host: WebHost;
  let session = 0;

  beforeAll(async () => {
    dir = tmpDir('stompscope-export-ticket-');
    const db = path.join(dir, 'rec.db');
    ({ session } = await recordConversation(db, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/'], ['login', 'guest'], ['passcode', 'ticket-secret']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/t']], 'over the ticket') },
      { from: 'client', data: frame('DISCONNECT', [['receipt', 'r']]) },
      { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r']]) },
    ]));
    core = Core.open(db);
    // The page itself is not under test here: a stand-in for the renderer build.
    fs.mkdirSync(path.join(dir, 'renderer'));
    fs.writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>StompScope</title>');
    host = await startWebHost({ core, rendererDir: path.join(dir, 'renderer') });
  });

  afterAll(async () => {
    await host?.close();
    await core?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a filter (a capture holds whole connections) and an unknown format', () => {
    const code = (args: unknown) => {
      try {
        core.invoke('session.export', args);
      } catch (e) {
        return `${(e as ApiError).code}: ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(code({ session, filter: 'command == "SEND"', format: 'pcapng' })).toBe('bad-request: a pcapng export holds whole connections: it takes no display filter');
    expect(code({ session, filter: '', format: 'pcap' })).toBe("bad-request: session.export: 'format' must be jsonl, pcapng, stats.csv or stats.svg");
  });

  it('streams a masked pcapng download once, which imports back as the same frames', async () => {
    const { ticket, filename } = core.invoke('session.export', { session, filter: '', format: 'pcapng' }) as { ticket: string; filename: string };
    expect(filename).toBe(`stompscope-session-${session}.pcapng`);
    const res = await download(host.port, `/export/${ticket}?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/vnd.tcpdump.pcap');
    expect(res.body.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(res.body.includes(Buffer.from('ticket-secret'))).toBe(false);
    expect((await download(host.port, `/export/${ticket}?token=${host.token}`)).status).toBe(404);
    const file = path.join(dir, filename);
    fs.writeFileSync(file, res.body);
    const back = await importFile(dir, file);
    expect(back.frames.map((f) => [f.from, f.command])).toEqual([
      ['client', 'CONNECT'], ['broker', 'CONNECTED'], ['client', 'SEND'], ['client', 'DISCONNECT'], ['broker', 'RECEIPT'],
    ]);
    expect(back.frames[0].headers).toContainEqual(['passcode', '*'.repeat('ticket-secret'.length)]);
    expect(back.frames[2].body).toBe('over the ticket');
  });

  it('the JSON lines export is unchanged: same ticket flow, JSON lines content type', async () => {
    const { ticket, filename } = core.invoke('session.export', { session, filter: '' }) as { ticket: string; filename: string };
    expect(filename).toBe(`stompscope-session-${session}.jsonl`);
    const res = await download(host.port, `/export/${ticket}?token=${host.token}`);
    expect(res.type).toBe('application/x-ndjson; charset=utf-8');
    expect(res.body.toString('utf8').trim().split('\n')).toHaveLength(5);
  });
});
