// The HTTP/1.1 message head that opens a WebSocket (RFC 6455 §4, RFC 9112 §2-§5): start line and header
// fields, read incrementally from one direction of a connection. Only what a WebSocket or SockJS handshake
// needs: no bodies, no chunked encoding. Pure: bytes in, a parsed head (or "not HTTP") out.

export interface HttpRequestHead {
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  version: string;
  /** Header fields in wire order, names as sent, values trimmed of surrounding whitespace (RFC 9112 §5). */
  headers: Array<[string, string]>;
}

export interface HttpResponseHead {
  version: string;
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

/** Longest head accepted; browsers send a few KiB, servers refuse heads past 8-16 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH', 'CONNECT', 'TRACE'];

/**
 * Could `b` (the first bytes a client sent) be the start of an HTTP request? 'yes' when a method and a space
 * are there, 'more' while the bytes so far are a prefix of one, 'no' otherwise.
 */
export function looksLikeHttpRequest(b: Uint8Array): 'yes' | 'more' | 'no' {
  const n = Math.min(b.length, 8);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[i]);
  for (const m of METHODS) {
    const word = m + ' ';
    if (s.length >= word.length ? s.startsWith(word) : word.startsWith(s)) return s.length >= word.length ? 'yes' : 'more';
  }
  return 'no';
}

/** The first value of a header field, by case-insensitive name. */
export function headerOf(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Does a comma-separated header (Connection, Upgrade) hold `token`, case-insensitively? */
export function headerHasToken(headers: ReadonlyArray<readonly [string, string]>, name: string, token: string): boolean {
  const lower = name.toLowerCase();
  const t = token.toLowerCase();
  for (const [k, v] of headers) {
    if (k.toLowerCase() !== lower) continue;
    if (v.split(',').some((p) => p.trim().toLowerCase() === t)) return true;
  }
  return false;
}

/** A GET request asking to switch to WebSocket (RFC 6455 §4.1: Upgrade: websocket, Connection: Upgrade). */
export function isWebSocketUpgrade(req: HttpRequestHead): boolean {
  return req.method === 'GET' && headerHasToken(req.headers, 'upgrade', 'websocket');
}

function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]);
  return s;
}

export type HeadResult<T> =
  | { kind: 'more' }
  /** The head, and how many bytes of the input (all pushes together) it took, blank line included. */
  | { kind: 'head'; head: T; length: number }
  | { kind: 'error'; message: string };

/**
 * Collects the bytes of one message head until its blank line (CRLF CRLF, or LF LF from lenient peers), at
 * most MAX_HEAD_BYTES. Whatever follows the head in the same push is returned to the caller by `length`.
 */
export class HeadReader<T> {
  private buf: Uint8Array = new Uint8Array(0);
  private scanned = 0;

  constructor(private readonly parse: (lines: string[]) => T | string) {}

  push(bytes: Uint8Array): HeadResult<T> {
    const c = new Uint8Array(this.buf.length + Math.min(bytes.length, MAX_HEAD_BYTES + 4));
    c.set(this.buf);
    c.set(bytes.subarray(0, c.length - this.buf.length), this.buf.length);
    const prev = this.buf.length;
    this.buf = c;
    // The blank line may straddle pushes: look again from up to 3 bytes back.
    for (let i = Math.max(0, this.scanned - 3); i < c.length; i++) {
      if (c[i] !== 10) continue;
      const end = i + 1;
      const blank = (i >= 1 && c[i - 1] === 10) || (i >= 3 && c[i - 1] === 13 && c[i - 2] === 10) ? end : -1;
      if (blank < 0) continue;
      if (end > MAX_HEAD_BYTES) break;
      const lines = latin1(c, 0, end).split(/\r?\n/);
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      const head = this.parse(lines);
      this.buf = new Uint8Array(0);
      if (typeof head === 'string') return { kind: 'error', message: head };
      return { kind: 'head', head, length: end - prev };
    }
    this.scanned = c.length;
    if (c.length > MAX_HEAD_BYTES) return { kind: 'error', message: `no end of the HTTP head within ${MAX_HEAD_BYTES} bytes` };
    return { kind: 'more' };
  }
}

function parseHeaders(lines: string[]): Array<[string, string]> | string {
  const out: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    out.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return out;
}

export function parseRequestHead(lines: string[]): HttpRequestHead | string {
  const m = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(lines[0] ?? '');
  if (!m) return `not an HTTP request line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`;
  const headers = parseHeaders(lines.slice(1));
  if (typeof headers === 'string') return headers;
  return { method: m[1], target: m[2], version: m[3], headers };
}

export function parseResponseHead(lines: string[]): HttpResponseHead | string {
  const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) return `not an HTTP status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`;
  const headers = parseHeaders(lines.slice(1));
  if (typeof headers === 'string') return headers;
  return { version: m[1], status: Number(m[2]), reason: m[3] ?? '', headers };
}
