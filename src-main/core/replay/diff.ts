// The replay diff's store side: a connection's broker frames as shared/correlate's DiffFrames, then the pure
// comparison. Header values are compared unescaped, each connection read with its own negotiated version
// (the two may have negotiated different ones).
import { createHash } from 'node:crypto';
import { diffBrokerFrames, maskDiff, type BrokerDiff, type DiffFrame, type DiffOptions } from '../../../shared/correlate/broker-diff.js';
import { interpretHeaders } from '../../../shared/stomp/escape.js';
import type { ConnectionInfo, StoreReader } from '../store/reader.js';
import { ApiError, type ReplayDiffDto } from '../../../shared/api/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function brokerFrames(reader: StoreReader, conn: ConnectionInfo): DiffFrame[] {
  const out: DiffFrame[] = [];
  for (const f of reader.frames({ connection: conn.id })) {
    if (f.from !== 'broker') continue;
    const body = f.bodyLength <= 64 * 1024 || !f.bodySha256 ? reader.readBytes(conn.id, 'broker', f.bodyOffset, f.bodyLength) : null;
    const digest = f.bodySha256 ? f.bodySha256.toString('hex') : body ? createHash('sha256').update(body).digest('hex') : null;
    let text: string | null = null;
    if (body) {
      try {
        text = utf8.decode(body);
      } catch {
        text = null;
      }
    }
    out.push({
      seq: f.seq, number: f.number, command: f.command, headers: interpretHeaders(f.command, f.rawHeaders, conn.version).headers,
      bodyLength: f.bodyLength, bodyDigest: digest, bodyText: text,
    });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Credential values come masked, as in `frames --jsonl` and the frame detail, unless `revealSecrets`. */
export function diffConnections(reader: StoreReader, a: ConnectionInfo, b: ConnectionInfo, opts: DiffOptions & { revealSecrets?: boolean } = {}): BrokerDiff {
  const d = diffBrokerFrames(brokerFrames(reader, a), brokerFrames(reader, b), opts);
  return opts.revealSecrets ? d : maskDiff(d);
}

/**
 * The diff of two recorded connections by id, as `replay.diff` answers it and `stompscope diff --json` prints it:
 * one function, so the UI and the command line compare the same way. An unknown id is ApiError('not-found').
 */
export function diffRecordedConnections(reader: StoreReader, a: number, b: number, opts: DiffOptions & { revealSecrets?: boolean } = {}): ReplayDiffDto {
  const ca = reader.connection(a);
  const cb = reader.connection(b);
  if (!ca) throw new ApiError('not-found', `no connection ${a}`);
  if (!cb) throw new ApiError('not-found', `no connection ${b}`);
  const d = diffConnections(reader, ca, cb, opts);
  return {
    a: { session: ca.sessionId, connection: ca.id, number: ca.number, version: ca.version },
    b: { session: cb.sessionId, connection: cb.id, number: cb.number, version: cb.version },
    same: d.differences.length === 0, ...d,
  };
}
