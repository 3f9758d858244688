// The STOMP wire model shared by every feeder (proxy, capture import, replay) and every view.
// Principle: keep the wire truth (raw bytes, offsets, ordered header pairs as sent), interpret separately.

export type Direction = 'client' | 'broker';
export type StompVersion = '1.0' | '1.1' | '1.2';
export type Severity = 'error' | 'warning' | 'note';

/** A header exactly as it was on the wire: name and value still escaped, never trimmed. */
export type RawHeader = [name: string, value: string];

/** Something wrong or notable on the wire. `offset` is the byte offset in that direction's stream. */
export interface WireIssue {
  code: string;
  severity: Severity;
  message: string;
  offset: number;
  /** Number of bytes concerned, when the issue covers a range (garbage run, capture gap). */
  length?: number;
}

/** One STOMP frame as the decoder saw it in one direction's byte stream. */
export interface DecodedFrame {
  kind: 'frame';
  /** Byte offset of the command's first byte in this direction's stream. */
  offset: number;
  /** Raw length in bytes, from the command's first byte up to and including the terminating NUL. */
  length: number;
  /** Timestamp (microseconds since the Unix epoch) of the chunk that held the frame's first byte. */
  time: number;
  /** Timestamp of the chunk that completed the frame. */
  endTime: number;
  command: string;
  /** Ordered, with repeats, as on the wire (escaped form; see `escape.ts` for the per-version view). */
  headers: RawHeader[];
  /** True when the frame's lines ended with CRLF (STOMP 1.2 allows it). */
  crlf: boolean;
  /** Absolute byte offset of the body in this direction's stream. */
  bodyOffset: number;
  bodyLength: number;
  /**
   * The body bytes. A view into the pushed chunk or into decoder-owned memory that is valid only during
   * the sink call that delivers the frame; copy it (`body.slice()`) to keep it. Null when the body was
   * larger than the decoder's body limit (the length and offset still say where it is in the stream).
   */
  body: Uint8Array | null;
  /** Problems found while decoding this frame (bad content-length, header line too long, …). */
  issues: WireIssue[];
}

/**
 * An EOL at a frame boundary. Only a candidate heart-beat: the EOL that directly follows a frame's NUL merely
 * ends that frame, and none is a heart-beat where none were negotiated; ConnectionAnalyzer.heartbeat decides.
 */
export interface HeartBeat {
  kind: 'heartbeat';
  offset: number;
  /** 1 for LF, 2 for CRLF. */
  length: number;
  time: number;
}

/** An issue that belongs to no frame (garbage between frames, truncated stream at end, …). */
export interface StreamIssue extends WireIssue {
  kind: 'issue';
  time: number;
}

export type DecodeEvent = DecodedFrame | HeartBeat | StreamIssue;

export interface DecoderLimits {
  /** Longest command or header line accepted, in bytes (default 64 KiB). */
  maxLineBytes: number;
  /** Most headers accepted in one frame (default 1000). */
  maxHeaders: number;
  /** Largest body kept in memory (default 64 MiB). Longer bodies are skipped and reported, not kept. */
  maxBodyBytes: number;
}
