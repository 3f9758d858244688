// One connection that began with an HTTP upgrade: the WebSocket (RFC 6455) or SockJS-over-WebSocket layer
// between the wire and the STOMP decoder, both directions, sans-IO. Bytes in per direction; out: the STOMP
// byte stream each direction carries (unmasked, fragments joined, decompressed, SockJS unwrapped), the
// handshake, and events (pings, pongs, closes, protocol errors) with codes from the issue catalogue.
//
//   client: HTTP request head ─┐                        ┌─ raw: payload bytes are STOMP
//                              ├─ WebSocket frames ─ messages (permessage-deflate) ─┤
//   broker: HTTP response head ┘                        └─ SockJS: o h a[…] c[…] / ["…"] unwrapped
//
// Any chunking of either direction gives the same output (the payload may come in different pieces, their
// concatenation is the same). Memory is bounded by `maxMessageBytes` per direction (a compressed or SockJS
// message is held whole; plain payload streams through). Peer bytes never throw: they become events.

import type { IssueCode } from '../issues.js';
import type { Direction } from '../stomp/types.js';
import {
  HeadReader, headerOf, isWebSocketUpgrade, parseRequestHead, parseResponseHead, type HttpRequestHead, type HttpResponseHead,
} from './http.js';
import { maskSubprotocol, maskTarget, type Handshake } from './handshake.js';

export type { Handshake } from './handshake.js';
import { looksLikeSockJs, parseClientFrame, parseServerFrame, sockJsHttpTransport } from './sockjs.js';
import { Utf8Validator } from './utf8.js';
import { OPCODE, parseClose, WebSocketFrameDecoder, type FrameSink } from './websocket.js';

/** Decompresses one permessage-deflate message (RFC 7692 §7.2.2), keeping the window between calls unless told not to. */
export interface Inflater {
  /** The compressed payload of a whole message, without the 00 00 ff ff tail. */
  inflate(message: Uint8Array): Uint8Array | { error: string };
}

/** Makes the inflater of one direction. Injected: shared/ has no zlib. */
export type InflaterFactory = (opts: { noContextTakeover: boolean; windowBits: number }) => Inflater;

export interface TransportSink {
  /** STOMP bytes of one direction, in order. */
  payload(dir: Direction, bytes: Uint8Array, time: number): void;
  /** `n` bytes of one direction's STOMP stream are lost (the STOMP decoder resynchronises). */
  gap(dir: Direction, n: number, time: number): void;
  /** `offset`: where in `dir`'s STOMP stream the event is, when it is about bytes of it (so it can go on a frame). */
  event(dir: Direction | null, time: number, code: IssueCode, message: string, offset?: number): void;
  /** The handshake as known so far: called when the request, then the response, then the SockJS framing is seen. */
  handshake(h: Handshake): void;
}

