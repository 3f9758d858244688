// The web host: the same renderer build and the same API contract as the desktop app, over HTTP + WebSocket,
// for a browser on this machine (DESIGN.md principle 5). It binds 127.0.0.1 only, and every request must
// carry the random token of the URL it printed (query `token`, or the cookie set when that URL was opened).
// The WebSocket also needs our own Origin: another site open in the same browser can reach 127.0.0.1, but it
// cannot know the token, and its Origin is not ours. No CORS headers are ever sent. The Host header must be
// ours too, against DNS rebinding.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, isCommandName } from '../../shared/api.js';
import type { Core } from '../core/api.js';

export interface WebHostOptions {
  core: Core;
  /** The renderer build (index.html and assets/). */
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
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

const COOKIE = 'stompscope_token';
const MAX_MESSAGE = 1024 * 1024;
const MAX_UPLOAD = 4 * 2 ** 30;

function sameToken(a: string | null | undefined, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
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
    if (!sameToken(queryToken, token) && !sameToken(cookieToken(req), token)) return refuse(res, 403, 'missing or wrong token: open the URL that `stompscope ui` printed');
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
      if (sameToken(queryToken, token)) headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });

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
    if (!sameToken(url.searchParams.get('token'), token) && !sameToken(cookieToken(req), token)) return deny(403, 'Forbidden');
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
      try {
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
        const result = await o.core.invoke(msg.cmd, msg.args, ws);
        ws.send(JSON.stringify({ id, ok: true, result }));
      } catch (e) {
        const err = e instanceof ApiError ? { code: e.code, message: e.message, detail: e.detail } : { code: 'internal', message: (e as Error).message };
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ok: false, error: err }));
      }
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
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
