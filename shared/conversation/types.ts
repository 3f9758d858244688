// What the conversation stage (conversation.ts) is fed besides bytes, and the events it emits to its sink.
// Pure data: the stage's sink decides where they go (the recorder writes them to the store, a test keeps them
// in arrays, the replay client reacts to the broker's frames).

import type { Finding, Link } from '../analysis/types.js';
import type { DeliveryCorrelator } from '../analysis/delivery.js';
import type { ProfileName } from '../analysis/profiles.js';
import type { DecodedFrame, DecoderLimits, Direction, Severity, StompVersion, WireIssue } from '../stomp/types.js';
import type { InflaterFactory, TransportLimits } from '../websocket/upgrade.js';

/** What a feeder says happened to a connection besides bytes (resets, unreachable upstream, …). */
export interface ConnectionEvent {
  code: string;
  severity: Severity;
  message: string;
  dir?: Direction | null;
  /** Where in `dir`'s STOMP stream it is, when it is about bytes of it: the issue then goes on the frame holding them. */
  offset?: number;
}

type Headers = readonly (readonly [string, string])[];

/**
 * What the proxy did to a frame besides forwarding it as sent: given with the bytes of one whole frame (`push`), and
 * carried by the frame they become. Proxy rules record both what the peer sent and what the other side got: a frame
 * the other side never got is in its sender's stream with `forwarded: false`; a frame a rule made up, with
 * `synthesized: true`; a rewritten frame's stream bytes are what the other side got, and `original` the peer's.
 */
export interface FrameMark {
  /** StompScope wrote the frame into the stream itself (edit and resend into a live connection). */
  injected?: boolean;
  /** The rule that acted on the frame, and what it did. */
  rule?: string;
  action?: string;
  /** false: the other peer never got the frame (dropped, answered instead). Default true. */
  forwarded?: boolean;
  synthesized?: boolean;
  /** The bytes the peer sent, when a rule rewrote them. */
  original?: Uint8Array | null;
}

/**
 * One frame, as the stage emits it. The object is reused for the next frame (the recording path allocates no
 * event per frame): a sink copies what it keeps before it returns.
 */
export interface ConversationFrame {
  dir: Direction;
  /** The frame's place among the connection's frames, both directions together, from 0. */
  seq: number;
  /** The decoder's frame: raw headers as on the wire, offsets, the body (valid only during the call). */
  frame: DecodedFrame;
  /**
   * The header view: unescaped per the negotiated version (STOMP 1.2 §Value Encoding), or the raw headers when
   * nothing in them is escaped (most frames), or when no CONNECTED was seen (a capture picked up mid-stream).
   */
  headers: Headers;
  /** The interpreted destination header (first occurrence wins, STOMP 1.2 §Repeated Header Entries), or null. */
  destination: string | null;
  /** StompScope wrote this frame into the stream itself (proxy injection), not either peer. */
  injected: boolean;
  /** What a proxy rule did to it (FrameMark), or null: forwarded as the peer sent it. */
  mark: FrameMark | null;
  /** Issues of this frame: the decoder's, the negotiation's, the header view's, in that order. */
  issues: readonly WireIssue[];
}

/** An issue that is not one of a frame's own (a feeder's event, a stream issue, a gap, a shed span). */
export interface ConversationIssue {
  time: number;
  code: string;
  severity: Severity;
  message: string;
  dir: Direction | null;
  offset: number | null;
  /** The frame it is about, when it lies in an emitted frame's bytes; null otherwise. */
  frameId: number | null;
}

/** The connection's negotiated state (STOMP 1.2 §Protocol Negotiation, §Heart-beating), emitted once at CONNECTED. */
export interface Negotiated {
  version: StompVersion;
  /** Effective heart-beat periods in ms each way (0 = none), or null when no CONNECT was seen or a heart-beat header was malformed. */
  heartBeats: { clientToBroker: number; brokerToClient: number } | null;
  /** The broker profile (chosen, or detected from CONNECTED's server header), or null. */
  profile: ProfileName | null;
  /** 'tcp' (plain STOMP), 'websocket' or 'sockjs'. */
  transport: string;
}

/** Where the stage's events go. Every method is called synchronously, in wire order. */
export interface ConversationSink {
  /**
   * Bytes of `dir`'s STOMP stream (the wire bytes of plain STOMP, the unwrapped stream of a WebSocket), before they
   * are decoded, so that a frame's bytes are with the sink before the frame is.
   */
  stream(dir: Direction, bytes: Uint8Array): void;
  /** `n` bytes of `dir`'s STOMP stream are lost (a capture gap, shed, a message the transport could not decode). */
  streamGap(dir: Direction, n: number): void;
  /** A frame; returns the id it gets (links, findings and issues name it). */
  frame(f: ConversationFrame): number;
  /** The frame's issues, links and findings were all emitted (a live console prints its line now). */
  framed?(f: ConversationFrame): void;
  /** An EOL the analysis counts as a heart-beat (STOMP 1.2 §Heart-beating), at `offset` in `dir`'s stream. */
  heartbeat(dir: Direction, time: number, offset: number): void;
  issue(i: ConversationIssue): void;
  link(l: Link): void;
  finding(f: Finding): void;
  /** The broker profile was chosen or detected. */
  profile(name: string): void;
  /** The connection is a WebSocket ('websocket' | 'sockjs'); its handshake as JSON. */
  transport(kind: string, handshakeJson: string): void;
  negotiated(n: Negotiated): void;
}

export interface ConversationOptions {
  limits?: Partial<DecoderLimits>;
  /** The broker profile the user chose (validated by the caller); null: detect it from CONNECTED. */
  profile?: ProfileName | null;
  /** The session's SEND -> MESSAGE matcher, shared by all its connections. */
  delivery?: DeliveryCorrelator | null;
  /** Names the connection among the session's (for delivery matching). */
  connectionKey?: string | number;
  /**
   * Correlation and expert rules (default true). Without them no links or findings are emitted, and every EOL at a
   * frame boundary is emitted as a heart-beat (nothing tells which ones only end a frame).
   */
  analyze?: boolean;
  /**
   * Look for STOMP over WebSocket / SockJS in the client's first bytes (default true). A feeder that speaks plain
   * STOMP itself (the replay client) turns it off.
   */
  unwrap?: boolean;
  /** permessage-deflate (RFC 7692) for WebSocket messages; null: compressed messages are reported, not decoded. */
  inflate?: InflaterFactory | null;
  transportLimits?: Partial<TransportLimits>;
}
