// The conversation stage: one connection's pipeline from bytes to meaning, pure and synchronous. It owns
// everything that interprets the bytes of a connection, in this order: transport unwrapping (STOMP over
// WebSocket or SockJS, transport.ts), the two directions' STOMP decoders, version and heart-beat negotiation
// (STOMP 1.2 §Protocol Negotiation, §Heart-beating), the unescaped header view (§Value Encoding), placing
// issues on the frame whose bytes they are about, and correlation and expert rules (ConnectionAnalyzer, which
// also decides which EOLs are heart-beats). It emits one event stream to a ConversationSink (types.ts).
// What it does not own is I/O: keeping raw bytes, batching, memory budgets and the store belong to the
// feeder's sink (the recorder), so the stage is tested as conversations, bytes in and events out.

import { ConnectionAnalyzer } from '../analysis/connection.js';
import { bodyFingerprint } from '../analysis/fingerprint.js';
import type { ProfileName } from '../analysis/profiles.js';
import type { AnalysisSink, AnalyzedFrame, Finding, Link } from '../analysis/types.js';
import { StompDecoder } from '../stomp/decoder.js';
import { headerValue, interpretHeaders } from '../stomp/escape.js';
import { VersionTracker } from '../stomp/version.js';
import type { DecodeEvent, DecoderLimits, Direction, RawHeader, StompVersion, WireIssue } from '../stomp/types.js';
import { TransportTap } from './transport.js';
import type { ConnectionEvent, ConversationFrame, ConversationOptions, ConversationSink, FrameMark } from './types.js';

/** Issues kept per direction waiting for the frame they are about (ConnectionEvent.offset). */
const MAX_AWAITING = 64;
/** Close reasons of an orderly TCP close (proxy, import), which a completed WebSocket closing handshake refines. */
const CLEAN_CLOSES = new Set(['client closed', 'broker closed', 'FIN from both sides']);
const NO_ISSUES: readonly WireIssue[] = [];

function hasBackslash(headers: readonly RawHeader[]): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i][0].includes('\\') || headers[i][1].includes('\\')) return true;
  return false;
}

/** The mark of the frame at `offset`, if one was given; drops the marks of frames already passed. */
function markAt(marks: Array<{ offset: number; mark: FrameMark }>, offset: number): FrameMark | null {
  while (marks.length && marks[0].offset < offset) marks.shift();
  if (!marks.length || marks[0].offset !== offset) return null;
  return marks.shift()!.mark;
}

const INJECTED: FrameMark = Object.freeze({ injected: true });

class DirectionState {
  readonly decoder: StompDecoder;
  frames = 0;
  heartbeats = 0;
  /** Bytes of this direction's STOMP stream so far, lost ones included: the next byte's stream offset. */
  bytes = 0;
  /** Stream offsets where frames the proxy marked start (injection, rules), oldest first; usually empty. */
  marks: Array<{ offset: number; mark: FrameMark }> = [];
  /** The last frame emitted: its id and stream range [lastOffset, lastEnd); lastId -1 before the first. */
  lastId = -1;
  lastOffset = 0;
  lastEnd = 0;
  /** Issues about stream bytes not yet part of an emitted frame (ConnectionEvent.offset): they wait for it. */
  awaiting: Array<{ time: number; e: ConnectionEvent }> = [];
  /** The span of consecutive shed reads going on in this direction (one issue for all of it, when it ends). */
  shed: { from: number; bytes: number; since: number; until: number } | null = null;
  constructor(limits?: Partial<DecoderLimits>) {
    this.decoder = new StompDecoder(limits);
  }
}

export class Conversation {
  private readonly dirs: Record<Direction, DirectionState>;
  private readonly version = new VersionTracker();
  private seq = 0;
  /** The client said goodbye (DISCONNECT) or the broker refused it (ERROR): a broker close is then expected. */
  private closeExpected = false;
  private readonly decoded: Record<Direction, (e: DecodeEvent) => void>;
  /** STOMP over WebSocket / SockJS: unwraps the stream under the decoders; null once it is plain STOMP. */
  private tap: TransportTap | null;
  private transportKind = 'tcp';
  private readonly analyzer: ConnectionAnalyzer | null;
  private negotiatedOnce = false;
  /** Reused for every frame: sinks copy what they keep (no event object per frame on the recording path). */
  private readonly out: ConversationFrame;
  private readonly analyzed: AnalyzedFrame = { id: 0, dir: 'client', time: 0, command: '', headers: [], bodyLength: 0 };

