import { createHash } from 'node:crypto';
import { interpretHeaders } from '../../../shared/stomp/escape.js';
import { maskHeaders, maskRawFrame, maskText } from '../../../shared/stomp/secrets.js';
import { storedHandshake } from '../../../shared/websocket/handshake.js';
import type { ConnectionInfo, SessionInfo, StoreReader, StoredFrame, StoredIssue } from '../store/reader.js';

// The JSON shapes of the CLI contract (`sessions|connections|frames --jsonl`). Scripts depend on these
// exactly: add fields, never rename or remove them.

/** ISO 8601 UTC with microseconds, from microseconds since the epoch. */
export function isoMicros(us: number | null): string | null {
  if (us === null || us === undefined) return null;
  const ms = Math.floor(us / 1000);
  const micros = String(Math.floor(us) % 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace(/Z$/, `${micros}Z`);
}

export function sessionJson(s: SessionInfo) {
  return {
    session: s.id, kind: s.kind, name: s.name, started: isoMicros(s.started), ended: isoMicros(s.ended), state: s.state,
    connections: s.connections, frames: s.frames,
  };
}

export function connectionJson(c: ConnectionInfo) {
  return {
    // `number`: 1..k within the session (what people read, `#k`); `connection` stays the id other commands take.
    session: c.sessionId, connection: c.id, number: c.number, client: c.client, broker: c.broker, transport: c.transport, version: c.version,
    opened: isoMicros(c.opened), closed: isoMicros(c.closed), closeReason: c.closeReason, frames: c.frames, heartbeats: c.heartbeats,
    bytes: c.bytes, issues: c.issues, handshake: storedHandshake(c.handshake), tls: storedTls(c.tls),
  };
}

/** A captured TLS connection's version, cipher suite and decryption, or null (plain, or not from a capture). */
export function storedTls(json: string | null): { version: string; cipherSuite: string; decrypted: boolean; missing?: string } | null {
  if (!json) return null;
  try {
    const t = JSON.parse(json) as { version?: unknown; cipherSuite?: unknown; decrypted?: unknown; missing?: unknown };
    return {
      version: String(t.version ?? 'unknown'), cipherSuite: String(t.cipherSuite ?? 'unknown'), decrypted: t.decrypted === true,
      ...(typeof t.missing === 'string' ? { missing: t.missing } : {}),
    };
  } catch {
    return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textOf(body: Buffer): string | null {
  try {
    return utf8.decode(body);
  } catch {
    return null;
  }
}

export interface FrameJsonOptions {
  base64?: boolean;
  /** Replace credential header values (login, passcode, tokens) with a mask, as exports do by default. */
  maskSecrets?: boolean;
  /** Most body bytes put in the row (default DEFAULT_MAX_BODY, at most MAX_MAX_BODY). */
  maxBody?: number;
}

/**
 * A row holds the body twice (text, and base64 on request), JSON-escaped: one line for a body of hundreds of MiB
 * is past the longest string JavaScript holds (2^29 characters) and past what line tools handle. Bodies longer
 * than this are cut to it, and the row says so (`bodyTruncated`); bodyLength and bodySha256 stay the whole
 * body's.
 */
export const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
/** The largest cap: 64 MiB escaped at worst six characters a byte, plus its base64, still fits in one string. */
export const MAX_MAX_BODY = 64 * 1024 * 1024;

/** Bytes read at a time when hashing a body too long to print whole. */
const HASH_PIECE = 4 * 1024 * 1024;

/** `b` without a UTF-8 sequence cut short at its end (a body cut at a byte count may end inside a character). */
function wholeChars(b: Buffer): Buffer {
  for (let i = b.length - 1, k = 1; i >= 0 && k <= 4; i--, k++) {
    const c = b[i];
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return k < len ? b.subarray(0, i) : b;
  }
  return b;
}

/** SHA-256 of a stored body, read a piece at a time; null when bytes of it were not recorded. */
function hashStored(reader: StoreReader, f: StoredFrame): Buffer | null {
  const h = createHash('sha256');
  for (let done = 0; done < f.bodyLength; done += HASH_PIECE) {
    const piece = reader.readBytes(f.connectionId, f.from, f.bodyOffset + done, Math.min(HASH_PIECE, f.bodyLength - done));
    if (!piece) return null;
    h.update(piece);
  }
  return h.digest();
}

/**
 * One frame in the `frames --jsonl` shape. Header values are unescaped per the connection's negotiated
 * version (1.0 — no escaping — when none was negotiated); CONNECT and CONNECTED never are.
 */
export function frameJson(reader: StoreReader, f: StoredFrame & { issues: StoredIssue[] }, conn: ConnectionInfo | null, opts: FrameJsonOptions = {}) {
  const version = conn?.version ?? '1.0';
  const interpreted = interpretHeaders(f.command, f.rawHeaders, version).headers;
  const headers = opts.maskSecrets ? maskHeaders(interpreted) : interpreted;
  const max = Math.min(opts.maxBody ?? DEFAULT_MAX_BODY, MAX_MAX_BODY);
  const truncated = f.bodyLength > max;
  const read = reader.readBytes(f.connectionId, f.from, f.bodyOffset, truncated ? max : f.bodyLength);
  const body = read && truncated ? wholeChars(read) : read;
  const sha = f.bodySha256 ?? (truncated ? hashStored(reader, f) : body ? createHash('sha256').update(body).digest() : null);
  const out: Record<string, unknown> = {
    // `number`: 1..N within the session, in capture order (the UI's No.); `connectionNumber`: the connection's `#k`.
    session: f.sessionId, number: f.number, connection: f.connectionId, connectionNumber: conn?.number ?? null, seq: f.seq, from: f.from, time: isoMicros(f.time), command: f.command, headers,
    bodyLength: f.bodyLength, bodySha256: sha ? sha.toString('hex') : null, body: body ? textOf(body) : null,
    // Recordings made before issue messages stopped quoting credential lines may still quote one.
    issues: f.issues.map((i) => ({ code: i.code, severity: i.severity, message: opts.maskSecrets ? maskText(i.message) : i.message })),
  };
  // Only on rows whose body was cut to maxBody: body and bodyBase64 hold its first bytes.
  if (truncated) out.bodyTruncated = true;
  if (opts.base64) out.bodyBase64 = read ? read.toString('base64') : null;
  // Only on frames StompScope injected into a live connection (edit and resend): absent means the peer sent it.
  if (f.injected) out.injected = true;
  // Only on frames a proxy rule acted on or made up: absent means forwarded as the peer sent it.
  if (f.rule) {
    out.rule = { name: f.rule.name, action: f.rule.action };
    if (!f.rule.forwarded) out.forwarded = false;
    if (f.rule.synthesized) out.synthesized = true;
    if (f.rule.original) out.originalBase64 = (opts.maskSecrets ? Buffer.from(maskRawFrame(f.rule.original)) : f.rule.original).toString('base64');
  }
  return out;
}
