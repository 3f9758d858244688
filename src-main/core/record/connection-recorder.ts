import { StompDecoder } from '../../../shared/stomp/decoder.js';
import { interpretHeaders, headerValue } from '../../../shared/stomp/escape.js';
import { VersionTracker } from '../../../shared/stomp/version.js';
import type { DecodeEvent, DecoderLimits, Direction, RawHeader, Severity, StompVersion } from '../../../shared/stomp/types.js';
import type { ConnectionCounters, StoreWriter } from '../store/writer.js';

/** What a feeder says happened to a connection besides bytes (resets, unreachable upstream, …). */
export interface ConnectionEvent {
  code: string;
  severity: Severity;
  message: string;
  dir?: Direction | null;
}

/** One line of live output per frame or issue, for the tshark-like console. */
export interface LiveLine {
  time: number;
  connectionId: number;
  dir: Direction | null;
  command: string;
  /** Destination, receipt or receipt-id, subscription, message: whatever identifies the frame best. */
  info: string;
  size: number;
}

export interface RecorderOptions {
  limits?: Partial<DecoderLimits>;
  /** Raw bytes are kept in chunks of about this size (default 256 KiB). */
  chunkBytes?: number;
  onLine?: (line: LiveLine) => void;
}

const CHUNK_BYTES = 256 * 1024;

function hasBackslash(headers: readonly RawHeader[]): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i][0].includes('\\') || headers[i][1].includes('\\')) return true;
  return false;
}

class DirectionState {
  readonly decoder: StompDecoder;
  /** Stream offset of the first byte not yet written as a chunk. */
  chunkStart = 0;
  pending: Uint8Array[] = [];
  pendingBytes = 0;
  frames = 0;
  heartbeats = 0;
  bytes = 0;
  constructor(limits?: Partial<DecoderLimits>) {
    this.decoder = new StompDecoder(limits);
  }
}

/**
 * Decodes and records one connection: both directions' bytes in, frames, heart-beats, issues and raw chunks
 * out to the store. Used the same way by every feeder (proxy, capture import, replay). Runs wherever the
 * writer runs, never on a forwarding path.
 */
export class ConnectionRecorder {
  private readonly dirs: Record<Direction, DirectionState>;
  private readonly version = new VersionTracker();
  private seq = 0;
  private issues = 0;
  private readonly chunkBytes: number;
  private readonly sinks: Record<Direction, (e: DecodeEvent) => void>;

  constructor(
    private readonly writer: StoreWriter,
    readonly sessionId: number,
    readonly connectionId: number,
    private readonly opts: RecorderOptions = {},
  ) {
    this.dirs = { client: new DirectionState(opts.limits), broker: new DirectionState(opts.limits) };
    this.chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    this.sinks = { client: (e) => this.onEvent('client', e), broker: (e) => this.onEvent('broker', e) };
  }

  get negotiatedVersion(): StompVersion | null {
    return this.version.version;
  }

  /**
   * Bytes seen in one direction, at `time` (µs since the epoch). The recorder keeps a reference to `bytes`
   * until the next `flush()`: the caller must not reuse that memory before then.
   */
  push(dir: Direction, bytes: Uint8Array, time: number): void {
    const d = this.dirs[dir];
    d.bytes += bytes.length;
    // Keep the wire truth first: the raw bytes go to the chunk store whatever the decoder makes of them.
    d.pending.push(bytes);
    d.pendingBytes += bytes.length;
    if (d.pendingBytes >= this.chunkBytes) this.flushChunk(dir);
    d.decoder.push(bytes, time, this.sinks[dir]);
  }

  /** Bytes that were lost in one direction (a TCP gap in a capture, or recording shed under overload). */
  gap(dir: Direction, bytes: number, time: number, reason: ConnectionEvent): void {
    const d = this.dirs[dir];
    this.flushChunk(dir);
    d.chunkStart += bytes;
    d.bytes += bytes;
    this.event(time, { ...reason, dir });
    d.decoder.gap(bytes, time, this.sinks[dir]);
  }

