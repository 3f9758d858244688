// `ws://HOST:PORT/PATH` and `wss://…` as a proxy's upstream. The proxy forwards bytes unchanged, the client's
// HTTP upgrade included, so the URL only says where to connect (and whether with TLS); the path is the one the
// client must request, kept for messages and the session's meta.

export interface WebSocketUpstream {
  secure: boolean;
  host: string;
  port: number;
  /** Path and query, "/" when none was given. */
  path: string;
  /** The URL, normalised: ws://host:port/path. */
  url: string;
}

/** Is this text meant as a WebSocket URL (ws:// or wss://, any case)? */
export function isWebSocketUrl(text: string): boolean {
  return /^wss?:\/\//i.test(text.trim());
}

/** Parses a ws:// or wss:// URL; a string is the reason it is not a valid one. */
export function parseWebSocketUrl(text: string): WebSocketUpstream | string {
  const m = /^(wss?):\/\/(\[[^\]]+\]|[^/:?#\s]+)(?::(\d*))?([/?][^\s#]*)?$/i.exec(text.trim());
  if (!m) return `expected ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH, got ${JSON.stringify(text)}`;
  const secure = m[1].toLowerCase() === 'wss';
  const bracketed = m[2].startsWith('[');
  const host = bracketed ? m[2].slice(1, -1) : m[2];
  const port = m[3] ? Number(m[3]) : secure ? 443 : 80;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${m[3]} is out of range in ${JSON.stringify(text)}`;
  const path = !m[4] ? '/' : m[4].startsWith('?') ? '/' + m[4] : m[4];
  const hostText = bracketed ? `[${host}]` : host;
  return { secure, host, port, path, url: `${secure ? 'wss' : 'ws'}://${hostText}:${port}${path}` };
}
