// The recorder of one connection: a thin adapter between a feeder (proxy worker, capture import, replay) and the
// store. It owns the I/O side only: the raw bytes of each direction's STOMP stream, kept in chunks; the store
// writes (frames, heart-beats, issues, links, findings, the negotiated state, counters); the live console lines.
// Everything that interprets the bytes is the conversation stage's (shared/conversation), which this recorder
// feeds and whose events it writes.

import { Conversation } from '../../../shared/conversation/conversation.js';
import type { ConnectionEvent, ConversationFrame, ConversationIssue, ConversationSink, FrameMark, Negotiated } from '../../../shared/conversation/types.js';
import type { DeliveryCorrelator } from '../../../shared/analysis/delivery.js';
import type { ProfileName } from '../../../shared/analysis/profiles.js';
import type { Finding, Link } from '../../../shared/analysis/types.js';
import { headerValue } from '../../../shared/stomp/escape.js';
import { maskText } from '../../../shared/stomp/secrets.js';
import type { DecoderLimits, Direction, StompVersion } from '../../../shared/stomp/types.js';
import type { ConnectionCounters, StoreWriter } from '../store/writer.js';
import { nodeInflater } from './transport-tap.js';

export type { ConnectionEvent } from '../../../shared/conversation/types.js';

/** One line of live output per frame or issue, for the tshark-like console. */
export interface LiveLine {
  time: number;
  /** The connection's number within its session (1..k), as the UI and the CLI show it. */
  connection: number;
  dir: Direction | null;
  command: string;
  /** Destination, receipt or receipt-id, subscription, message: whatever identifies the frame best. */
  info: string;
  size: number;
}

/** Correlation and expert info of a recording. */
export interface AnalysisOptions {
  /** The broker profile the user chose (validated by the caller); null: detect it from CONNECTED. */
  profile?: ProfileName | null;
  /** The session's SEND -> MESSAGE matcher, shared by all its connections. */
  delivery?: DeliveryCorrelator | null;
  /** The proxy's live console: errors and warnings found are printed like wire issues (notes are not). */
  onLine?: (line: LiveLine) => void;
}

export interface RecorderOptions {
  limits?: Partial<DecoderLimits>;
  /** Raw bytes are kept in chunks of about this size (default 256 KiB). */
  chunkBytes?: number;
  onLine?: (line: LiveLine) => void;
  /** Correlation and expert info: the chosen broker profile, the session's SEND -> MESSAGE matcher. */
  analysis?: AnalysisOptions;
}

const CHUNK_BYTES = 256 * 1024;

/** The raw bytes of one direction's STOMP stream not yet written as a chunk. */
class RawChunks {
  /** Stream offset of the first byte not yet written as a chunk. */
  start = 0;
  pending: Uint8Array[] = [];
  pendingBytes = 0;
}

/**
 * Records one connection: both directions' bytes in, through the conversation stage, frames, heart-beats, issues,
 * links, findings and raw chunks out to the store. Used the same way by every feeder (proxy, capture import,
 * replay). Runs wherever the writer runs, never on a forwarding path.
 */
export class ConnectionRecorder implements ConversationSink {
  private readonly raw: Record<Direction, RawChunks> = { client: new RawChunks(), broker: new RawChunks() };
  private readonly conversation: Conversation;
  /** Issues written (the stage's and the findings): the connection's issue count. */
  private issues = 0;
  private findings = 0;
  private readonly chunkBytes: number;

  constructor(
    private readonly writer: StoreWriter,
    readonly sessionId: number,
    readonly connectionId: number,
    private readonly opts: RecorderOptions = {},
  ) {
    this.chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    const a = opts.analysis ?? {};
    this.conversation = new Conversation(this, {
      limits: opts.limits, profile: a.profile ?? null, delivery: a.delivery ?? null, connectionKey: connectionId, inflate: nodeInflater,
    });
  }

  /** The connection's number within its session (the id when the writer did not create it). */
  private get number(): number {
    return this.writer.connectionNumber(this.connectionId) ?? this.connectionId;
  }

  get negotiatedVersion(): StompVersion | null {
    return this.conversation.negotiatedVersion;
  }

