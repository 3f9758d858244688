// WebSocket framing (RFC 6455 §5), one direction, incremental and sans-IO: bytes in; message starts, payload
// bytes (unmasked), message ends, control frames and protocol errors out. Any chunking of the input gives the
// same output (payload may come in different pieces, their concatenation is the same). Memory is bounded: data
// payloads are streamed through, only a frame header (≤ 14 bytes) and a control payload (≤ 125 bytes) are held.

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface FrameSink {
  /** A data message begins (its first frame: text or binary). `compressed`: RSV1 set (permessage-deflate). */
  messageStart(opcode: number, compressed: boolean, time: number): void;
  /** Payload bytes of the current data message, unmasked. May be a view into the pushed bytes. */
  payload(bytes: Uint8Array, time: number): void;
  /** Payload bytes of the current data message that were lost (a capture gap). */
  payloadGap(n: number, time: number): void;
  /** The current data message is complete (its FIN frame ended). */
  messageEnd(time: number): void;
  control(opcode: number, payload: Uint8Array, time: number): void;
  /**
   * Something against RFC 6455. `fatal`: the frame boundaries are lost (an impossible length, a gap outside a
   * payload), so nothing more of this direction is decoded.
   */
  protocolError(message: string, fatal: boolean, time: number): void;
}

export interface FrameDecoderOptions {
  /** Frames of this direction must be masked (client to server) or must not be (server to client), §5.1. */
  masked: boolean;
  /** permessage-deflate was negotiated: RSV1 marks a compressed message (RFC 7692 §6). */
  rsv1Allowed?: () => boolean;
}

const enum State {
  Header,
  Payload,
  Dead,
}

/** Largest payload length taken at face value: beyond 2^53 a JavaScript number cannot count the bytes. */
const MAX_LENGTH = Number.MAX_SAFE_INTEGER;

export class WebSocketFrameDecoder {
  private state = State.Header;
  private readonly head = new Uint8Array(14);
  private headLen = 0;
  private opcode = 0;
  private fin = false;
  private mask: Uint8Array | null = null;
  private maskAt = 0;
  private remaining = 0;
  private control: Uint8Array | null = null;
  private controlLen = 0;
  /** Inside a fragmented data message (its first frame had no FIN). */
  private inMessage = false;
  private maskWarned = false;
  private closed = false;
  /** Frames decoded so far (data and control). */
  frames = 0;

  constructor(private readonly opts: FrameDecoderOptions) {}

  get dead(): boolean {
    return this.state === State.Dead;
  }

  push(b: Uint8Array, time: number, sink: FrameSink): void {
    let i = 0;
    const n = b.length;
    while (i < n && this.state !== State.Dead) {
      if (this.state === State.Header) {
        this.head[this.headLen++] = b[i++];
        const need = this.headNeed();
        if (this.headLen < need) continue;
        this.startFrame(time, sink);
        continue;
      }
      // Payload.
      const take = Math.min(this.remaining, n - i);
      const part = b.subarray(i, i + take);
      i += take;
      this.remaining -= take;
      if (this.opcode >= 8) {
        const room = 125 - this.controlLen;
        if (room > 0 && this.control) {
          this.control.set(this.unmask(part).subarray(0, room), this.controlLen);
          this.controlLen += Math.min(room, part.length);
        } else if (this.mask) this.maskAt = (this.maskAt + part.length) & 3;
      } else if (this.opcode !== -1) {
        sink.payload(this.unmask(part), time);
      }
      if (this.remaining === 0) this.endFrame(time, sink);
    }
  }

  /** `n` bytes of this direction were lost. Inside a data payload the frames stay in step; elsewhere they are lost. */
  gap(n: number, time: number, sink: FrameSink): void {
    if (this.state === State.Dead) return;
    if (this.state === State.Payload && this.opcode < 8 && this.opcode !== -1 && n <= this.remaining) {
      this.remaining -= n;
      if (this.mask) this.maskAt = (this.maskAt + n) & 3;
      sink.payloadGap(n, time);
      if (this.remaining === 0) this.endFrame(time, sink);
      return;
    }
    this.state = State.Dead;
    sink.protocolError(`${n} bytes missing outside a message's payload: the WebSocket frame boundaries of this direction are lost`, true, time);
  }

  /** End of the stream: a frame cut short is reported. */
  end(time: number, sink: FrameSink): void {
    if (this.state === State.Dead) return;
    if (this.state === State.Payload || this.headLen > 0) {
      sink.protocolError(`the stream ended inside a WebSocket frame (${this.state === State.Payload ? `${this.remaining} payload bytes missing` : 'in its header'})`, false, time);
    } else if (this.inMessage) {
      sink.protocolError('the stream ended inside a fragmented WebSocket message (no final frame)', false, time);
    }
    this.state = State.Dead;
  }

