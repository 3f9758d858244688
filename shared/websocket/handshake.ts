// The handshake of a WebSocket / SockJS connection (as upgrade.ts learns it, and as stored in
// connections.handshake), and how the CLI and the UI show it: credentials in its headers masked, as frames' are
// by default.
import { isSecretHeader, MASK, mayHoldSecret } from '../stomp/secrets.js';
import type { HttpRequestHead, HttpResponseHead } from './http.js';

export interface Handshake {
  /** 'websocket' (STOMP straight in the messages) or 'sockjs' (SockJS framing inside the messages). */
  transport: 'websocket' | 'sockjs';
  request: HttpRequestHead | null;
  response: HttpResponseHead | null;
  /** The subprotocol the server chose (Sec-WebSocket-Protocol), e.g. "v12.stomp". */
  subprotocol: string | null;
  /** What the client offered (Sec-WebSocket-Protocol of the request). */
  offeredSubprotocols: string[];
  /** The extensions the server accepted (Sec-WebSocket-Extensions), verbatim. */
  extensions: string | null;
  deflate: boolean;
}


/**
 * A Sec-WebSocket-Protocol entry kept as it is: STOMP's registered names (v10.stomp, v11.stomp, v12.stomp) and
 * other plain names made of words (mqtt, graphql-transport-ws, wamp.2.json). Anything else may be a credential:
 * clients that cannot set headers on a browser WebSocket pass tokens as "subprotocols" (RFC 6455 §4.1 lets the
 * client offer any token), e.g. `base64url.bearer.authorization.k8s.io.<token>` or a bare JWT.
 */
function plainSubprotocol(p: string): boolean {
  return /^v1[0-2]\.stomp$/i.test(p) || (p.length <= 32 && /^[a-z]+(?:[.-][a-z0-9]+)*$/i.test(p) && !mayHoldSecret(p));
}

/** A subprotocol with everything but a plain name masked. */
export function maskSubprotocol(p: string): string {
  return plainSubprotocol(p.trim()) ? p : MASK;
}

/** A Sec-WebSocket-Protocol value (a comma-separated list, RFC 6455 §11.3.4) masked entry by entry. */
export function maskSubprotocolList(value: string): string {
  return value.split(',').map((p) => (plainSubprotocol(p.trim()) ? p : (p.startsWith(' ') ? ' ' : '') + MASK)).join(',');
}

function maskPairs(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.map(([k, v]) => {
    if (isSecretHeader(k)) return [k, MASK];
    if (k.toLowerCase() === 'sec-websocket-protocol') return [k, maskSubprotocolList(v)];
    return [k, v];
  });
}

/** A request target with the values of credential-like query parameters (access_token=…, x-api-key=…) masked. */
export function maskTarget(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = target.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    if (eq < 0) return p;
    let name = p.slice(0, eq).replace(/\+/g, ' ');
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
    subprotocol: h.subprotocol === null || h.subprotocol === undefined ? h.subprotocol : maskSubprotocol(h.subprotocol),
    offeredSubprotocols: (h.offeredSubprotocols ?? []).map(maskSubprotocol),
  };
}
