import { createHash } from 'node:crypto';
import { interpretHeaders } from '../../../shared/stomp/escape.js';
import { maskHeaders, maskText } from '../../../shared/stomp/secrets.js';
import { storedHandshake } from '../../../shared/transport/handshake.js';
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
    session: c.sessionId, connection: c.id, client: c.client, broker: c.broker, transport: c.transport, version: c.version,
    opened: isoMicros(c.opened), closed: isoMicros(c.closed), closeReason: c.closeReason, frames: c.frames, heartbeats: c.heartbeats,
    bytes: c.bytes, issues: c.issues, handshake: storedHandshake(c.handshake),
  };
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
}

/**
 * One frame in the `frames --jsonl` shape. Header values are unescaped per the connection's negotiated
 * version (1.0 — no escaping — when none was negotiated); CONNECT and CONNECTED never are.
 */
export function frameJson(reader: StoreReader, f: StoredFrame & { issues: StoredIssue[] }, conn: ConnectionInfo | null, opts: FrameJsonOptions = {}) {
  const version = conn?.version ?? '1.0';
  const interpreted = interpretHeaders(f.command, f.rawHeaders, version).headers;
  const headers = opts.maskSecrets ? maskHeaders(interpreted) : interpreted;
  const body = reader.readBytes(f.connectionId, f.from, f.bodyOffset, f.bodyLength);
  const sha = f.bodySha256 ?? (body ? createHash('sha256').update(body).digest() : null);
  const out: Record<string, unknown> = {
    session: f.sessionId, connection: f.connectionId, seq: f.seq, from: f.from, time: isoMicros(f.time), command: f.command, headers,
    bodyLength: f.bodyLength, bodySha256: sha ? sha.toString('hex') : null, body: body ? textOf(body) : null,
    // Recordings made before issue messages stopped quoting credential lines may still quote one.
    issues: f.issues.map((i) => ({ code: i.code, severity: i.severity, message: opts.maskSecrets ? maskText(i.message) : i.message })),
  };
  if (opts.base64) out.bodyBase64 = body ? body.toString('base64') : null;
  // Only on frames StompScope injected into a live connection (edit and resend): absent means the peer sent it.
  if (f.injected) out.injected = true;
  return out;
}
