// SockJS framing over a WebSocket (the SockJS protocol, "Framing" and "WebSocket" sections of
// sockjs-protocol 0.3.3): each WebSocket message from the server is one SockJS frame, `o` (open), `h`
// (heartbeat), `a["msg",...]` (messages, a JSON array of strings), `m"msg"` (one message, old servers) or
// `c[code,"reason"]` (close); the client sends a JSON array of strings, or one JSON string. STOMP travels
// inside the message strings. Pure functions over whole messages.

export type SockJsFrame =
  | { kind: 'open' }
  | { kind: 'heartbeat' }
  | { kind: 'messages'; messages: string[] }
  | { kind: 'close'; code: number | null; reason: string }
  | { kind: 'error'; message: string };

function strings(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}

function json(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const preview = (s: string) => JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);

/** One server-to-client SockJS frame (the text of one WebSocket message). */
export function parseServerFrame(text: string): SockJsFrame {
  const t = text[0];
  if (text === 'o') return { kind: 'open' };
  if (text === 'h') return { kind: 'heartbeat' };
  if (t === 'a' || t === 'm') {
    const j = json(text.slice(1));
    const v = j.ok ? j.value : undefined;
    const msgs = t === 'm' ? (typeof v === 'string' ? [v] : null) : Array.isArray(v) ? strings(v) : null;
    if (msgs) return { kind: 'messages', messages: msgs };
    return { kind: 'error', message: `SockJS "${t}" frame whose content is not ${t === 'a' ? 'a JSON array of strings' : 'a JSON string'}: ${preview(text)}` };
  }
  if (t === 'c') {
    const j = json(text.slice(1));
    if (j.ok && Array.isArray(j.value)) {
      const [code, reason] = j.value as unknown[];
      return { kind: 'close', code: typeof code === 'number' ? code : null, reason: typeof reason === 'string' ? reason : '' };
    }
    return { kind: 'error', message: `SockJS close frame that is not c[code,"reason"]: ${preview(text)}` };
  }
  return { kind: 'error', message: `not a SockJS frame (o, h, a[…], m"…", c[…]): ${preview(text)}` };
}

/** One client-to-server SockJS message: a JSON array of strings (or one string). */
export function parseClientFrame(text: string): SockJsFrame {
  // An empty message is allowed and carries nothing (sockjs-node ignores it).
  if (text === '') return { kind: 'messages', messages: [] };
  const j = json(text);
  const msgs = j.ok ? strings(j.value) : null;
  if (msgs) return { kind: 'messages', messages: msgs };
  return { kind: 'error', message: `SockJS client message that is not a JSON array of strings: ${preview(text)}` };
}

/** Does the first byte of the first data message say SockJS framing (not STOMP straight over WebSocket)? */
export function looksLikeSockJs(firstByte: number, fromServer: boolean): boolean {
  // STOMP frames start with an upper-case command or a heart-beat EOL; SockJS frames with o h a m c from the
  // server and [ or " from the client.
  if (fromServer) return firstByte === 0x6f || firstByte === 0x68 || firstByte === 0x61 || firstByte === 0x6d || firstByte === 0x63;
  return firstByte === 0x5b || firstByte === 0x22;
}

/** The SockJS session transports that are not a WebSocket (XHR streaming and polling, EventSource, …). */
const OTHER_TRANSPORTS = /\/[^/]+\/[^/]+\/(xhr|xhr_send|xhr_streaming|eventsource|htmlfile|jsonp|jsonp_send)(\?|$)/;

/** The SockJS transport name in a request target, when it is one of the non-WebSocket ones. */
export function sockJsHttpTransport(target: string): string | null {
  const m = OTHER_TRANSPORTS.exec(target);
  if (m) return m[1];
  if (/\/info(\?|$)/.test(target)) return 'info';
  return null;
}
