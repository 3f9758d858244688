// The web host: the same renderer build and the same API contract as the desktop app, over HTTP + WebSocket,
// for a browser on this machine. It binds 127.0.0.1 only, and every request must carry the random token of the
// URL it printed in its query (`token`); only the renderer's static build (assets/: scripts and styles, the
// same for everyone, no data) is served without it, so that the page can load them. No cookie: cookies are not
// tied to a port (RFC 6265 §8.5), so one set by 127.0.0.1:PORT would reach every other web app on 127.0.0.1.
// The WebSocket also needs our own Origin: another site open in the same browser can reach 127.0.0.1, but it
// cannot know the token, and its Origin is not ours. No CORS headers are ever sent. The Host header must be
// ours too, against DNS rebinding. `openUrl()` gives a URL for a browser launcher, whose command line any local
// user can read (ps): it carries a one-time code, not the token, which the host trades once, within a minute,
// for a redirect to the token URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, isCommandName, replyOf, toWireError } from '../../shared/api/index.js';
import type { Core } from '../core/api.js';

export interface WebHostOptions {
  core: Core;
  /** The renderer build (index.html and assets/). */
  rendererDir: string;
  port?: number;
  token?: string;
  /** The clock one-time codes expire by (ms); Date.now unless a test drives it. */
  now?: () => number;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  /**
   * A URL to hand to a browser launcher: `/?code=…` with a fresh one-time code (single use, valid for
   * OPEN_CODE_TTL_MS) that the host answers with a redirect to the token URL. The token itself never goes on a
   * command line.
   */
  openUrl(): string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

export const WEB_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** How long a one-time code of openUrl() stays valid: a browser launcher opens it within seconds. */
export const OPEN_CODE_TTL_MS = 60_000;
const MAX_MESSAGE = 1024 * 1024;
const MAX_UPLOAD = 4 * 2 ** 30;

function sameToken(a: string | null | undefined, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request target as a URL, or null when it does not parse. */
function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/** A URL path percent-decoded, or null when the encoding is malformed or decodes to a NUL (no file name has one). */
function decodePath(pathname: string): string | null {
  try {
    const p = decodeURIComponent(pathname);
    return p.includes('\0') ? null : p;
  } catch {
    return null;
  }
}

export async function startWebHost(o: WebHostOptions): Promise<WebHost> {
  const token = o.token ?? randomBytes(24).toString('base64url');
  const now = o.now ?? Date.now;
  /** Open one-time codes of openUrl(). Each is compared in constant time, never looked up by value. */
  let codes: Array<{ code: string; expires: number }> = [];
  /** Trades a one-time code: true once per code, before it expires. */
  const takeCode = (given: string | null): boolean => {
    const t = now();
    codes = codes.filter((c) => c.expires > t);
    let hit = -1;
    codes.forEach((c, i) => {
      if (sameToken(given, c.code)) hit = i;
    });
    if (hit < 0) return false;
    codes.splice(hit, 1);
    return true;
  };
  const root = path.resolve(o.rendererDir);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`no renderer build in ${root} (run: npm run build)`);
  }
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const refuse = (res: http.ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text + '\n');
  };

  const server = http.createServer((req, res) => {
    // Request targets come from any local process, not only from our page: a target or a percent-encoding
    // that does not parse is refused, never thrown (an exception here would take the host down).
    const url = parseTarget(req.url);
    if (!url) return refuse(res, 400, 'bad request target');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(res, 421, 'wrong Host');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(res, 403, 'cross-origin requests are refused');
    const queryToken = url.searchParams.get('token');
    if (url.searchParams.has('code') && url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!takeCode(url.searchParams.get('code'))) return refuse(res, 403, 'this link was already used or has expired: open the URL that `stompscope ui` printed');
      res.writeHead(303, { Location: `/?token=${token}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      return res.end();
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const asset = staticAsset(url.pathname);
      if (asset) return sendFile(req, res, asset);
    }
    if (!sameToken(queryToken, token)) return refuse(res, 403, 'missing or wrong token: open the URL that `stompscope ui` printed');
    if (url.pathname === '/upload') {
      // A write: our page's fetch always sends its Origin; a request without one is not from it.
      if (req.method !== 'POST') return refuse(res, 405, 'method not allowed');
      if (origin === undefined) return refuse(res, 403, 'uploads need the Origin of the StompScope page');
      return receiveUpload(req, res, url.searchParams.get('name') ?? 'capture');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    if (url.pathname.startsWith('/export/')) return sendExport(res, url.pathname.slice('/export/'.length));
    let rel = decodePath(url.pathname);
    if (rel === null) return refuse(res, 400, 'bad request target');
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(root, '.' + rel);
    if (!file.startsWith(root + path.sep)) return refuse(res, 404, 'not found');
    sendFile(req, res, file);
  });

  /** A file of the renderer's assets/ directory that a URL path names, or null (then the token is needed). */
  const assets = path.join(root, 'assets') + path.sep;
  const staticAsset = (pathname: string): string | null => {
    const rel = decodePath(pathname);
    if (rel === null || !rel.startsWith('/assets/')) return null;
    const file = path.resolve(root, '.' + rel);
    return file.startsWith(assets) ? file : null;
  };

  const sendFile = (req: http.IncomingMessage, res: http.ServerResponse, file: string) => {
    fs.readFile(file, (err, data) => {
      if (err) return refuse(res, 404, 'not found');
      const headers: Record<string, string> = {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': WEB_CSP,
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        // The token is in the URL: never send it on in a Referer.
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
      };
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  };

  /** Streams an uploaded capture to a private temporary directory and registers it with the core. */
  const receiveUpload = (req: http.IncomingMessage, res: http.ServerResponse, name: string) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (!Number.isFinite(declared)) return refuse(res, 411, 'Content-Length required');
    if (declared > MAX_UPLOAD) return refuse(res, 413, `captures up to ${MAX_UPLOAD / 2 ** 30} GiB; import bigger ones with \`stompscope import\``);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-upload-'));
    const file = path.join(dir, 'capture');
    const out = fs.createWriteStream(file, { mode: 0o600 });
    let received = 0;
    req.on('data', (d: Buffer) => {
      received += d.length;
      if (received > declared) req.destroy();
    });
    req.pipe(out);
    const fail = () => {
      fs.rmSync(dir, { recursive: true, force: true });
      if (!res.headersSent) refuse(res, 400, 'upload failed');
    };
    req.on('error', fail);
    req.on('aborted', fail);
    out.on('error', fail);
    out.on('finish', () => {
      if (received !== declared) return fail();
      const upload = o.core.registerUpload(file, name.slice(0, 200), true);
      res.writeHead(201, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ upload }));
    });
  };

  /** Streams an export ticket's content (JSON lines, or pcapng) as a download, with the socket's backpressure. */
  const sendExport = async (res: http.ServerResponse, ticket: string) => {
    const contentType = o.core.exportContentType(ticket);
    const lines = o.core.takeExport(ticket);
    if (!lines) return refuse(res, 404, 'no such export (tickets are single-use and expire after a minute)');
    res.writeHead(200, {
      'Content-Type': contentType ?? 'application/octet-stream', 'Content-Disposition': 'attachment', 'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    try {
      for await (const line of lines) {
        if (!res.write(line)) await new Promise((r) => res.once('drain', r));
        if (res.destroyed) break;
      }
      res.end();
    } catch {
      // A read that failed or ran past the time limit: the download is cut, not ended as if it were whole.
      res.destroy();
    } finally {
      await lines.return(undefined);
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  server.on('upgrade', (req, socket, head) => {
    const deny = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = parseTarget(req.url);
    if (!url) return deny(400, 'Bad Request');
    if (url.pathname !== '/api') return deny(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return deny(421, 'Misdirected Request');
    if (!allowedOrigins().has(req.headers.origin ?? '')) return deny(403, 'Forbidden');
    if (!sameToken(url.searchParams.get('token'), token)) return deny(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  });

  const sockets = new Set<WebSocket>();
  const serve = (ws: WebSocket) => {
    sockets.add(ws);
    const unsubscribe = o.core.onEvent((event, data) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, data }));
    });
    ws.on('close', () => {
      sockets.delete(ws);
      unsubscribe();
    });
    ws.on('message', async (raw, isBinary) => {
      let id: unknown = null;
      // The same reply as over Electron IPC: {ok, result} or {ok: false, error: {code, message, detail}}.
      const reply = await replyOf(() => {
        if (isBinary) throw new ApiError('bad-request', 'messages are JSON text');
        let msg: { id?: unknown; cmd?: unknown; args?: unknown } | null;
        try {
          msg = JSON.parse(raw.toString()) as typeof msg;
        } catch {
          throw new ApiError('bad-request', 'messages are JSON text');
        }
        if (typeof msg !== 'object' || msg === null) throw new ApiError('bad-request', 'a message is a JSON object: {"id", "cmd", "args"}');
        id = msg.id;
        if (typeof id !== 'number') throw new ApiError('bad-request', 'every request needs a numeric id');
        if (!isCommandName(msg.cmd)) throw new ApiError('bad-request', `unknown command ${String(msg.cmd)}`);
        // This connection is the caller: its newer frames.query replaces its older one still running.
        return o.core.invoke(msg.cmd, msg.args, ws);
      });
      let text: string;
      try {
        text = JSON.stringify({ id, ...reply });
      } catch (e) {
        text = JSON.stringify({ id, ok: false, error: toWireError(e) });
      }
      if (ws.readyState === ws.OPEN) ws.send(text);
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    openUrl: () => {
      const code = randomBytes(24).toString('base64url');
      codes.push({ code, expires: now() + OPEN_CODE_TTL_MS });
      return `http://127.0.0.1:${port}/?code=${code}`;
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