  private headNeed(): number {
    if (this.headLen < 2) return 2;
    const len7 = this.head[1] & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.head[1] & 0x80 ? 4 : 0);
  }

  private startFrame(time: number, sink: FrameSink): void {
    const h = this.head;
    this.headLen = 0;
    this.frames++;
    const fin = (h[0] & 0x80) !== 0;
    const rsv1 = (h[0] & 0x40) !== 0;
    const opcode = h[0] & 0x0f;
    const masked = (h[1] & 0x80) !== 0;
    const len7 = h[1] & 0x7f;
    let at = 2;
    let length = len7;
    if (len7 === 126) {
      length = (h[2] << 8) | h[3];
      at = 4;
    } else if (len7 === 127) {
      const hi = ((h[2] << 24) | (h[3] << 16) | (h[4] << 8) | h[5]) >>> 0;
      const lo = ((h[6] << 24) | (h[7] << 16) | (h[8] << 8) | h[9]) >>> 0;
      length = hi * 2 ** 32 + lo;
      at = 10;
      if (hi & 0x80000000 || length > MAX_LENGTH) {
        this.state = State.Dead;
        sink.protocolError(`impossible 64-bit payload length (most significant bit set or beyond 2^53): frame boundaries lost`, true, time);
        return;
      }
    }
    if (masked) {
      this.mask = h.slice(at, at + 4);
      this.maskAt = 0;
    } else this.mask = null;
    if (masked !== this.opts.masked && !this.maskWarned) {
      // §5.1: a server closes on an unmasked client frame, a client on a masked server frame. Said once.
      this.maskWarned = true;
      sink.protocolError(this.opts.masked ? 'an unmasked frame from the client (clients must mask every frame)'
        : 'a masked frame from the server (servers must not mask)', false, time);
    }
    if (h[0] & 0x30) sink.protocolError(`reserved bits RSV2/RSV3 set (no extension defines them here)`, false, time);
    this.fin = fin;
    this.remaining = length;
    this.opcode = opcode;
    if (this.closed) sink.protocolError(`a frame (opcode ${opcode}) after this side's close frame`, false, time);
    if (opcode >= 8) {
      if (opcode > 10) sink.protocolError(`reserved control opcode ${opcode}`, false, time);
      if (!fin) sink.protocolError(`a fragmented control frame (opcode ${opcode}): control frames must not be fragmented`, false, time);
      if (length > 125) sink.protocolError(`a control frame (opcode ${opcode}) with ${length} bytes of payload (at most 125)`, false, time);
      if (rsv1) sink.protocolError('RSV1 set on a control frame', false, time);
      this.control = new Uint8Array(Math.min(length, 125));
      this.controlLen = 0;
    } else if (opcode === OPCODE.continuation) {
      if (!this.inMessage) {
        sink.protocolError('a continuation frame without a message to continue: its payload is skipped', false, time);
        this.opcode = -1;
      } else if (rsv1) sink.protocolError('RSV1 set on a continuation frame', false, time);
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.inMessage) {
        sink.protocolError('a new message began before the fragmented one ended (its final frame never came)', false, time);
        sink.messageEnd(time);
      }
      if (rsv1 && !this.opts.rsv1Allowed?.()) sink.protocolError('RSV1 set but no extension (permessage-deflate) was negotiated', false, time);
      this.inMessage = true;
      sink.messageStart(opcode, rsv1, time);
    } else {
      sink.protocolError(`reserved data opcode ${opcode}: its payload is skipped`, false, time);
      this.opcode = -1;
    }
    this.state = State.Payload;
    if (length === 0) this.endFrame(time, sink);
  }

  private endFrame(time: number, sink: FrameSink): void {
    this.state = State.Header;
    if (this.opcode >= 8) {
      const payload = this.control!.subarray(0, this.controlLen);
      this.control = null;
      if (this.opcode === OPCODE.close) this.closed = true;
      sink.control(this.opcode, payload, time);
    } else if (this.opcode !== -1 && this.fin) {
      this.inMessage = false;
      sink.messageEnd(time);
    }
  }

  private unmask(part: Uint8Array): Uint8Array {
    const m = this.mask;
    if (!m) return part;
    const out = new Uint8Array(part.length);
    let k = this.maskAt;
    for (let j = 0; j < part.length; j++) {
      out[j] = part[j] ^ m[k];
      k = (k + 1) & 3;
    }
    this.maskAt = k;
    return out;
  }
}

/** Close frame payload (§5.5.1): an optional 2-byte status code and a UTF-8 reason. */
export function parseClose(payload: Uint8Array): { code: number | null; reason: string } {
  if (payload.length < 2) return { code: null, reason: '' };
  return { code: (payload[0] << 8) | payload[1], reason: new TextDecoder('utf-8').decode(payload.subarray(2)) };
}

/** Encodes one frame (tests and fake peers). `mask`: 4 bytes to mask with (client frames). */
export function encodeFrame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; mask?: Uint8Array; rsv1?: boolean } = {}): Uint8Array {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const m = opts.mask;
  const out = new Uint8Array(2 + ext + (m ? 4 : 0) + n);
  out[0] = ((opts.fin ?? true) ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) | (opcode & 0x0f);
  out[1] = (m ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  let at = 2;
  if (ext === 2) {
    out[2] = n >> 8;
    out[3] = n & 0xff;
    at = 4;
  } else if (ext === 8) {
    const hi = Math.floor(n / 2 ** 32);
    const lo = n >>> 0;
    out[2] = hi >>> 24;
    out[3] = (hi >>> 16) & 0xff;
    out[4] = (hi >>> 8) & 0xff;
    out[5] = hi & 0xff;
    out[6] = lo >>> 24;
    out[7] = (lo >>> 16) & 0xff;
    out[8] = (lo >>> 8) & 0xff;
    out[9] = lo & 0xff;
    at = 10;
  }
  if (m) {
    out.set(m.subarray(0, 4), at);
    at += 4;
    for (let j = 0; j < n; j++) out[at + j] = payload[j] ^ m[j & 3];
  } else out.set(payload, at);
  return out;
}