  constructor(private readonly sink: ConversationSink, opts: ConversationOptions = {}) {
    this.dirs = { client: new DirectionState(opts.limits), broker: new DirectionState(opts.limits) };
    this.decoded = { client: (e) => this.onDecoded('client', e), broker: (e) => this.onDecoded('broker', e) };
    this.out = { dir: 'client', seq: 0, frame: null as never, headers: [], destination: null, injected: false, mark: null, issues: NO_ISSUES };
    this.tap = opts.unwrap === false ? null : new TransportTap({
      payload: (dir, bytes, time) => this.stomp(dir, bytes, time),
      streamGap: (dir, n, time) => this.streamGap(dir, n, time),
      event: (time, e) => this.event(time, e),
      transport: (kind, handshake) => {
        this.transportKind = kind;
        sink.transport(kind, handshake);
      },
    }, opts.transportLimits, opts.inflate ?? null);
    if (opts.analyze === false) {
      this.analyzer = null;
    } else {
      const a: AnalysisSink = {
        link: (l: Link) => sink.link(l),
        finding: (f: Finding) => sink.finding(f),
        profile: (name: string) => sink.profile(name),
      };
      this.analyzer = new ConnectionAnalyzer(a, { profile: opts.profile ?? null, delivery: opts.delivery ?? null, connectionKey: opts.connectionKey });
      if (opts.profile) sink.profile(opts.profile);
    }
  }

  /** The negotiated version: null before CONNECTED. */
  get negotiatedVersion(): StompVersion | null {
    return this.version.version;
  }

  /** Effective heart-beat periods (ms each way) once CONNECT and CONNECTED were both seen, else null. */
  get heartBeats(): { clientToBroker: number; brokerToClient: number } | null {
    return this.version.heartBeats();
  }

  /** Frames, heart-beats and stream bytes (lost ones included) per direction so far. */
  count(dir: Direction): { frames: number; heartbeats: number; bytes: number } {
    const d = this.dirs[dir];
    return { frames: d.frames, heartbeats: d.heartbeats, bytes: d.bytes };
  }

  /** Bytes of memory held for frames in progress (bodies being collected). */
  get heldBytes(): number {
    return this.dirs.client.decoder.heldBytes + this.dirs.broker.decoder.heldBytes;
  }

  /**
   * Bytes seen in one direction at `time` (µs since the epoch). `mark` (true: injected): one whole frame StompScope
   * wrote into the stream itself (proxy injection) or a proxy rule acted on, carried by the frame it becomes. The
   * sink's stream() gets `bytes` (or the STOMP bytes a WebSocket carried) and may keep a reference to them.
   */
  push(dir: Direction, bytes: Uint8Array, time: number, mark: FrameMark | boolean | null = null): void {
    const m = mark === true ? INJECTED : mark || null;
    if (this.tap && !m) {
      if (this.tap.active) return this.tap.push(dir, bytes, time);
      this.tap = null;
    }
    this.stomp(dir, bytes, time, m);
  }

  /** Bytes of one direction's STOMP stream: the wire bytes, or what a WebSocket carried. */
  private stomp(dir: Direction, bytes: Uint8Array, time: number, mark: FrameMark | null = null): void {
    const d = this.dirs[dir];
    if (d.shed) this.endShed(dir);
    if (mark) d.marks.push({ offset: d.bytes, mark });
    d.bytes += bytes.length;
    // The wire truth first: the sink has the bytes whatever the decoder makes of them.
    this.sink.stream(dir, bytes);
    d.decoder.push(bytes, time, this.decoded[dir]);
  }

