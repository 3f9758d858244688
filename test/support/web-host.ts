// The web host as tests use it: a real Core over a temporary database (optionally with a seeded session), the real
// host on a free loopback port, and real WebSockets to it (the `ws` client, which can send our Origin).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Core } from '../../src-main/core/api.js';
import { startWebHost, type WebHost } from '../../src-main/web/server.js';
import { buildRenderer } from './renderer-build.js';
import { conversation, seedSession } from './seed.js';

export interface WebFixture {
  dir: string;
  core: Core;
  host: WebHost;
  /** Our own Origin: the host refuses WebSockets without it. */
  origin: string;
  /** The seeded session ('seeded', one connection, conversation(10)), or 0 when none was asked for. */
  session: number;
  /** The WebSocket URL of the API, with the token. */
  apiUrl: string;
  close(): Promise<void>;
}

/**
 * Starts a Core and the web host. `renderer: 'build'` serves the real renderer build (for tests of what the host
 * serves); 'stub' serves an empty page (for tests of the API only, which need no build).
 */
export async function startWebFixture(o: { seed?: boolean; renderer?: 'build' | 'stub'; dbName?: string } = {}): Promise<WebFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-web-'));
  const core = Core.open(path.join(dir, o.dbName ?? 'w.db'));
  const session = o.seed ? seedSession(core.db, { name: 'seeded', connections: 1, frames: conversation(10) }).session : 0;
  let rendererDir: string;
  if (o.renderer === 'stub') {
    rendererDir = path.join(dir, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><div id="app"></div>');
  } else {
    rendererDir = await buildRenderer();
  }
  const host = await startWebHost({ core, rendererDir });
  return {
    dir, core, host, session,
    origin: `http://127.0.0.1:${host.port}`,
    apiUrl: `ws://127.0.0.1:${host.port}/api?token=${host.token}`,
    close: async () => {
      await host.close();
      await core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a WebSocket; resolves with it when open, or with the HTTP status the upgrade was refused with. */
export function connect(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5000 });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', (e) => reject(e));
  });
}

export interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; detail?: unknown };
}

/** Sends one request and resolves with the reply that carries its id. */
export function call(ws: WebSocket, id: number, cmd: string, args: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer to ${cmd}`)), 5000);
    const on = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data));
      if (m.id === id) {
        clearTimeout(t);
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, cmd, args }));
  });
}

/**
 * The browser's WebSocket class as the page's channel uses it (src-renderer/src/lib/channel.ts), played by
 * `ws` with our Origin, for running that transport in Node against the real host.
 */
export function pageWebSocket(origin: string): typeof globalThis.WebSocket {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { Origin: origin } });
    }
  } as unknown as typeof globalThis.WebSocket;
}