  /**
   * Bytes seen in one direction, at `time` (µs since the epoch). The recorder keeps a reference to `bytes`
   * until the next `flush()`: the caller must not reuse that memory before then.
   */
  push(dir: Direction, bytes: Uint8Array, time: number, mark: FrameMark | boolean | null = null): void {
    this.conversation.push(dir, bytes, time, mark);
  }

  /** Bytes forwarded but not recorded (the proxy's recorder was over its memory budget): Conversation.shed. */
  shed(dir: Direction, bytes: number, nulAt: number, time: number): void {
    this.conversation.shed(dir, bytes, nulAt, time);
  }

  /** Bytes of memory held for frames in progress (bodies being collected), for the recorder's memory budget. */
  get heldBytes(): number {
    return this.conversation.heldBytes;
  }

  /** Bytes that were lost in one direction (a TCP gap in a capture). */
  gap(dir: Direction, bytes: number, time: number, reason: ConnectionEvent): void {
    this.conversation.gap(dir, bytes, time, reason);
  }

  event(time: number, e: ConnectionEvent): void {
    this.conversation.event(time, e);
  }

  /** Writes buffered raw bytes and counters; call at the end of each transaction. */
  flush(): void {
    this.flushChunk('client');
    this.flushChunk('broker');
    this.writer.updateCounters(this.connectionId, this.counters());
  }

  /** Findings due by the clock alone (Conversation.tick) are written now. */
  tick(now: number): void {
    const before = this.findings;
    this.conversation.tick(now);
    if (this.findings !== before) this.flush(); // the connection's issue count
  }

  /** Whether tick(now) has something to write (the recording worker skips a transaction otherwise). */
  tickDue(now: number): boolean {
    return this.conversation.tickDue(now);
  }

  /** End of both streams: reports incomplete frames, then flushes. */
  close(time: number, reason: string | null): void {
    const shown = this.conversation.close(time, reason);
    this.flush();
    this.writer.closeConnection(this.connectionId, time, shown);
  }

  counters(): ConnectionCounters {
    const c = this.conversation.count('client');
    const b = this.conversation.count('broker');
    return {
      version: this.conversation.negotiatedVersion, framesClient: c.frames, framesBroker: b.frames, heartbeatsClient: c.heartbeats,
      heartbeatsBroker: b.heartbeats, bytesClient: c.bytes, bytesBroker: b.bytes, issues: this.issues + this.findings,
    };
  }

  // --- ConversationSink: the stage's events, written to the store ---------------------------------------------

  stream(dir: Direction, bytes: Uint8Array): void {
    const d = this.raw[dir];
    // Keep the wire truth first: the raw bytes go to the chunk store whatever the decoder makes of them. Reads that
    // follow each other in one batch buffer are one piece (a view over both).
    const last = d.pending.length ? d.pending[d.pending.length - 1] : null;
    if (last && last.buffer === bytes.buffer && last.byteOffset + last.byteLength === bytes.byteOffset) {
      d.pending[d.pending.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + bytes.byteLength);
    } else {
      d.pending.push(bytes);
    }
    d.pendingBytes += bytes.length;
    if (d.pendingBytes >= this.chunkBytes) this.flushChunk(dir);
  }

  streamGap(dir: Direction, n: number): void {
    this.flushChunk(dir);
    this.raw[dir].start += n;
  }

  frame(f: ConversationFrame): number {
    const e = f.frame;
    const dir = f.dir;
    const frameId = this.writer.insertFrame({
      sessionId: this.sessionId, connectionId: this.connectionId, seq: f.seq, dir, time: e.time, offset: e.offset,
      length: e.length, command: e.command, destination: f.destination, headersJson: JSON.stringify(e.headers), crlf: e.crlf,
      bodyOffset: e.bodyOffset, bodyLength: e.bodyLength, injected: f.injected,
      // Bodies kept whole in the chunks are hashed when read; only a body that is not kept needs its hash now.
      bodySha256: e.body === null && e.bodyLength > 0 ? this.hashUnkeptBody(dir, e.bodyOffset, e.bodyLength) : null, issues: f.issues.length,
    });
    const m = f.mark;
    if (m && (m.rule !== undefined || m.forwarded === false || m.synthesized)) {
      this.writer.insertFrameRule(frameId, this.sessionId, { rule: m.rule ?? null, action: m.action ?? null, forwarded: m.forwarded !== false, synthesized: !!m.synthesized, original: m.original ?? null });
    }
    for (const i of f.issues) {
      this.issues++;
      this.writer.insertIssue({
        sessionId: this.sessionId, connectionId: this.connectionId, frameId, dir, offset: i.offset, time: e.time, code: i.code,
        severity: i.severity, message: i.message,
      });
    }
    return frameId;
  }