  /**
   * Bytes of one direction that were forwarded but not recorded (the recorder was over its memory budget).
   * `nulAt`: where the first NUL is among them (-1: none), so that the frame they fall in is still emitted with
   * its real length (StompDecoder.shed). Consecutive shed reads make one span, reported as one issue when it ends.
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
    this.sink.streamGap(dir, bytes);
    d.bytes += bytes;
    d.decoder.shed(bytes, nulAt, time, this.decoded[dir]);
  }

  /** The span of shed reads in `dir` is over (bytes came, or the connection closed): its one issue. */
  private endShed(dir: Direction): void {
    const s = this.dirs[dir].shed;
    if (!s) return;
    this.dirs[dir].shed = null;
    const ms = ((s.until - s.since) / 1000).toFixed(1);
    // On no frame: the frame the shed bytes fell in carries its own issue (StompDecoder.shed); this one is the span's.
    this.issue(s.since, {
      code: 'recording-overload', severity: 'warning', dir, offset: s.from,
      message: `${s.bytes} bytes (stream offsets ${s.from}–${s.from + s.bytes}, over ${ms} ms) forwarded but not recorded: ` +
        'the recorder fell behind by more than its memory budget and shed them to keep forwarding fast',
    }, null);
  }

  /** Bytes that were lost in one direction (a TCP gap in a capture); `reason` is its issue. */
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
    this.sink.streamGap(dir, bytes);
    d.bytes += bytes;
    this.event(time, { ...reason, dir });
    d.decoder.gap(bytes, time, this.decoded[dir]);
  }

  /**
   * Something a feeder saw besides bytes. One about bytes of a direction's stream (`offset`) goes on the frame that
   * holds them: the last one emitted, or the next one when its bytes are still being decoded.
   */
  event(time: number, e: ConnectionEvent): void {
    if (e.offset !== undefined && e.dir) {
      const d = this.dirs[e.dir];
      if (d.lastId >= 0 && e.offset >= d.lastOffset && e.offset < d.lastEnd) return this.issue(time, e, d.lastId);
      if (e.offset >= (d.lastId >= 0 ? d.lastEnd : 0) && d.awaiting.length < MAX_AWAITING) {
        d.awaiting.push({ time, e });
        return;
      }
    }
    this.issue(time, e, null);
  }

  private issue(time: number, e: ConnectionEvent, frameId: number | null): void {
    this.sink.issue({ time, code: e.code, severity: e.severity, message: e.message, dir: e.dir ?? null, offset: e.offset ?? null, frameId });
  }

  /** Bytes lost from one direction's unwrapped (WebSocket) STOMP stream: the decoder resynchronises after them. */
  private streamGap(dir: Direction, n: number, time: number): void {
    const d = this.dirs[dir];
    this.sink.streamGap(dir, n);
    d.bytes += n;
    d.decoder.gap(n, time, this.decoded[dir]);
  }

  /**
   * The time is now `now` and every byte read before it was pushed: findings due by the clock alone (a peer
   * silent past its heart-beat) are emitted now instead of when that peer speaks again or the connection closes.
   */
  tick(now: number): void {
    this.analyzer?.tick(now);
  }

  /** Whether tick(now) has something to emit. */
  tickDue(now: number): boolean {
    return this.analyzer?.silenceDue(now) ?? false;
  }

  /**
   * End of both streams at `time`: incomplete frames and waiting issues are reported, the analysis closes. Returns
   * the close reason as the conversation shows it (a WebSocket closing handshake refines a TCP close).
   */
  close(time: number, reason: string | null): string | null {
    this.endShed('client');
    this.endShed('broker');
    this.tap?.end(time);
    this.dirs.client.decoder.end(time, this.decoded.client);
    this.dirs.broker.decoder.end(time, this.decoded.broker);
    for (const d of [this.dirs.client, this.dirs.broker]) for (const a of d.awaiting.splice(0)) this.issue(a.time, a.e, null);
    this.analyzer?.close(time);
    // A WebSocket closing handshake the client started (RFC 6455 §7.1.2) is the client closing, even when the
    // server then closes TCP first as §7.1.1 asks of it: the same verdict whichever feeder saw the TCP close.
    const ws = this.tap?.closingHandshake ?? null;
    if (ws?.by === 'client') this.closeExpected = true;
    if (ws?.complete && reason !== null && CLEAN_CLOSES.has(reason)) reason = `${ws.by} closed`;
    if ((reason === 'broker closed' || reason === 'broker reset') && !this.closeExpected) {
      // A broker restart or shutdown, or the broker dropping the client: the client has to reconnect.
      this.event(time, { code: 'broker-closed', severity: 'warning', dir: 'broker', message: `${reason === 'broker reset' ? 'the broker reset' : 'the broker closed'} the connection before the client sent DISCONNECT` });
    }
    return reason;
  }

  /** A frame [start, end) was emitted: awaiting issues in it go on it; those before it were about no frame. */
  private settleAwaiting(d: DirectionState, start: number, end: number, frameId: number): void {
    const keep: typeof d.awaiting = [];
    for (const a of d.awaiting) {
      const at = a.e.offset!;
      if (at >= end) keep.push(a);
      else this.issue(a.time, a.e, at >= start ? frameId : null);
    }
    d.awaiting = keep;
  }

  private onDecoded(dir: Direction, e: DecodeEvent): void {
    const d = this.dirs[dir];
    if (e.kind === 'heartbeat') {
      // The analysis says which EOLs are heart-beats (not the one ending a frame, none where none were
      // negotiated): only those are emitted and counted, so every count agrees with expert info.
      if (!this.analyzer || this.analyzer.heartbeat(dir, e.time, e.offset)) {
        d.heartbeats++;
        this.sink.heartbeat(dir, e.time, e.offset);
      }
      return;
    }
    if (e.kind === 'issue') {
      this.sink.issue({ time: e.time, code: e.code, severity: e.severity, message: e.message, dir, offset: e.offset, frameId: null });
      return;
    }
    d.frames++;
    const mark = d.marks.length > 0 ? markAt(d.marks, e.offset) : null;
    // Correlation, negotiation and expert info judge what each peer actually received: a frame a rule kept from
    // the other peer is recorded, but nothing is inferred from it.
    const delivered = mark === null || mark.forwarded !== false;
    if (delivered && (dir === 'client' ? e.command === 'DISCONNECT' : e.command === 'ERROR')) this.closeExpected = true;
    const negotiation = delivered ? this.version.observe(dir, e) : NO_ISSUES;
    // Without a CONNECTED (a capture picked up mid-stream) nothing is unescaped, as the frames view does. Most
    // frames have no backslash in any header: nothing to unescape, no escape to check.
    const view = hasBackslash(e.headers) ? interpretHeaders(e.command, e.headers, this.version.version, e.offset) : null;
    const headers = view ? view.headers : e.headers;
    const out = this.out;
    out.dir = dir;
    out.seq = this.seq++;
    out.frame = e;
    out.headers = headers;
    out.destination = headerValue(headers, 'destination') ?? null;
    out.injected = mark?.injected === true;
    out.mark = mark;
    out.issues = e.issues.length || view?.issues.length || negotiation.length ? [...e.issues, ...negotiation, ...(view?.issues ?? [])] : e.issues;
    const frameId = this.sink.frame(out);
    d.lastId = frameId;
    d.lastOffset = e.offset;
    d.lastEnd = e.offset + e.length;
    if (d.awaiting.length) this.settleAwaiting(d, e.offset, d.lastEnd, frameId);
    if (this.analyzer && delivered) {
      const hashed = e.body !== null && (e.command === 'SEND' || e.command === 'MESSAGE');
      const f = this.analyzed;
      f.id = frameId;
      f.dir = dir;
      f.time = e.time;
      f.command = e.command;
      f.headers = e.headers;
      f.view = headers;
      f.bodyLength = e.bodyLength;
      f.bodyHash = hashed ? bodyFingerprint(e.body!) : null;
      f.offset = e.offset;
      f.length = e.length;
      this.analyzer.frame(f);
    }
    // Negotiation is settled by the first CONNECTED, after the analysis saw it (its server header names the profile).
    if (!this.negotiatedOnce && dir === 'broker' && e.command === 'CONNECTED' && this.version.version) {
      this.negotiatedOnce = true;
      this.sink.negotiated({
        version: this.version.version, heartBeats: this.version.heartBeats(), profile: (this.analyzer?.profile ?? null) as ProfileName | null,
        transport: this.transportKind,
      });
    }
    this.sink.framed?.(out);
  }
}
