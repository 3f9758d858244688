// The transport layer under the conversation stage's STOMP decoders: it looks at the first bytes the client
// sent and, when they are an HTTP request (a WebSocket upgrade, STOMP over WebSocket or SockJS), routes both
// directions through the sans-IO WebSocket layer (shared/websocket/upgrade.ts), so that the stage decodes the
// STOMP stream inside the WebSocket messages (RFC 6455 §5) instead of the wire bytes. Anything else is plain
// STOMP over TCP or TLS: the tap steps aside after the first client bytes and costs nothing afterwards.
// Pure: decompression (RFC 7692) is an InflaterFactory the caller gives, or none.

import type { Direction } from '../stomp/types.js';
import { looksLikeHttpRequest } from '../websocket/http.js';
import { WebSocketConnection, type Handshake, type InflaterFactory, type TransportLimits } from '../websocket/upgrade.js';
import { ISSUES, type IssueCode } from '../issues.js';
import type { ConnectionEvent } from './types.js';

/** What the tap drives in its stage. */
export interface TapTarget {
  /** STOMP bytes of one direction (the wire bytes of a plain connection, the unwrapped stream of a WebSocket). */
  payload(dir: Direction, bytes: Uint8Array, time: number): void;
  /** Bytes of one direction's STOMP stream that are lost. */
  streamGap(dir: Direction, n: number, time: number): void;
  event(time: number, e: ConnectionEvent): void;
  /** The connection's transport ('websocket' | 'sockjs') and its handshake, as JSON. */
  transport(kind: string, handshakeJson: string): void;
}

export class TransportTap {
  /** Still deciding, or a WebSocket: while true the stage hands every byte to the tap. */
  active = true;
  private ws: WebSocketConnection | null = null;
  /** The client's first bytes while they could still be the start of an HTTP method. */
  private held: Uint8Array | null = null;
  private heldTime = 0;

  constructor(private readonly target: TapTarget, private readonly limits?: Partial<TransportLimits>, private readonly inflate: InflaterFactory | null = null) {}

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