  framed(f: ConversationFrame): void {
    if (!this.opts.onLine) return;
    const h = f.headers;
    // An ERROR's message may quote the line the broker refused, a credential included: masked (maskText).
    let info = f.destination ?? headerValue(h, 'receipt-id') ?? headerValue(h, 'receipt') ?? maskText(headerValue(h, 'message') ?? '');
    const m = f.mark;
    // What a proxy rule did, on the console line too.
    if (m?.rule !== undefined) info += ` [rule ${JSON.stringify(m.rule)}: ${m.action}${m.forwarded === false ? ', not forwarded' : ''}${m.synthesized ? ', made up' : ''}]`;
    this.opts.onLine({ time: f.frame.time, connection: this.number, dir: f.dir, command: f.frame.command, info, size: f.frame.length });
  }

  heartbeat(dir: Direction, time: number, offset: number): void {
    this.writer.insertHeartbeat(this.connectionId, dir, time, offset);
  }

  issue(i: ConversationIssue): void {
    this.issues++;
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: this.connectionId, frameId: i.frameId, dir: i.dir, offset: i.offset, time: i.time,
      code: i.code, severity: i.severity, message: i.message,
    });
    if (i.frameId !== null) this.writer.countFrameIssue(i.frameId);
    this.opts.onLine?.({ time: i.time, connection: this.number, dir: i.dir, command: `! ${i.code}`, info: i.message, size: 0 });
  }

  link(l: Link): void {
    this.writer.insertLink(this.sessionId, l.kind, l.fromFrameId, l.toFrameId, l.latencyUs);
  }

  finding(f: Finding): void {
    this.findings++;
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: this.connectionId, frameId: f.frameId, dir: f.dir, offset: null, time: f.time,
      code: f.code, severity: f.severity, message: f.message,
    });
    if (f.frameId !== null) this.writer.countFrameIssue(f.frameId);
    if (f.severity !== 'note') {
      this.opts.analysis?.onLine?.({ time: f.time, connection: this.number, dir: f.dir, command: `! ${f.code}`, info: f.message, size: 0 });
    }
  }

  profile(name: string): void {
    this.writer.setConnectionProfile(this.connectionId, name);
  }

  transport(kind: string, handshakeJson: string): void {
    this.writer.setConnectionTransport(this.connectionId, kind, handshakeJson);
  }

  negotiated(n: Negotiated): void {
    // Stored once with the connection, so that readers (the report) do not derive it again from the frames.
    this.writer.setConnectionNegotiation(this.connectionId, { version: n.version, heartBeats: n.heartBeats });
  }

  /**
   * The SHA-256 of a body the decoder did not keep (over maxBodyBytes): its bytes are all in the raw chunks, so
   * they are written out and hashed from there in pieces, never held whole. Null if some were shed.
   */
  private hashUnkeptBody(dir: Direction, offset: number, length: number): Buffer | null {
    this.flushChunk(dir);
    return this.writer.hashStream(this.connectionId, dir, offset, length);
  }

  private flushChunk(dir: Direction): void {
    const d = this.raw[dir];
    if (d.pendingBytes === 0) return;
    // The pieces are written as they are: joining them first would make a copy of every byte recorded (garbage
    // that waits for a collection, outside the recorder's memory budget).
    this.writer.appendChunk(this.connectionId, dir, d.start, d.pending.length === 1 ? d.pending[0] : d.pending);
    d.start += d.pendingBytes;
    d.pending = [];
    d.pendingBytes = 0;
  }
}