  event(time: number, e: ConnectionEvent): void {
    this.issues++;
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: this.connectionId, frameId: null, dir: e.dir ?? null, offset: null, time,
      code: e.code, severity: e.severity, message: e.message,
    });
    this.opts.onLine?.({ time, connectionId: this.connectionId, dir: e.dir ?? null, command: `! ${e.code}`, info: e.message, size: 0 });
  }

  /** Writes buffered raw bytes and counters; call at the end of each transaction. */
  flush(): void {
    this.flushChunk('client');
    this.flushChunk('broker');
    this.writer.updateCounters(this.connectionId, this.counters());
  }

  /** End of both streams: reports incomplete frames, then flushes. */
  close(time: number, reason: string | null): void {
    this.dirs.client.decoder.end(time, this.sinks.client);
    this.dirs.broker.decoder.end(time, this.sinks.broker);
    this.flush();
    this.writer.closeConnection(this.connectionId, time, reason);
  }

  counters(): ConnectionCounters {
    const c = this.dirs.client;
    const b = this.dirs.broker;
    return {
      version: this.version.version, framesClient: c.frames, framesBroker: b.frames, heartbeatsClient: c.heartbeats,
      heartbeatsBroker: b.heartbeats, bytesClient: c.bytes, bytesBroker: b.bytes, issues: this.issues,
    };
  }

  private flushChunk(dir: Direction): void {
    const d = this.dirs[dir];
    if (d.pendingBytes === 0) return;
    const one = d.pending[0];
    const data = d.pending.length === 1 ? Buffer.from(one.buffer, one.byteOffset, one.byteLength) : Buffer.concat(d.pending, d.pendingBytes);
    this.writer.appendChunk(this.connectionId, dir, d.chunkStart, data);
    d.chunkStart += d.pendingBytes;
    d.pending = [];
    d.pendingBytes = 0;
  }

  private onEvent(dir: Direction, e: DecodeEvent): void {
    const d = this.dirs[dir];
    if (e.kind === 'heartbeat') {
      d.heartbeats++;
      this.writer.insertHeartbeat(this.connectionId, dir, e.time, e.offset);
      return;
    }
    if (e.kind === 'issue') {
      this.issues++;
      this.writer.insertIssue({
        sessionId: this.sessionId, connectionId: this.connectionId, frameId: null, dir, offset: e.offset, time: e.time,
        code: e.code, severity: e.severity, message: e.message,
      });
      this.opts.onLine?.({ time: e.time, connectionId: this.connectionId, dir, command: `! ${e.code}`, info: e.message, size: 0 });
      return;
    }
    d.frames++;
    const negotiation = this.version.observe(dir, e);
    // The stored headers stay raw; the destination column is the interpreted (unescaped, first-wins) value so
    // that the UI can filter and index on it. Without a CONNECTED (capture picked up mid-stream) nothing is
    // unescaped, as the frames view does.
    // Most frames have no backslash in any header: nothing to unescape, no escape to check.
    const view = hasBackslash(e.headers) ? interpretHeaders(e.command, e.headers, this.version.version, e.offset) : null;
    const headers = view ? view.headers : e.headers;
    const destination = headerValue(headers, 'destination') ?? null;
    const issues = e.issues.length || view?.issues.length || negotiation.length ? [...e.issues, ...negotiation, ...(view?.issues ?? [])] : e.issues;
    const frameId = this.writer.insertFrame({
      sessionId: this.sessionId, connectionId: this.connectionId, seq: this.seq++, dir, time: e.time, offset: e.offset,
      length: e.length, command: e.command, destination, headersJson: JSON.stringify(e.headers), crlf: e.crlf,
      bodyOffset: e.bodyOffset, bodyLength: e.bodyLength,
      // Bodies kept whole in the chunks are hashed when read; only a body that is not kept needs its hash now.
      bodySha256: null, issues: issues.length,
    });
    for (const i of issues) {
      this.issues++;
      this.writer.insertIssue({
        sessionId: this.sessionId, connectionId: this.connectionId, frameId, dir, offset: i.offset, time: e.time, code: i.code,
        severity: i.severity, message: i.message,
      });
    }
    if (this.opts.onLine) {
      const info = destination ?? headerValue(headers, 'receipt-id') ?? headerValue(headers, 'receipt') ?? headerValue(headers, 'message') ?? '';
      this.opts.onLine({ time: e.time, connectionId: this.connectionId, dir, command: e.command, info, size: e.length });
    }
  }
}
