import { StompDecoder } from '../../../shared/stomp/decoder.js';
import { interpretHeaders, headerValue } from '../../../shared/stomp/escape.js';
import { maskText } from '../../../shared/stomp/secrets.js';
import { VersionTracker } from '../../../shared/stomp/version.js';
import type { DecodeEvent, DecoderLimits, Direction, RawHeader, Severity, StompVersion } from '../../../shared/stomp/types.js';
import type { ConnectionCounters, StoreWriter } from '../store/writer.js';
import { TransportTap } from './transport-tap.js';
import { RecordedAnalysis, type AnalysisOptions } from '../analysis/recording.js';

/** What a feeder says happened to a connection besides bytes (resets, unreachable upstream, …). */
export interface ConnectionEvent {
  code: string;
  severity: Severity;
  message: string;
  dir?: Direction | null;
  /** Where in `dir`'s STOMP stream it is, when it is about bytes of it: the issue then goes on the frame holding them. */
  offset?: number;
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
  /** Correlation and expert info (issue 6): the chosen broker profile, the session's SEND -> MESSAGE matcher. */
  analysis?: AnalysisOptions;
}

const CHUNK_BYTES = 256 * 1024;
/** Issues kept per direction waiting for the frame they are about (ConnectionEvent.offset). */
const MAX_AWAITING = 64;
/** Close reasons of an orderly TCP close (proxy, import), which a completed WebSocket closing handshake refines. */
const CLEAN_CLOSES = new Set(['client closed', 'broker closed', 'FIN from both sides']);

function hasBackslash(headers: readonly RawHeader[]): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i][0].includes('\\') || headers[i][1].includes('\\')) return true;
  return false;
}

