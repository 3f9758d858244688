// The transport layer under a ConnectionRecorder's STOMP decoders: it looks at the first bytes the client
// sent and, when they are an HTTP request (a WebSocket upgrade, STOMP over WebSocket or SockJS), routes both
// directions through the sans-IO WebSocket layer (shared/transport/upgrade.ts), so that the recorder stores
// and decodes the STOMP stream inside the WebSocket messages instead of the wire bytes. Anything else is plain
// STOMP over TCP or TLS: the tap steps aside after the first client bytes and costs nothing afterwards.
// Every feeder (proxy, capture import, replay) gets it through ConnectionRecorder, on any port.

import zlib from 'node:zlib';
import type { Direction } from '../../../shared/stomp/types.js';
import { looksLikeHttpRequest } from '../../../shared/transport/http.js';
import { WebSocketConnection, type Handshake, type Inflater, type InflaterFactory, type TransportLimits } from '../../../shared/transport/upgrade.js';
import { ISSUES, type IssueCode } from '../../../shared/issues.js';
import type { ConnectionEvent } from './connection-recorder.js';

/** What the tap drives in its recorder. */
export interface TapTarget {
  /** STOMP bytes of one direction (the wire bytes of a plain connection, the unwrapped stream of a WebSocket). */
  payload(dir: Direction, bytes: Uint8Array, time: number): void;
  /** Bytes of one direction's STOMP stream that are lost. */
  streamGap(dir: Direction, n: number, time: number): void;
  event(time: number, e: ConnectionEvent): void;
  /** The connection's transport ('websocket' | 'sockjs') and its handshake, as JSON. */
  transport(kind: string, handshakeJson: string): void;
}

/** The deflate tail a sender removes from each message (RFC 7692 §7.2.1); put back before inflating. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const WINDOW = 32 * 1024;
/** A decompressed message larger than this is refused (a decompression bomb would otherwise take the memory). */
const MAX_INFLATED = 64 * 1024 * 1024;

/**
 * permessage-deflate with Node's zlib, one message at a time and synchronously: context takeover is the
 * previous messages' last 32 KiB of output given as the preset dictionary, which is exactly the sliding window
 * the compressor kept (RFC 7692 §7.2.3.2 "using the LZ77 sliding window of the previous messages").
 */
export const nodeInflater: InflaterFactory = ({ noContextTakeover }) => {
  let window: Buffer | null = null;
  const inflater: Inflater = {
    inflate(message) {
      try {
        const out = zlib.inflateRawSync(Buffer.concat([message, TAIL]), {
          finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_INFLATED, ...(window ? { dictionary: window } : {}),
        });
        if (!noContextTakeover && out.length) {
          const joined = window ? Buffer.concat([window, out]) : out;
          window = Buffer.from(joined.subarray(Math.max(0, joined.length - WINDOW)));
        }
        return out;
      } catch (e) {
        return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
      }
    },
  };
  return inflater;
};

export class TransportTap {
  /** Still deciding, or a WebSocket: while true the recorder hands every byte to the tap. */
  active = true;
  private ws: WebSocketConnection | null = null;
  /** The client's first bytes while they could still be the start of an HTTP method. */
  private held: Uint8Array | null = null;
  private heldTime = 0;

  constructor(private readonly target: TapTarget, private readonly limits?: Partial<TransportLimits>, private readonly inflate: InflaterFactory | null = nodeInflater) {}

  push(dir: Direction, bytes: Uint8Array, time: number): void {
    if (this.ws) return this.ws.push(dir, bytes, time);
    if (dir === 'broker') return this.plain(dir, bytes, time); // STOMP and WebSocket servers both wait for the client
    let b = bytes;
    if (this.held) {
      b = new Uint8Array(this.held.length + bytes.length);
      b.set(this.held);
      b.set(bytes, this.held.length);
    }
    const verdict = looksLikeHttpRequest(b);
    if (verdict === 'more') {
      this.held = b === bytes ? bytes.slice() : b;
      this.heldTime = time;
      return;
    }
    this.held = null;
    if (verdict === 'no') return this.plain(dir, b, time);
    this.ws = new WebSocketConnection(this.sink(), this.inflate, this.limits);
    this.ws.push(dir, b, time);
  }

  /** Unwrapping a WebSocket (not just looking at the first bytes). */
  get unwrapping(): boolean {
    return this.ws !== null;
  }

  /** The WebSocket closing handshake so far (who sent the first close frame, and whether it was answered), or null. */
  get closingHandshake(): { by: Direction; complete: boolean } | null {
    return this.ws ? this.ws.closingHandshake() : null;
  }

  /** Bytes lost on the wire: in a WebSocket, the tap's business; while sniffing, the end of sniffing (plain STOMP). */
  gap(dir: Direction, n: number, time: number): void {
    if (this.ws) this.ws.gap(dir, n, time);
    else this.plain(dir, null, time);
  }

  end(time: number): void {
    if (this.ws) this.ws.end(time);
    else if (this.held) this.plain('client', null, time);
  }

  /** Not a WebSocket: what was held goes to the STOMP decoder, and the tap is out of the way from now on. */
  private plain(dir: Direction, bytes: Uint8Array | null, time: number): void {
    this.active = false;
    const held = this.held;
    this.held = null;
    if (held) this.target.payload('client', held, this.heldTime);
    if (bytes) this.target.payload(dir, bytes, time);
  }

  private sink() {
    const t = this.target;
    return {
      payload: (dir: Direction, bytes: Uint8Array, time: number) => t.payload(dir, bytes, time),
      gap: (dir: Direction, n: number, time: number) => t.streamGap(dir, n, time),
      event: (dir: Direction | null, time: number, code: IssueCode, message: string, offset?: number) =>
        t.event(time, offset === undefined ? { code, severity: ISSUES[code].severity, message, dir } : { code, severity: ISSUES[code].severity, message, dir, offset }),
      handshake: (h: Handshake) => t.transport(h.transport, JSON.stringify(h)),
    };
  }
}
