// The stored handshake of a WebSocket / SockJS connection (connections.handshake, JSON of upgrade.ts's
// Handshake) as the CLI and the UI show it: credentials in its headers masked, as frames' are by default.
import { isSecretHeader, MASK } from '../stomp/secrets.js';
import type { Handshake } from './upgrade.js';

export type { Handshake } from './upgrade.js';

/** Cookies carry sessions as surely as Authorization does. */
const SECRET_HTTP = /^(cookie|set-cookie)$/i;

function maskPairs(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.map(([k, v]) => (isSecretHeader(k) || SECRET_HTTP.test(k) ? [k, MASK] : [k, v]));
}

/** A request target with the values of credential-like query parameters (access_token=…, password=…) masked. */
export function maskTarget(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = target.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    if (eq < 0) return p;
    let name = p.slice(0, eq);
    try {
      name = decodeURIComponent(name);
    } catch { /* keep it as sent */ }
    return isSecretHeader(name) ? `${p.slice(0, eq)}=${MASK}` : p;
  });
  return `${target.slice(0, q)}?${query.join('&')}`;
}

/** The handshake from its stored JSON (null for TCP and TLS connections, or unreadable JSON), masked unless `reveal`. */
export function storedHandshake(json: string | null | undefined, reveal = false): Handshake | null {
  if (!json) return null;
  let h: Handshake;
  try {
    h = JSON.parse(json) as Handshake;
  } catch {
    return null;
  }
  if (reveal) return h;
  return {
    ...h,
    request: h.request ? { ...h.request, target: maskTarget(h.request.target), headers: maskPairs(h.request.headers) } : null,
    response: h.response ? { ...h.response, headers: maskPairs(h.response.headers) } : null,
  };
}