/** Whether the frame at `offset` is one that was injected; drops the marks of frames already passed. */
function isInjected(marks: number[], offset: number): boolean {
  while (marks.length && marks[0] < offset) marks.shift();
  if (marks[0] !== offset) return false;
  marks.shift();
  return true;
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
  /** Stream offsets where frames StompScope injected start (proxy injection), oldest first; usually empty. */
  injectedAt: number[] = [];
  /** The last frame stored: its id and stream range. */
  lastFrame: { id: number; offset: number; end: number } | null = null;
  /** Issues about stream bytes not yet part of a stored frame (ConnectionEvent.offset): they wait for it. */
  awaiting: Array<{ time: number; e: ConnectionEvent }> = [];
  /** The span of consecutive shed reads going on in this direction (one issue for all of it, when it ends). */
  shed: { from: number; bytes: number; since: number; until: number } | null = null;
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
  /** The client said goodbye (DISCONNECT) or the broker refused it (ERROR): a broker close is then expected. */
  private closeExpected = false;
  private issues = 0;
  private readonly chunkBytes: number;
  private readonly sinks: Record<Direction, (e: DecodeEvent) => void>;
  /** STOMP over WebSocket / SockJS (issue 8): unwraps the stream under the decoders; null once it is plain STOMP. */
  private tap: TransportTap | null;
  private readonly analysis: RecordedAnalysis;

  constructor(
    private readonly writer: StoreWriter,
    readonly sessionId: number,
    readonly connectionId: number,
    private readonly opts: RecorderOptions = {},
  ) {
    this.dirs = { client: new DirectionState(opts.limits), broker: new DirectionState(opts.limits) };
    this.chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    this.sinks = { client: (e) => this.onEvent('client', e), broker: (e) => this.onEvent('broker', e) };
    this.tap = new TransportTap({
      payload: (dir, bytes, time) => this.record(dir, bytes, time),
      streamGap: (dir, n, time) => this.streamGap(dir, n, time),
      event: (time, e) => this.event(time, e),
      transport: (kind, handshake) => this.writer.setConnectionTransport(connectionId, kind, handshake),
    });
    this.analysis = new RecordedAnalysis(writer, sessionId, connectionId, opts.analysis);
  }

  get negotiatedVersion(): StompVersion | null {
    return this.version.version;
  }

  /**
   * Bytes seen in one direction, at `time` (µs since the epoch). The recorder keeps a reference to `bytes`
   * until the next `flush()`: the caller must not reuse that memory before then.
   */
  push(dir: Direction, bytes: Uint8Array, time: number, injected = false): void {
    if (this.tap && !injected) {
      if (this.tap.active) return this.tap.push(dir, bytes, time);
      this.tap = null;
    }
    this.record(dir, bytes, time, injected);
  }

  /** Bytes of one direction's STOMP stream: the wire bytes, or what a WebSocket carried (transport-tap.ts). */
  private record(dir: Direction, bytes: Uint8Array, time: number, injected = false): void {
    const d = this.dirs[dir];
    if (d.shed) this.endShed(dir);
    // An injected push is one whole frame (core/proxy/injector.ts): the frame that starts here is flagged.
    if (injected) d.injectedAt.push(d.bytes);
    d.bytes += bytes.length;
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
    d.decoder.push(bytes, time, this.sinks[dir]);
  }

  /**
   * Bytes of one direction that were forwarded but not recorded (the proxy's recorder was over its memory budget).
   * `nulAt`: where the first NUL is among them (-1: none), so that the frame they fall in is still listed with its
   * real length (StompDecoder.shed). Consecutive shed reads make one span, reported as one issue when it ends.
   */
  shed(dir: Direction, bytes: number, nulAt: number, time: number): void {
    // Inside a WebSocket the tap makes them a gap in the STOMP stream; while sniffing, they end the sniffing (and
    // what the tap held goes to the decoder first).
    const unwrapping = this.tap?.active ? this.tap.unwrapping : false;
    if (this.tap?.active) this.tap.gap(dir, bytes, time);
    const d = this.dirs[dir];
    if (d.shed) {
      d.shed.bytes += bytes;
      d.shed.until = time;
    } else {
      d.shed = { from: d.bytes, bytes, since: time, until: time };
    }
    if (unwrapping) return;
    this.flushChunk(dir);
    d.chunkStart += bytes;
    d.bytes += bytes;
    d.decoder.shed(bytes, nulAt, time, this.sinks[dir]);
  }

  /** The span of shed reads in `dir` is over (recorded bytes came, or the connection closed): its one issue. */
  private endShed(dir: Direction): void {
    const s = this.dirs[dir].shed;
    if (!s) return;
    this.dirs[dir].shed = null;
    const ms = ((s.until - s.since) / 1000).toFixed(1);
    // On no frame: the frame the shed bytes fell in carries its own issue (StompDecoder.shed); this one is the span's.
    this.storeEvent(s.since, {
      code: 'recording-overload', severity: 'warning', dir, offset: s.from,
      message: `${s.bytes} bytes (stream offsets ${s.from}–${s.from + s.bytes}, over ${ms} ms) forwarded but not recorded: ` +
        'the recorder fell behind by more than its memory budget and shed them to keep forwarding fast',
    }, null);
  }

  /** Bytes of memory held for frames in progress (bodies being collected), for the recorder's memory budget. */
  get heldBytes(): number {
    return this.dirs.client.decoder.heldBytes + this.dirs.broker.decoder.heldBytes;
  }

  /** Bytes that were lost in one direction (a TCP gap in a capture, or recording shed under overload). */
  gap(dir: Direction, bytes: number, time: number, reason: ConnectionEvent): void {
    this.endShed(dir);
    if (this.tap?.active) {
      if (this.tap.unwrapping) {
        // Wire bytes of a WebSocket: the tap makes them a gap in the STOMP stream, or stops decoding that side.
        this.event(time, { ...reason, dir });
        this.tap.gap(dir, bytes, time);
        return;
      }
      this.tap.gap(dir, bytes, time); // still sniffing: the connection is plain STOMP
    }
    const d = this.dirs[dir];
    this.flushChunk(dir);
    d.chunkStart += bytes;
    d.bytes += bytes;
    this.event(time, { ...reason, dir });
    d.decoder.gap(bytes, time, this.sinks[dir]);
  }

  event(time: number, e: ConnectionEvent): void {
    if (e.offset !== undefined && e.dir) {
      const d = this.dirs[e.dir];
      const f = d.lastFrame;
      if (f && e.offset >= f.offset && e.offset < f.end) return this.storeEvent(time, e, f.id);
      // Bytes of a frame still being decoded: the issue goes on that frame when it is stored.
      if (e.offset >= (f?.end ?? 0) && d.awaiting.length < MAX_AWAITING) {
        d.awaiting.push({ time, e });
        return;
      }
    }
    this.storeEvent(time, e, null);
  }

  private storeEvent(time: number, e: ConnectionEvent, frameId: number | null): void {
    this.issues++;
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: this.connectionId, frameId, dir: e.dir ?? null, offset: e.offset ?? null, time,
      code: e.code, severity: e.severity, message: e.message,
    });
    if (frameId !== null) this.writer.countFrameIssue(frameId);
    this.opts.onLine?.({ time, connectionId: this.connectionId, dir: e.dir ?? null, command: `! ${e.code}`, info: e.message, size: 0 });
  }

  /** Bytes lost from one direction's unwrapped (WebSocket) STOMP stream: the decoder resynchronises after them. */
  private streamGap(dir: Direction, n: number, time: number): void {
    const d = this.dirs[dir];
    this.flushChunk(dir);
    d.chunkStart += n;
    d.bytes += n;
    d.decoder.gap(n, time, this.sinks[dir]);
  }

  /** Writes buffered raw bytes and counters; call at the end of each transaction. */
  flush(): void {
    this.flushChunk('client');
    this.flushChunk('broker');
    this.writer.updateCounters(this.connectionId, this.counters());
  }

  /**
   * The time is now `now` and all bytes read before it were pushed: findings due by the clock alone (a peer
   * silent past its heart-beat) are written now instead of when that peer speaks again or the connection closes.
   */
  tick(now: number): void {
    const before = this.analysis.findings;
    this.analysis.tick(now);
    if (this.analysis.findings !== before) this.flush(); // the connection's issue count
  }

  /** Whether tick(now) has something to write (the recording worker skips a transaction otherwise). */
  tickDue(now: number): boolean {
    return this.analysis.tickDue(now);
  }

  /** End of both streams: reports incomplete frames, then flushes. */
  close(time: number, reason: string | null): void {
    this.endShed('client');
    this.endShed('broker');
    this.tap?.end(time);
    this.dirs.client.decoder.end(time, this.sinks.client);
    this.dirs.broker.decoder.end(time, this.sinks.broker);
    for (const d of [this.dirs.client, this.dirs.broker]) for (const a of d.awaiting.splice(0)) this.storeEvent(a.time, a.e, null);
    this.analysis.close(time);
    // A WebSocket closing handshake the client started (RFC 6455 §7.1.2) is the client closing, even when the
    // server then closes TCP first as §7.1.1 asks of it: the same verdict whichever feeder saw the TCP close.
    const ws = this.tap?.closingHandshake ?? null;
    if (ws?.by === 'client') this.closeExpected = true;
    if (ws?.complete && reason !== null && CLEAN_CLOSES.has(reason)) reason = `${ws.by} closed`;
    if ((reason === 'broker closed' || reason === 'broker reset') && !this.closeExpected) {
      // A broker restart or shutdown, or the broker dropping the client (issue 7): the client has to reconnect.
      this.event(time, { code: 'broker-closed', severity: 'warning', dir: 'broker', message: `${reason === 'broker reset' ? 'the broker reset' : 'the broker closed'} the connection before the client sent DISCONNECT` });
    }
    this.flush();
    this.writer.closeConnection(this.connectionId, time, reason);
  }

  counters(): ConnectionCounters {
    const c = this.dirs.client;
    const b = this.dirs.broker;
    return {
      version: this.version.version, framesClient: c.frames, framesBroker: b.frames, heartbeatsClient: c.heartbeats,
      heartbeatsBroker: b.heartbeats, bytesClient: c.bytes, bytesBroker: b.bytes, issues: this.issues + this.analysis.findings,
    };
  }

  /**
   * The SHA-256 of a body the decoder did not keep (over maxBodyBytes, issue 7): its bytes are all in the raw
   * chunks, so they are written out and hashed from there in pieces, never held whole. Null if some were shed.
   */
  private hashUnkeptBody(dir: Direction, offset: number, length: number): Buffer | null {
    this.flushChunk(dir);
    return this.writer.hashStream(this.connectionId, dir, offset, length);
  }

  private flushChunk(dir: Direction): void {
    const d = this.dirs[dir];
    if (d.pendingBytes === 0) return;
    // The pieces are written as they are: joining them first would make a copy of every byte recorded (garbage
    // that waits for a collection, outside the recorder's memory budget).
    this.writer.appendChunk(this.connectionId, dir, d.chunkStart, d.pending.length === 1 ? d.pending[0] : d.pending);
    d.chunkStart += d.pendingBytes;
    d.pending = [];
    d.pendingBytes = 0;
  }

  /** A frame [start, end) was stored: awaiting issues in it go on it; those before it were about no frame. */
  private settleAwaiting(d: DirectionState, start: number, end: number, frameId: number): void {
    const keep: typeof d.awaiting = [];
    for (const a of d.awaiting) {
      const at = a.e.offset!;
      if (at >= end) keep.push(a);
      else this.storeEvent(a.time, a.e, at >= start ? frameId : null);
    }
    d.awaiting = keep;
  }

  private onEvent(dir: Direction, e: DecodeEvent): void {
    const d = this.dirs[dir];
    if (e.kind === 'heartbeat') {
      // The analysis says which EOLs are heart-beats (not the one ending a frame, none where none were
      // negotiated): only those are stored and counted, so every reader of the counts agrees with expert info.
      if (this.analysis.heartbeat(dir, e.time, e.offset)) {
        d.heartbeats++;
        this.writer.insertHeartbeat(this.connectionId, dir, e.time, e.offset);
      }
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
    if (dir === 'client' ? e.command === 'DISCONNECT' : e.command === 'ERROR') this.closeExpected = true;
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
      bodyOffset: e.bodyOffset, bodyLength: e.bodyLength, injected: d.injectedAt.length > 0 && isInjected(d.injectedAt, e.offset),
      // Bodies kept whole in the chunks are hashed when read; only a body that is not kept needs its hash now.
      bodySha256: e.body === null && e.bodyLength > 0 ? this.hashUnkeptBody(dir, e.bodyOffset, e.bodyLength) : null, issues: issues.length,
    });
    for (const i of issues) {
      this.issues++;
      this.writer.insertIssue({
        sessionId: this.sessionId, connectionId: this.connectionId, frameId, dir, offset: i.offset, time: e.time, code: i.code,
        severity: i.severity, message: i.message,
      });
    }
    d.lastFrame = { id: frameId, offset: e.offset, end: e.offset + e.length };
    if (d.awaiting.length) this.settleAwaiting(d, e.offset, d.lastFrame.end, frameId);
    this.analysis.frame(frameId, dir, e, headers);
    if (this.opts.onLine) {
      // An ERROR's message may quote the line the broker refused, a credential included: masked (maskText).
      const info = destination ?? headerValue(headers, 'receipt-id') ?? headerValue(headers, 'receipt') ?? maskText(headerValue(headers, 'message') ?? '');
      this.opts.onLine({ time: e.time, connectionId: this.connectionId, dir, command: e.command, info, size: e.length });
    }
  }
}