export interface TransportLimits {
  /** Largest message held whole (compressed, or a SockJS frame). */
  maxMessageBytes: number;
  /** Pings, pongs, SockJS heartbeats and protocol errors listed one by one per direction; the rest are counted. */
  maxListed: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = { maxMessageBytes: 16 * 1024 * 1024, maxListed: 20 };

const CLOSE_CODES: Record<number, string> = {
  1000: 'normal closure', 1001: 'going away', 1002: 'protocol error', 1003: 'unsupported data', 1005: 'no status', 1006: 'abnormal closure',
  1007: 'invalid payload data', 1008: 'policy violation', 1009: 'message too big', 1010: 'mandatory extension', 1011: 'internal error',
  1012: 'service restart', 1013: 'try again later', 1014: 'bad gateway', 1015: 'TLS handshake',
};

function printable(b: Uint8Array): string {
  if (b.length === 0) return 'no payload';
  let s = '';
  for (let i = 0; i < b.length && i < 40; i++) s += b[i] >= 0x20 && b[i] < 0x7f ? String.fromCharCode(b[i]) : '.';
  return `${b.length} bytes "${s}${b.length > 40 ? '…' : ''}"`;
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** permessage-deflate parameters of the extension the server accepted (RFC 7692 §7.1). */
function deflateParams(extensions: string | null): { serverNoContext: boolean; clientNoContext: boolean; serverBits: number; clientBits: number } | null {
  if (!extensions) return null;
  for (const ext of extensions.split(',')) {
    const [name, ...params] = ext.split(';').map((p) => p.trim());
    if (name.toLowerCase() !== 'permessage-deflate') continue;
    const r = { serverNoContext: false, clientNoContext: false, serverBits: 15, clientBits: 15 };
    for (const p of params) {
      const [k, v] = p.split('=').map((x) => x.trim().replace(/^"|"$/g, ''));
      const key = k.toLowerCase();
      if (key === 'server_no_context_takeover') r.serverNoContext = true;
      else if (key === 'client_no_context_takeover') r.clientNoContext = true;
      else if (key === 'server_max_window_bits' && v) r.serverBits = Number(v) || 15;
      else if (key === 'client_max_window_bits' && v) r.clientBits = Number(v) || 15;
    }
    return r;
  }
  return null;
}

class Side implements FrameSink {
  phase: 'head' | 'frames' | 'ignored' = 'head';
  readonly head: HeadReader<HttpRequestHead | HttpResponseHead>;
  frames: WebSocketFrameDecoder | null = null;
  /** The current data message is compressed (RSV1). */
  compressed = false;
  /** Held parts of the current message: compressed bytes, or decoded bytes of a SockJS frame. */
  held: Uint8Array[] = [];
  heldBytes = 0;
  /** The current message cannot be decoded (too large, bytes lost); its size so far. */
  lost: 'too-large' | 'gap' | null = null;
  lostBytes = 0;
  inflater: Inflater | null = null;
  noInflaterSaid = false;
  /** A compressed message was lost while the sender keeps its window (context takeover): later ones cannot be inflated. */
  windowLost = false;
  pings = 0;
  pongs = 0;
  heartbeats = 0;
  errors = 0;
  /** The current message is text (opcode 1) and all of its payload so far was seen: its UTF-8 is being checked. */
  checking = false;
  readonly utf8 = new Utf8Validator();
  /** Where the current message's decoded bytes start in this direction's STOMP stream (plain STOMP over WebSocket). */
  messageAt = 0;
  invalidUtf8 = 0;
  /** This side sent a close frame (RFC 6455 §5.5.1). */
  closeSent = false;

  constructor(private readonly c: WebSocketConnection, readonly dir: Direction) {
    this.head = new HeadReader<HttpRequestHead | HttpResponseHead>(dir === 'client' ? parseRequestHead : parseResponseHead);
  }

  // --- FrameSink: frames of this direction ------------------------------------------------------------------

  messageStart(opcode: number, compressed: boolean): void {
    this.checking = opcode === OPCODE.text;
    this.utf8.reset();
    this.messageAt = this.c.streamOut[this.dir];
    this.compressed = compressed;
    this.held = [];
    this.heldBytes = 0;
    this.lost = null;
    this.lostBytes = 0;
  }

  payload(bytes: Uint8Array, time: number): void {
    if (bytes.length === 0) return;
    if (this.compressed) this.hold(bytes);
    else this.c.decoded(this, bytes, time);
  }

  payloadGap(n: number, time: number): void {
    this.checking = false; // bytes unseen: nothing can be said about the message's UTF-8
    if (this.compressed || this.c.mode === 'sockjs') {
      this.lose('gap', n);
      return;
    }
    this.c.sink.gap(this.dir, n, time);
  }

  messageEnd(time: number): void {
    if (this.compressed) {
      const data = concat(this.held, this.heldBytes);
      const n = this.heldBytes;
      this.held = [];
      this.heldBytes = 0;
      if (this.lost) return this.lostMessage(time, true);
      const out = this.inflate(data, time);
      if (out === null) {
        // Said by inflate(); what the message carried is a gap of the STOMP stream.
        this.c.sink.gap(this.dir, n, time);
        return;
      }
      if (out.length) this.c.decoded(this, out, time);
    } else if (this.lost) return this.lostMessage(time, false);
    if (this.checking && this.utf8.end() >= 0) this.badUtf8(this.utf8.invalidAt, null, time);
    this.c.afterMessage(this, time);
  }

  /** Decoded bytes of the current message (uncompressed payload, or the inflated message): their UTF-8, if text. */
  checkUtf8(bytes: Uint8Array, time: number): void {
    if (!this.checking) return;
    const before = this.utf8.seen;
    const at = this.utf8.push(bytes);
    if (at >= 0) this.badUtf8(at, bytes[at - before], time);
  }

  /**
   * A text message whose payload is not UTF-8 (RFC 6455 §8.1: the receiver must fail the connection, close code
   * 1007, which is how a strict client such as the ws package reacts). Reported once per message.
   */
  private badUtf8(at: number, byte: number | null, time: number): void {
    this.checking = false;
    if (++this.invalidUtf8 > this.c.limits.maxListed) return;
    const what = byte === null ? 'a UTF-8 sequence cut off by the end of the message' : `byte 0x${byte.toString(16).padStart(2, '0')}`;
    this.c.sink.event(this.dir, time, 'websocket-invalid-utf8',
      `a text message (opcode 1) from the ${this.dir} is not valid UTF-8: ${what} at byte ${at} of its payload; ` +
      'a receiver must fail the connection (close code 1007)',
      this.c.mode === 'raw' ? this.messageAt + at : undefined);
  }

  control(opcode: number, payload: Uint8Array, time: number): void {
    const who = this.dir;
    if (opcode === OPCODE.ping || opcode === OPCODE.pong) {
      const n = opcode === OPCODE.ping ? ++this.pings : ++this.pongs;
      if (n <= this.c.limits.maxListed) {
        this.c.sink.event(who, time, opcode === OPCODE.ping ? 'websocket-ping' : 'websocket-pong',
          `${opcode === OPCODE.ping ? 'ping' : 'pong'} from the ${who} (${printable(payload)})`);
      }
    } else if (opcode === OPCODE.close) {
      this.closeSent = true;
      this.c.closeFrame(who);
      const { code, reason } = parseClose(payload);
      const what = code === null ? 'no status code' : `${code}${CLOSE_CODES[code] ? ` (${CLOSE_CODES[code]})` : ''}`;
      this.c.sink.event(who, time, 'websocket-close', `the ${who} closed the WebSocket: ${what}${reason ? ` "${reason}"` : ''}`);
    }
  }

  protocolError(message: string, fatal: boolean, time: number): void {
    if (++this.errors <= this.c.limits.maxListed || fatal) this.c.sink.event(this.dir, time, 'websocket-protocol-error', `${this.dir}: ${message}`);
  }

  // --- held messages --------------------------------------------------------------------------------------------

  hold(bytes: Uint8Array): void {
    if (this.lost) {
      this.lostBytes += bytes.length;
      return;
    }
    if (this.heldBytes + bytes.length > this.c.limits.maxMessageBytes) {
      this.lose('too-large', bytes.length);
      return;
    }
    // A view may point into a buffer the caller reuses after this push: hold a copy.
    this.held.push(bytes.slice());
    this.heldBytes += bytes.length;
  }

  private lose(why: 'too-large' | 'gap', n: number): void {
    if (!this.lost) {
      this.lost = why;
      this.lostBytes = this.heldBytes;
      this.held = [];
      this.heldBytes = 0;
    }
    this.lostBytes += n;
  }

  /** A held message that cannot be decoded: said once, and its bytes are a gap in the STOMP stream. */
  lostMessage(time: number, compressed: boolean): void {
    const n = this.lostBytes;
    if (this.lost === 'too-large') {
      this.c.sink.event(this.dir, time, 'websocket-message-too-large',
        `a ${compressed ? 'compressed ' : 'SockJS '}message of ${n} bytes or more from the ${this.dir} is larger than the ${this.c.limits.maxMessageBytes}-byte limit: not decoded`);
    } else if (compressed) {
      this.c.sink.event(this.dir, time, 'websocket-deflate-unsupported', `a compressed message from the ${this.dir} lost bytes (a capture gap, or the stream ended inside it): not decoded`);
    }
    if (compressed) {
      const p = deflateParams(this.c.handshakeInfo.extensions);
      if (p && !(this.dir === 'broker' ? p.serverNoContext : p.clientNoContext)) this.windowLost = true;
    }
    this.lost = null;
    this.lostBytes = 0;
    this.c.sink.gap(this.dir, n, time);
  }

  private inflate(data: Uint8Array, time: number): Uint8Array | null {
    if (this.windowLost) {
      if (!this.noInflaterSaid) {
        this.noInflaterSaid = true;
        this.c.sink.event(this.dir, time, 'websocket-deflate-unsupported',
          `compressed messages from the ${this.dir} after a lost one cannot be decompressed (they refer back to it: context takeover): not decoded`);
      }
      return null;
    }
    if (!this.inflater) {
      const p = deflateParams(this.c.handshakeInfo.extensions);
      const factory = this.c.inflaterFactory;
      if (!factory || !p) {
        if (!this.noInflaterSaid) {
          this.noInflaterSaid = true;
          this.c.sink.event(this.dir, time, 'websocket-deflate-unsupported',
            p ? `compressed messages from the ${this.dir} (permessage-deflate) cannot be decompressed here: not decoded`
              : `a compressed message from the ${this.dir} but no permessage-deflate in the handshake: not decoded`);
        }
        return null;
      }
      const server = this.dir === 'broker';
      this.inflater = factory({
        noContextTakeover: server ? p.serverNoContext : p.clientNoContext, windowBits: server ? p.serverBits : p.clientBits,
      });
    }
    const out = this.inflater.inflate(data);
    if (out instanceof Uint8Array) return out;
    this.c.sink.event(this.dir, time, 'websocket-deflate-unsupported', `a compressed message from the ${this.dir} could not be decompressed (${out.error}): not decoded`);
    // Its window is unknown from here on: the next messages would inflate into garbage, not STOMP.
    const p = deflateParams(this.c.handshakeInfo.extensions);
    if (p && !(this.dir === 'broker' ? p.serverNoContext : p.clientNoContext)) {
      this.windowLost = true;
      this.noInflaterSaid = true;
    }
    return null;
  }
}

export class WebSocketConnection {
  readonly sides: Record<Direction, Side>;
  mode: 'undecided' | 'raw' | 'sockjs' = 'undecided';
  readonly handshakeInfo: Handshake = {
    transport: 'websocket', request: null, response: null, subprotocol: null, offeredSubprotocols: [], extensions: null, deflate: false,
  };
  readonly limits: TransportLimits;
  private ended = false;
  readonly sink: TransportSink;
  /** Bytes of each direction's STOMP stream handed on so far (payload and gaps): where the next byte will be. */
  readonly streamOut: Record<Direction, number> = { client: 0, broker: 0 };
  /** The side that sent the first close frame, or null. */
  private closeFirst: Direction | null = null;

  constructor(
    sink: TransportSink,
    readonly inflaterFactory: InflaterFactory | null = null,
    limits: Partial<TransportLimits> = {},
  ) {
    const out = this.streamOut;
    this.sink = {
      ...sink,
      payload: (dir, bytes, time) => {
        out[dir] += bytes.length;
        sink.payload(dir, bytes, time);
      },
      gap: (dir, n, time) => {
        out[dir] += n;
        sink.gap(dir, n, time);
      },
      event: (dir, time, code, message, offset) => (offset === undefined ? sink.event(dir, time, code, message) : sink.event(dir, time, code, message, offset)),
      handshake: (h) => sink.handshake(h),
    };
    this.limits = { ...DEFAULT_TRANSPORT_LIMITS, ...limits };
    this.sides = { client: new Side(this, 'client'), broker: new Side(this, 'broker') };
  }

  /**
   * The WebSocket closing handshake (RFC 6455 §7.1.2): who sent the first close frame, and whether the other side
   * answered with its own. A completed handshake started by the client is a clean close by the client, even
   * though the server then closes TCP first, as §7.1.1 asks of servers.
   */
  closingHandshake(): { by: Direction; complete: boolean } | null {
    const by = this.closeFirst;
    return by === null ? null : { by, complete: this.sides[by === 'client' ? 'broker' : 'client'].closeSent };
  }

  /** A close frame from `dir` (Side.control). */
  closeFrame(dir: Direction): void {
    this.closeFirst ??= dir;
  }

  push(dir: Direction, bytes: Uint8Array, time: number): void {
    const s = this.sides[dir];
    if (s.phase === 'ignored' || bytes.length === 0) return;
    if (s.phase === 'head') {
      const r = s.head.push(bytes);
      if (r.kind === 'more') return;
      if (r.kind === 'error') return this.notHttp(dir, r.message, time);
      const rest = bytes.subarray(r.length);
      if (dir === 'client') this.onRequest(r.head as HttpRequestHead, time);
      else this.onResponse(r.head as HttpResponseHead, time);
      if ((s.phase as Side['phase']) !== 'frames' || rest.length === 0) return;
      bytes = rest;
    }
    s.frames!.push(bytes, time, s);
  }

  /** `n` bytes of one direction were lost (a TCP gap in a capture, recording shed under load). */
  gap(dir: Direction, n: number, time: number): void {
    const s = this.sides[dir];
    if (s.phase === 'frames') s.frames!.gap(n, time, s);
    else if (s.phase === 'head') {
      s.phase = 'ignored';
      this.sink.event(dir, time, 'websocket-protocol-error', `${n} bytes of the ${dir}'s HTTP handshake are missing: this direction is not decoded`);
    }
  }

  /** Both streams ended: what was cut short is reported, the counted events summed up. */
  end(time: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of [this.sides.client, this.sides.broker]) {
      if (s.phase === 'frames') {
        s.frames!.end(time, s);
        if (s.lost || s.heldBytes) {
          if (!s.lost) s.lost = 'gap';
          s.lostBytes += s.heldBytes;
          s.held = [];
          s.heldBytes = 0;
          s.lostMessage(time, s.compressed);
        }
      }
      const more = (n: number, what: string) => (n > this.limits.maxListed ? `${n} ${what} from the ${s.dir} in all (the first ${this.limits.maxListed} are listed)` : null);
      const pings = more(s.pings, 'pings');
      if (pings) this.sink.event(s.dir, time, 'websocket-ping', pings);
      const pongs = more(s.pongs, 'pongs');
      if (pongs) this.sink.event(s.dir, time, 'websocket-pong', pongs);
      const errors = more(s.errors, 'WebSocket protocol errors');
      if (errors) this.sink.event(s.dir, time, 'websocket-protocol-error', errors);
      const bad = more(s.invalidUtf8, 'text messages with invalid UTF-8');
      if (bad) this.sink.event(s.dir, time, 'websocket-invalid-utf8', bad);
      if (s.heartbeats > 1) this.sink.event(s.dir, time, 'sockjs-heartbeat', `${s.heartbeats} SockJS heartbeats from the ${s.dir} in all`);
    }
  }

  // --- handshake --------------------------------------------------------------------------------------------

  private notHttp(dir: Direction, message: string, time: number): void {
    this.sink.event(dir, time, dir === 'client' ? 'http-not-websocket' : 'websocket-protocol-error', `${dir}: ${message}; not decoded`);
    this.sides.client.phase = 'ignored';
    this.sides.broker.phase = 'ignored';
  }

  private onRequest(req: HttpRequestHead, time: number): void {
    const h = this.handshakeInfo;
    h.request = req;
    if (!isWebSocketUpgrade(req)) {
      const sockjs = sockJsHttpTransport(req.target);
      if (sockjs) {
        this.sink.event('client', time, 'sockjs-unsupported-transport',
          `${req.method} ${maskTarget(req.target)}: SockJS over ${sockjs === 'info' ? 'HTTP (its /info request)' : `the "${sockjs}" transport`}, not WebSocket; not decoded`);
      } else {
        this.sink.event('client', time, 'http-not-websocket', `${req.method} ${maskTarget(req.target)} is an HTTP request, not a WebSocket upgrade; not decoded`);
      }
      this.sides.client.phase = 'ignored';
      this.sides.broker.phase = 'ignored';
      return;
    }
    h.offeredSubprotocols = (headerOf(req.headers, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const c = this.sides.client;
    c.phase = 'frames';
    c.frames = new WebSocketFrameDecoder({ masked: true, rsv1Allowed: () => this.handshakeInfo.deflate });
    this.sink.handshake(h);
  }

  private onResponse(res: HttpResponseHead, time: number): void {
    const h = this.handshakeInfo;
    h.response = res;
    const b = this.sides.broker;
    if (res.status !== 101) {
      this.sink.handshake(h);
      this.sink.event('broker', time, 'websocket-upgrade-refused',
        `the server answered ${res.status} ${res.reason}${h.request ? ` to the upgrade of ${maskTarget(h.request.target)}` : ''}: no WebSocket; not decoded`);
      this.sides.client.phase = 'ignored';
      b.phase = 'ignored';
      return;
    }
    h.subprotocol = headerOf(res.headers, 'sec-websocket-protocol') ?? null;
    h.extensions = headerOf(res.headers, 'sec-websocket-extensions') ?? null;
    h.deflate = deflateParams(h.extensions) !== null;
    b.phase = 'frames';
    b.frames = new WebSocketFrameDecoder({ masked: false, rsv1Allowed: () => this.handshakeInfo.deflate });
    this.sink.handshake(h);
    const at = h.request ? ` at ${maskTarget(h.request.target)}` : '';
    this.sink.event('broker', time, 'websocket-upgrade',
      `upgraded to WebSocket${at}, subprotocol ${h.subprotocol !== null ? maskSubprotocol(h.subprotocol) : 'none'}${h.deflate ? ', permessage-deflate' : ''}`);
    // SockJS endpoints (…/websocket) negotiate no subprotocol by design: nothing worth a note there.
    const sockjsPath = /\/websocket(\?|$)/.test(h.request?.target ?? '');
    if (!sockjsPath && (!h.subprotocol || !/^v1[012]\.stomp$/i.test(h.subprotocol))) {
      this.sink.event('broker', time, 'websocket-no-stomp-subprotocol',
        `the server chose ${h.subprotocol ? `the subprotocol "${maskSubprotocol(h.subprotocol)}"` : 'no subprotocol'}` +
          `${h.offeredSubprotocols.length ? ` (the client offered ${h.offeredSubprotocols.map(maskSubprotocol).join(', ')})` : ''}`);
    }
  }

  // --- messages ---------------------------------------------------------------------------------------------

  /** Decoded (unmasked, decompressed) bytes of a data message. */
  decoded(s: Side, bytes: Uint8Array, time: number): void {
    if (this.mode === 'undecided') {
      this.mode = looksLikeSockJs(bytes[0], s.dir === 'broker') ? 'sockjs' : 'raw';
      if (this.mode === 'sockjs') {
        this.handshakeInfo.transport = 'sockjs';
        this.sink.handshake(this.handshakeInfo);
      }
    }
    // Checked before the bytes go on, so that an issue about them reaches the recorder before their frame.
    s.checkUtf8(bytes, time);
    if (this.mode === 'raw') this.sink.payload(s.dir, bytes, time);
    else s.hold(bytes);
  }

  /** A data message ended: a SockJS frame is complete. */
  afterMessage(s: Side, time: number): void {
    if (this.mode !== 'sockjs') return;
    if (s.lost) {
      s.lostMessage(time, false);
      return;
    }
    const data = concat(s.held, s.heldBytes);
    s.held = [];
    s.heldBytes = 0;
    if (data.length === 0 && s.dir === 'client') return;
    const text = new TextDecoder('utf-8').decode(data);
    const f = s.dir === 'broker' ? parseServerFrame(text) : parseClientFrame(text);
    switch (f.kind) {
      case 'open':
        return;
      case 'heartbeat':
        if (++s.heartbeats === 1) this.sink.event(s.dir, time, 'sockjs-heartbeat', `SockJS heartbeat ("h") from the ${s.dir}`);
        return;
      case 'close':
        this.sink.event(s.dir, time, 'sockjs-close', `the ${s.dir} closed the SockJS session: ${f.code ?? 'no code'}${f.reason ? ` "${f.reason}"` : ''}`);
        return;
      case 'error':
        this.sink.event(s.dir, time, 'sockjs-protocol-error', `${s.dir}: ${f.message}`);
        return;
      case 'messages': {
        const enc = new TextEncoder();
        for (const m of f.messages) if (m.length) this.sink.payload(s.dir, enc.encode(m), time);
      }
    }
  }
}
