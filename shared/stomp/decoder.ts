// The incremental, sans-IO STOMP decoder (STOMP 1.0, 1.1 and 1.2) for one direction of one connection.
//
// Bytes and timestamps in; frames, heart-beats and issues out, synchronously, to a sink. Any chunking of the
// same bytes gives the same events (only `time`/`endTime` differ, since they come from the chunks): all
// progress lives in fields, never in the position of a chunk boundary, and every decision is made on
// complete information (a whole line, a whole body) whichever chunk it arrived in.
//
// Wire truth only: headers are kept exactly as sent (escaped, untrimmed, ordered, with repeats); unescaping
// by version is a separate view (escape.ts). Peer bytes never throw: anything malformed becomes an issue and
// the decoder resynchronises. Memory is bounded by DecoderLimits whatever the input.
//
// Speed: one pass over the bytes. NUL-terminated bodies are found with the native Uint8Array#indexOf,
// content-length bodies are not scanned at all, and when a frame lies inside one chunk its body is a view of
// that chunk (no copy). Only frames that straddle chunks are copied, into a reused buffer. Header lines are
// read four bytes at a time where no byte in them matters (head), and a frame's ASCII header lines become
// strings with one native call (flushPending: Node's Latin-1 slice, or TextDecoder without Node): on small frames
// the header strings and the header scan are most of the time.
//
// The same state machine also runs framing-only (the `framing` constructor argument, used by FrameBoundary in
// boundary.ts): it then decides where frames end exactly as it does when decoding, since it is the same code,
// but builds nothing: no events, no header strings, no issues, no body copies. Header lines are looked at only
// for the first content-length; a line that straddles chunks keeps just enough bytes to read one.

import { makeIssue, type IssueCode } from '../issues.js';
import { mayHoldSecret } from './secrets.js';
import {
  COLON,
  COMMAND_CHAR,
  CONTENT_LENGTH,
  CR,
  DEFAULT_LIMITS,
  isKnownCommand,
  KNOWN_COMMANDS,
  LF,
  LONGEST_COMMAND,
  MAX_COMMAND_BYTES,
  MAX_CONTENT_LENGTH_DIGITS,
  mayHaveBody,
  NUL,
} from './spec.js';
import type {
  DecodeEvent,
  DecodedFrame,
  DecoderLimits,
  HeartBeat,
  RawHeader,
  StreamIssue,
  WireIssue,
} from './types.js';

export type DecodeSink = (event: DecodeEvent) => void;

export { DEFAULT_LIMITS };

/** Framing-only operation (see the file comment): told the stream offset just past each frame that ends. */
export interface Framing {
  onFrameEnd: (end: number) => void;
}

// Decoder states. Plain numbers rather than a const enum: isolatedModules, and V8 compares small ints fast.
const S_IDLE = 0; // at a frame boundary: heart-beats or a command's first byte
const S_IDLE_CR = 1; // a CR at a frame boundary; an LF next makes it a CRLF heart-beat
const S_COMMAND = 2; // reading the command line
const S_HEAD = 3; // reading header lines up to the blank line
const S_BODY_CL = 4; // collecting a content-length body
const S_BODY_NUL = 5; // collecting a NUL-terminated body
const S_AWAIT_NUL = 6; // content-length body complete; the next byte must be the NUL
const S_SKIP_CL = 7; // skipping a content-length body not kept (larger than maxBodyBytes, or framing only)
const S_SKIP_NUL = 8; // skipping a NUL-terminated body not kept (larger than maxBodyBytes, or framing only)
const S_GARBAGE = 9; // resynchronising: skipping bytes to the next NUL or known command line

// Byte classes for the header-line scan: one table load per byte instead of several comparisons.
const K_LF = 1;
const K_NUL = 2;
const K_COLON = 3;
const K_HIGH = 4;
const HEAD_CLASS = new Uint8Array(256);
HEAD_CLASS[LF] = K_LF;
HEAD_CLASS[NUL] = K_NUL;
HEAD_CLASS[COLON] = K_COLON;
for (let b = 0x80; b < 0x100; b++) HEAD_CLASS[b] = K_HIGH;

// Known commands grouped by byte length, matched without building a string (and interned for free).
const COMMANDS_BY_LENGTH: Array<Array<{ bytes: Uint8Array; name: string }>> = [];
for (const name of KNOWN_COMMANDS) {
  const bytes = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) bytes[i] = name.charCodeAt(i);
  (COMMANDS_BY_LENGTH[name.length] ??= []).push({ bytes, name });
}

// The first content-length of a frame (STOMP 1.2 §Repeated Header Entries: only the first one counts): none yet,
// one that is not a byte count, or else the count itself.
const CL_NONE = -2;
const CL_BAD = -1;
/** The bytes that start a content-length header line: its name and the colon. */
const CL_PREFIX = Uint8Array.from(CONTENT_LENGTH + ':', (c) => c.charCodeAt(0));
const CL_NAME_LENGTH = CONTENT_LENGTH.length;
/** Longest content-length line that can hold a byte count; any longer one is no byte count. */
const CL_LINE_MAX = CL_PREFIX.length + MAX_CONTENT_LENGTH_DIGITS;
/**
 * Bytes of a header line that straddles chunks kept when framing only: enough to tell a content-length line and
 * read its count (its trailing CR, part of the EOL, is known from the line's last byte).
 */
const FRAMING_LINE_KEEP = CL_LINE_MAX;

// Known commands by their first byte, for the command line's fast path (commandLine).
const COMMANDS_BY_FIRST: Array<Array<{ bytes: Uint8Array; name: string }> | undefined> = new Array<undefined>(256);
for (const list of COMMANDS_BY_LENGTH) for (const c of list ?? []) (COMMANDS_BY_FIRST[c.bytes[0]] ??= []).push(c);

function matchKnownCommand(buf: Uint8Array, len: number): string | null {
  const candidates = COMMANDS_BY_LENGTH[len];
  if (candidates === undefined) return null;
  outer: for (let c = 0; c < candidates.length; c++) {
    const bytes = candidates[c].bytes;
    for (let i = 0; i < len; i++) if (buf[i] !== bytes[i]) continue outer;
    return candidates[c].name;
  }
  return null;
}

const EMPTY = new Uint8Array(0);
/**
 * The issues of every frame that has none (most): one shared array, frozen so that a consumer that tried to add to
 * it would fail loudly instead of giving the issue to every such frame.
 */
const NO_ISSUES = Object.freeze([]) as unknown as WireIssue[];
const NO_WORDS = new DataView(new ArrayBuffer(0));
/** The sink of a framing-only decoder: it builds no events, so none come. */
const IGNORE: DecodeSink = () => {};
/** Most header lines deferred before they are turned into strings (see flushPending). */
const MAX_PENDING = 128;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
/**
 * Node's native Latin-1 slice (what `buffer.toString('latin1', a, b)` calls), where there is one: it takes any
 * Uint8Array as `this`. For ASCII bytes it gives what UTF-8 decoding gives, at about half a TextDecoder call's cost
 * (no view to allocate, no decoder state): measured 53 ns against 112 ns for a 190-byte header block, 12% of a
 * small frame's decoding. The renderer has no Buffer and decodes with TextDecoder.
 */
const nativeLatin1: Latin1Slice | undefined = (globalThis as { Buffer?: { prototype: { latin1Slice?: Latin1Slice } } })
  .Buffer?.prototype.latin1Slice;

/** ASCII bytes `d[a..b)` as a string (the caller knows they are ASCII): header blocks, names, values, commands. */
function asciiBlock(d: Uint8Array, a: number, b: number): string {
  return nativeLatin1 !== undefined ? nativeLatin1.call(d, a, b) : utf8Lossy.decode(d.subarray(a, b));
}

/**
 * The header line `buf[a..b)` (EOL excluded) as a content-length: CL_NONE when it is no content-length header,
 * CL_BAD when its value is no byte count, else the count. Reads at most CL_LINE_MAX bytes of the line.
 */
function contentLengthLine(buf: Uint8Array, a: number, b: number): number {
  // The name is exactly `content-length`: header names are case-sensitive (STOMP 1.2 §Headers), and the name ends
  // at the first colon, so the line starts with the name and a colon.
  const n = b - a;
  const last = CL_PREFIX.length - 1;
  // First and last byte first: rules out every other header quickly, content-type included.
  if (n <= last || buf[a] !== CL_PREFIX[0] || buf[a + last] !== CL_PREFIX[last]) return CL_NONE;
  for (let i = 1; i < last; i++) if (buf[a + i] !== CL_PREFIX[i]) return CL_NONE;
  // STOMP 1.2 §Header content-length: an octet count. Strictly decimal digits: the value is never trimmed,
  // and a sign, a space or a hex prefix means sender and receiver may disagree on where the body ends.
  if (n === CL_PREFIX.length || n > CL_LINE_MAX) return CL_BAD;
  let v = 0;
  for (let i = a + CL_PREFIX.length; i < b; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return CL_BAD;
    v = v * 10 + c;
  }
  return v;
}

function quote(bytes: string): string {
  return JSON.stringify(bytes.length > 60 ? bytes.slice(0, 60) + '…' : bytes);
}

/**
 * A line that did not parse, quoted in an issue message unless it may hold a credential: issue messages are shown
 * as they are wherever header values are masked, and `passcode=…` (a mistyped separator) is still a passcode.
 */
function quoteLine(text: string): string {
  return mayHoldSecret(text) ? `(${text.length} characters, not shown: they may hold a credential)` : quote(text);
}

/**
 * Decodes one direction of one STOMP connection.
 *
 * Events go synchronously to the sink passed to each call. A frame's `body` is a view into the pushed chunk
 * or into decoder-owned memory and is valid only during that sink call: copy it to keep it. The sink must not
 * throw (an exception propagates to the caller of push and leaves this decoder unusable).
 */
export class StompDecoder {
  private readonly maxLine: number;
  private readonly maxHeaders: number;
  private readonly maxBody: number;
  /** Decoding (events built), or framing only (see the file comment). */
  private readonly full: boolean;
  private readonly framing: Framing | null;

  private st = S_IDLE;
  /** After a gap or garbage, only a known command counts as a frame start (see S_COMMAND). */
  private strict = false;
  private _offset = 0;
  /** Absolute stream offset of the current chunk's first byte, and its timestamp. */
  private base = 0;
  private now = 0;

  // The frame being decoded.
  private fStart = 0;
  private fTime = 0;
  private command = '';
  private headers: RawHeader[] = [];
  private issues: WireIssue[] = NO_ISSUES;
  private cmdCR = false;
  private crLines = 0;
  private lfLines = 0;
  /** The frame's first content-length: CL_NONE, CL_BAD or the byte count; its digits, or its text when bad. */
  private clValue = CL_NONE;
  private clDigits = 0;
  private clRaw = '';
  private tooManyHeaders = false;
  private badUtf8 = false;

  // The command line (also when it straddles chunks).
  private readonly cmdBuf = new Uint8Array(MAX_COMMAND_BYTES);
  private cmdLen = 0;

  // A header line that straddles chunks.
  private lineBuf: Uint8Array = EMPTY;
  private lineLen = 0;
  private lineAbs = 0;
  private lineSkip = false;
  private lineLast = 0;
  // Header lines of the current chunk waiting to become strings: [start, colon, end] triples.
  private readonly pend = new Int32Array(3 * MAX_PENDING);
  private pendN = 0;
  /** The pushed chunk for 32-bit reads at any offset (see push), while push() runs. */
  private words: DataView = NO_WORDS;

  // The body.
  private bodyStart = 0;
  private need = 0;
  private bodyBuf: Uint8Array = EMPTY;
  private bodyLen = 0;
  private bodySkipped = false;
  /** Bytes of the current frame that went by unseen (shed()): the frame is delivered, marked. */
  private frameShed = 0;

  // A CR seen at a frame boundary.
  private crAbs = 0;
  private crTime = 0;

  // Garbage / resynchronisation.
  private gStart = 0;
  private gCand = false;
  private readonly gBuf = new Uint8Array(16);
  private gLen = 0;
  private gCR = false;
  private gLineAbs = 0;
  private gLineTime = 0;
  private gAfterNul = false;

  /** With `framing`, the decoder only finds where frames end (scan()); push() is then not to be used. */
  constructor(limits?: Partial<DecoderLimits>, framing?: Framing) {
    const l = { ...DEFAULT_LIMITS, ...limits };
    this.maxLine = Math.max(1, Math.floor(l.maxLineBytes));
    this.maxHeaders = Math.max(0, Math.floor(l.maxHeaders));
    this.maxBody = Math.max(0, Math.floor(l.maxBodyBytes));
    this.framing = framing ?? null;
    this.full = this.framing === null;
    if (!this.full) this.lineBuf = new Uint8Array(FRAMING_LINE_KEEP);
  }

  /** Absolute stream offset just past everything pushed or skipped with gap() so far. */
  get offset(): number {
    return this._offset;
  }

  /** Bytes of memory this decoder holds for the frame in progress (a body being collected, a long header line). */
  get heldBytes(): number {
    return this.bodyBuf.length + this.lineBuf.length;
  }

  /** Feeds the next bytes of the stream; `time` (µs since the epoch) stamps events that start or end here. */
  push(chunk: Uint8Array, time: number, sink: DecodeSink): void {
    this.base = this._offset;
    this.now = time;
    this._offset += chunk.length;
    // The chunk for the header scan's four-byte reads (head). A DataView reads at any offset, so a line is scanned
    // by words from its first byte (an Int32Array view needs aligned reads, and a byte loop up to each boundary
    // cost more than the unaligned reads). Dropped after, not to hold the chunk.
    this.words = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    this.run(chunk, 0, false, sink);
    this.words = NO_WORDS;
  }

  /**
   * Framing only: scans `chunk[from..]` as push() would decode it. With `stopAtBoundary`, stops at the first place
   * where the stream is between frames (just past a frame's NUL or a heart-beat EOL, or where garbage ends) and
   * returns its index in the chunk; otherwise, or when there is none, scans it all and returns `chunk.length`.
   */
  scan(chunk: Uint8Array, from: number, stopAtBoundary: boolean): number {
    if (this.full) throw new Error('StompDecoder.scan() is for a framing-only decoder');
    this.base = this._offset - from;
    const pos = this.run(chunk, from, stopAtBoundary, IGNORE);
    this._offset = this.base + pos;
    return pos;
  }

  /** The bytes so far end between two frames (heart-beats included): a whole frame may be inserted here. */
  get atBoundary(): boolean {
    return this.st === S_IDLE;
  }

  /** The state machine over `chunk[from..]`; answers where it stopped. */
  private run(chunk: Uint8Array, from: number, stopAtBoundary: boolean, sink: DecodeSink): number {
    const end = chunk.length;
    let pos = from;
    while (pos < end) {
      if (stopAtBoundary && this.st === S_IDLE && pos > from) break;
      switch (this.st) {
        case S_IDLE:
          pos = this.idle(chunk, pos, end, sink);
          break;
        case S_COMMAND:
          pos = this.commandLine(chunk, pos, end);
          break;
        case S_HEAD:
          pos = this.head(chunk, pos, end, sink);
          break;
        case S_BODY_CL:
          pos = this.bodyCL(chunk, pos, end, sink);
          break;
        case S_BODY_NUL:
          pos = this.bodyNul(chunk, pos, end, sink);
          break;
        case S_AWAIT_NUL:
          pos = this.terminator(chunk, pos, sink);
          break;
        case S_SKIP_CL: {
          const n = Math.min(this.need, end - pos);
          this.need -= n;
          pos += n;
          if (this.need === 0) this.st = S_AWAIT_NUL;
          break;
        }
        case S_SKIP_NUL:
          pos = this.skipNul(chunk, pos, end, sink);
          break;
        case S_IDLE_CR:
          if (chunk[pos] === LF) {
            this.st = S_IDLE;
            if (this.full) sink(heartBeat(this.crAbs, 2, this.crTime));
            pos++;
          } else {
            this.startGarbage(this.crAbs, false);
          }
          break;
        default:
          pos = this.garbage(chunk, pos, end, sink);
      }
    }
    return pos;
  }

  /**
   * The stream ended (connection closed, capture over). A frame still open is delivered as far as it got, with
   * a `truncated-frame` issue; pending garbage is reported. The decoder is then back at a frame boundary.
   */
  end(time: number, sink: DecodeSink): void {
    const at = this._offset;
    switch (this.stopAt(time, sink)) {
      case S_IDLE:
        break;
      case S_COMMAND:
        sink(streamIssue('truncated-frame', 'stream ended inside a command line', this.fStart, at - this.fStart, time));
        break;
      default: {
        // HEAD, BODY_*, AWAIT_NUL, SKIP_*: the command is known, so show the frame as far as it got.
        const inHead = this.st === S_HEAD;
        if (inHead) this.bodyStart = at;
        const skipped = this.st === S_SKIP_CL || this.st === S_SKIP_NUL || this.bodySkipped;
        const body = inHead ? EMPTY : skipped ? null : this.bodyLen === 0 ? EMPTY : this.bodyBuf.subarray(0, this.bodyLen);
        this.addIssue(
          makeIssue(
            'truncated-frame',
            inHead ? 'stream ended inside the headers' : "stream ended before the frame's NUL terminator",
            this.fStart,
            at - this.fStart,
          ),
        );
        this.emit(sink, at, at, body);
      }
    }
    this.st = S_IDLE;
    this.strict = false;
  }

  /**
   * `bytes` bytes of the stream are missing (a TCP gap in a capture). A frame cut by the gap is dropped with a
   * `truncated-frame` issue; the decoder then resynchronises at the next frame boundary.
   */
  gap(bytes: number, time: number, sink: DecodeSink): void {
    if (!(bytes > 0)) return;
    const at = this._offset;
    switch (this.stopAt(time, sink)) {
      case S_IDLE:
        break;
      default: {
        const what = this.st === S_COMMAND ? 'a frame' : `a ${this.command} frame`;
        sink(streamIssue('truncated-frame', `${what} cut by a capture gap was dropped`, this.fStart, at - this.fStart, time));
      }
    }
    sink(streamIssue('tcp-gap', `${bytes} bytes missing from the capture`, at, bytes, time));
    this._offset += bytes;
    this.releaseBody();
    this.st = S_IDLE;
    this.strict = true;
  }

  /**
   * `bytes` bytes of the stream went by without being seen, though nothing was lost on the wire: a recorder shed
   * them to stay within its memory budget. `nulAt` is where the first NUL is among them (-1: none), all a caller
   * has to look at. Unlike gap(), a frame whose body the bytes fall in is kept: it ends at the first NUL (or where
   * its content-length says), its length is the real one, its body is not kept, and a `recording-overload` issue on
   * the frame says how many of its bytes went unseen. Bytes unseen outside a body (a command or headers, or what
   * follows the frame's end) leave the decoder resynchronising at the next frame, as after a gap. The shed bytes
   * themselves are the caller's to report (once per span of shed reads, not here once per read).
   */
  shed(bytes: number, nulAt: number, time: number, sink: DecodeSink): void {
    if (!(bytes > 0)) return;
    const at = this._offset;
    const st = this.stopAt(time, sink);
    /** Where in the shed bytes the open frame ends (just past it), or -1 when it goes on past them. */
    let frameEnd = -1;
    let bodyEnd = -1;
    if (st === S_BODY_NUL || st === S_SKIP_NUL) {
      if (nulAt >= 0 && nulAt < bytes) {
        bodyEnd = nulAt;
        frameEnd = nulAt + 1;
      }
    } else if (st === S_BODY_CL || st === S_SKIP_CL || st === S_AWAIT_NUL) {
      const need = st === S_AWAIT_NUL ? 0 : this.need;
      if (bytes > need) {
        // STOMP 1.2 §Header content-length: the body is that many octets, then the NUL (which went by unseen).
        bodyEnd = need;
        frameEnd = need + 1;
      } else {
        this.need = need - bytes;
        if (this.need === 0) this.st = S_AWAIT_NUL;
        else if (st !== S_AWAIT_NUL) this.st = S_SKIP_CL;
      }
    } else if (st !== S_IDLE) {
      const what = this.st === S_COMMAND ? 'a frame' : `a ${this.command} frame`;
      sink(streamIssue('truncated-frame', `${what} whose command or headers went unrecorded was dropped`, this.fStart, at + bytes - this.fStart, time));
      this.releaseBody();
      this.st = S_IDLE;
      this.strict = true;
      this._offset += bytes;
      return;
    } else {
      // Between frames: what the bytes held is unknown, so the next frame is looked for as after a gap.
      this.st = S_IDLE;
      this._offset += bytes;
      this.strict = true;
      return;
    }
    // Here a frame's body (or its NUL) is open. The body is no longer whole: it is not kept, and its memory goes
    // back now, not when the frame ends.
    if (st !== S_AWAIT_NUL) {
      this.bodySkipped = true;
      this.bodyLen = 0;
      this.bodyBuf = EMPTY;
      if (st === S_BODY_NUL) this.st = S_SKIP_NUL;
      if (st === S_BODY_CL && this.st === S_BODY_CL) this.st = S_SKIP_CL;
    }
    this.frameShed += frameEnd < 0 ? bytes : frameEnd;
    if (frameEnd < 0) {
      this._offset += bytes;
      return;
    }
    this.base = at;
    this.emit(sink, at + frameEnd, at + bodyEnd, null);
    this._offset = at + bytes;
    if (frameEnd < bytes) this.strict = true; // the rest may hold anything: resynchronise at a known command
  }

  /**
   * Where end() and gap() start: the stream stops at the current offset. Pending garbage (or a lone CR between
   * frames) is reported; the answer is S_IDLE when no frame is open, else the state of the open frame.
   */
  private stopAt(time: number, sink: DecodeSink): number {
    this.base = this._offset;
    this.now = time;
    if (this.st === S_IDLE_CR) this.gStart = this.crAbs;
    if (this.st === S_IDLE_CR || this.st === S_GARBAGE) {
      this.flushGarbage(this._offset, sink);
      return S_IDLE;
    }
    return this.st;
  }

  // --- states ---------------------------------------------------------------------------------------------

  private idle(d: Uint8Array, pos: number, end: number, sink: DecodeSink): number {
    // EOLs at a frame boundary (STOMP 1.2 §Augmented BNF: frame = ... NULL *( EOL )) go out as heart-beat events;
    // which of them are heart-beats (§Heart-beating) is the analysis's call (ConnectionAnalyzer.heartbeat).
    while (pos < end) {
      const b = d[pos];
      if (b === LF) {
        if (!this.full) return pos + 1; // framing only: each EOL ends at a boundary, where scan() may stop
        sink(heartBeat(this.base + pos, 1, this.now));
        pos++;
      } else if (b === CR) {
        if (pos + 1 === end) {
          this.crAbs = this.base + pos;
          this.crTime = this.now;
          this.st = S_IDLE_CR;
          return end;
        }
        if (d[pos + 1] !== LF) {
          // A CR that does not start an EOL can start neither a heart-beat nor a command.
          this.startGarbage(this.base + pos, false);
          return pos;
        }
        if (!this.full) return pos + 2;
        sink(heartBeat(this.base + pos, 2, this.now));
        pos += 2;
      } else {
        this.beginFrame(this.base + pos, this.now);
        this.st = S_COMMAND;
        this.cmdLen = 0;
        this.cmdCR = false;
        return pos;
      }
    }
    return pos;
  }

  private commandLine(d: Uint8Array, pos: number, end: number): number {
    if (this.cmdLen === 0 && this.full) {
      // Fast path: a known command and its EOL all in this chunk, compared in place. Anything else (another
      // command, a line cut by the chunk's end) goes the byte-by-byte way below, which decides the same.
      const candidates = COMMANDS_BY_FIRST[d[pos]];
      if (candidates !== undefined) {
        outer: for (let c = 0; c < candidates.length; c++) {
          const bytes = candidates[c].bytes;
          const n = bytes.length;
          if (pos + n >= end) continue;
          for (let i = 1; i < n; i++) if (d[pos + i] !== bytes[i]) continue outer;
          let eol = pos + n;
          const cr = d[eol] === CR;
          if (cr) {
            eol++;
            if (eol === end) continue;
          }
          if (d[eol] !== LF) continue;
          this.cmdCR = cr;
          this.command = candidates[c].name;
          this.strict = false;
          this.beginHead();
          return eol + 1;
        }
      }
    }
    const buf = this.cmdBuf;
    let len = this.cmdLen;
    for (let i = pos; i < end; i++) {
      const b = d[i];
      if (b === LF) {
        this.cmdLen = len;
        this.commandDone();
        return i + 1;
      }
      if (b === CR && !this.cmdCR) {
        this.cmdCR = true;
        continue;
      }
      if (this.cmdCR || COMMAND_CHAR[b] === 0 || len === MAX_COMMAND_BYTES) {
        // Not a command line (STOMP 1.2 §Augmented BNF: command EOL): garbage from the frame's start; this
        // byte is looked at again by the garbage scan (it may be the NUL that ends the garbage).
        this.startGarbage(this.fStart, false);
        return i;
      }
      buf[len++] = b;
    }
    this.cmdLen = len;
    return end;
  }

  private commandDone(): void {
    if (!this.full && !this.strict) {
      // Framing only, not resynchronising: any command line starts a frame, so its name does not matter.
      this.beginHead();
      return;
    }
    const known = matchKnownCommand(this.cmdBuf, this.cmdLen);
    if (known !== null) {
      this.command = known;
      this.strict = false;
    } else if (this.strict) {
      // Right after a gap or garbage, a token line is far more likely a piece of a body than a frame.
      this.startGarbage(this.fStart, true);
      return;
    } else if (this.full) {
      this.command = asciiBlock(this.cmdBuf, 0, this.cmdLen);
      this.addIssue(makeIssue('unknown-command', `unknown command ${quoteLine(this.command)}`, this.fStart));
    }
    this.beginHead();
  }

  private head(d: Uint8Array, pos: number, end: number, sink: DecodeSink): number {
    const full = this.full;
    while (pos < end) {
      const fresh = this.lineLen === 0 && !this.lineSkip;
      if (fresh) this.lineAbs = this.base + pos;
      let i = pos;
      let colon = -1;
      let high = 0;
      if (full) {
        const w = this.words;
        for (;;) {
          // Four bytes at a time while none of them is one the byte loop below would act on: LF, NUL, a byte
          // >= 0x80, or a colon while the line has none yet. Bit 7 of each byte of `t` says "maybe special"
          // (the zero-byte test has no false negatives; a false positive only hands the word to the byte loop),
          // so the outcome (i, colon, high) is the byte loop's exactly. The word is read little-endian, so its
          // lowest byte is the first in the stream; a false positive only ever sits above a true one (a borrow
          // runs upwards), so the lowest flagged byte is a special one, and the scan goes straight to it.
          while (i + 4 <= end) {
            const v = w.getInt32(i, true);
            const x = v ^ 0x0a0a0a0a;
            let t = ((v - 0x01010101) & ~v) | ((x - 0x01010101) & ~x) | v;
            if (colon < 0) {
              const y = v ^ 0x3a3a3a3a;
              t |= (y - 0x01010101) & ~y;
            }
            const m = t & 0x80808080;
            if (m !== 0) {
              i += (31 - Math.clz32(m & -m)) >> 3;
              break;
            }
            i += 4;
          }
          if (i === end) break;
          const k = HEAD_CLASS[d[i]];
          if (k !== 0) {
            if (k === K_COLON) {
              if (colon < 0) colon = i;
            } else if (k === K_HIGH) {
              high = 1;
            } else break;
          }
          i++;
        }
      } else {
        // Framing only: just the line's end (its LF, or a NUL that ends the frame) is looked for.
        let c = d[i];
        while (c !== LF && c !== NUL && ++i < end) c = d[i];
      }
      if (i === end) {
        // The line continues in the next chunk.
        this.flushPending(d);
        this.appendLine(d, pos, end);
        return end;
      }
      const nul = d[i] === NUL;
      if (fresh && !nul) {
        // The CR of a CRLF is part of the EOL (STOMP 1.2 §STOMP Frames: EOL = [CR] LF). In 1.0/1.1 a trailing CR
        // would strictly belong to the value, but no real value ends in CR and 1.2 peers escape it as \r.
        let b = i;
        let cr = false;
        if (b > pos && d[b - 1] === CR) {
          b--;
          cr = true;
        }
        if (b === pos) {
          // The blank line: headers done, the body starts after it.
          this.flushPending(d);
          this.countEol(cr);
          this.startBody(this.base + i + 1);
          return i + 1;
        }
        if (!full) {
          // Framing only: of the header lines only the first content-length matters (a line over maxLine is no
          // header, as below).
          if (this.clValue === CL_NONE && b - pos <= this.maxLine) this.clValue = contentLengthLine(d, pos, b);
          this.countEol(cr);
          pos = i + 1;
          continue;
        }
        if (high === 0 && colon > pos && b - pos <= this.maxLine && this.pendN < MAX_PENDING) {
          // A plain ASCII header line: turned into strings later, together with its neighbours (flushPending).
          // (A content-length line has its colon right after the name.)
          if (colon - pos === CL_NAME_LENGTH && this.clValue === CL_NONE) this.noteContentLength(d, pos, b);
          const n = 3 * this.pendN++;
          this.pend[n] = pos;
          this.pend[n + 1] = colon;
          this.pend[n + 2] = b;
          this.countEol(cr);
          pos = i + 1;
          continue;
        }
      }
      this.flushPending(d);
      let buf = d;
      let a = pos;
      let b = i;
      let last = i > pos ? d[i - 1] : -1;
      if (!fresh) {
        this.appendLine(d, pos, i);
        last = this.lineLast;
        if (this.lineSkip) {
          this.lineSkip = false;
          this.lineLen = 0;
          if (nul) return this.endInHead(i, sink);
          this.countEol(last === CR);
          pos = i + 1;
          continue;
        }
        // lineLen is the whole line's length; framing only, lineBuf holds just its first bytes (appendLine).
        buf = this.lineBuf;
        a = 0;
        b = this.lineLen;
        this.lineLen = 0;
        colon = -1;
        high = 0;
        if (full) {
          for (let j = 0; j < b; j++) {
            const k = HEAD_CLASS[buf[j]];
            if (k === K_COLON) {
              if (colon < 0) colon = j;
            } else if (k === K_HIGH) high = 1;
          }
        }
      }
      let cr = false;
      if (!nul && b > a && last === CR) {
        b--;
        cr = true;
      }
      if (a === b) {
        if (nul) return this.endInHead(i, sink);
        this.countEol(cr);
        this.startBody(this.base + i + 1);
        return i + 1;
      }
      if (b - a > this.maxLine) {
        this.lineTooLong();
      } else {
        if (this.clValue === CL_NONE) this.noteContentLength(buf, a, b);
        if (full) this.headerLine(buf, a, b, colon, high);
      }
      if (nul) return this.endInHead(i, sink);
      this.countEol(cr);
      pos = i + 1;
    }
    this.flushPending(d);
    return pos;
  }

  /**
   * Turns the deferred header lines (consecutive, ASCII, all in chunk `d`) into strings with one decoder call
   * for the whole run and cheap slices of it: a decoder call per name and per value costs several times more.
   * Lines are deferred only when they can raise no issue, and flushed before any other line is looked at, so
   * headers and issues come out in wire order either way.
   */
  private flushPending(d: Uint8Array): void {
    const n = this.pendN;
    if (n === 0) return;
    this.pendN = 0;
    const p = this.pend;
    const first = p[0];
    const lineAbs = this.lineAbs;
    // The lines are ASCII, so a Latin-1 or lenient UTF-8 decoding gives the same string, without the strict
    // decoder's extra validation pass over the bytes.
    const block = asciiBlock(d, first, p[3 * n - 1]);
    const headers = this.headers;
    const had = headers.length;
    if (had + n <= this.maxHeaders) {
      // All of them are kept (the usual case): no limit to check per line, and no issue that needs a line's offset.
      // A frame's first lines get an array of their exact size (pushing onto an empty one allocates room for 17).
      const out = had === 0 ? (this.headers = new Array<RawHeader>(n)) : headers;
      for (let k = 0, j = had; k < 3 * n; k += 3, j++) {
        const colon = p[k + 1] - first;
        out[j] = [block.slice(p[k] - first, colon), block.slice(colon + 1, p[k + 2] - first)];
      }
      return;
    }
    for (let k = 0; k < 3 * n; k += 3) {
      const a = p[k];
      const colon = p[k + 1];
      this.lineAbs = this.base + a;
      this.addHeader(block.slice(a - first, colon - first), block.slice(colon + 1 - first, p[k + 2] - first));
    }
    this.lineAbs = lineAbs;
  }

  private headerLine(buf: Uint8Array, a: number, b: number, colon: number, high: number): void {
    if (colon < 0) {
      // STOMP 1.2 §Augmented BNF: header = header-name ":" header-value. Not a header: reported, not kept.
      const text = high ? this.text(buf, a, b) : asciiBlock(buf, a, b);
      this.addIssue(makeIssue('malformed-header', `header line without ':' ${quoteLine(text)}`, this.lineAbs));
      return;
    }
    // Split at the FIRST colon: later colons belong to the value (unescaped colons are common in 1.0 values).
    let name: string;
    let value: string;
    if (high === 0) {
      name = asciiBlock(buf, a, colon);
      value = asciiBlock(buf, colon + 1, b);
    } else {
      name = this.text(buf, a, colon);
      value = this.text(buf, colon + 1, b);
    }
    if (colon === a) {
      this.addIssue(makeIssue('malformed-header', `header with an empty name (a ${value.length}-character value)`, this.lineAbs));
    }
    this.addHeader(name, value);
  }

  private addHeader(name: string, value: string): void {
    if (this.headers.length < this.maxHeaders) {
      this.headers.push([name, value]);
    } else if (!this.tooManyHeaders) {
      this.tooManyHeaders = true;
      this.addIssue(
        makeIssue('too-many-headers', `more than ${this.maxHeaders} headers; the rest were not kept`, this.lineAbs),
      );
    }
  }

  /**
   * A header line of the current frame, while it has no content-length yet: is it the first one? STOMP 1.2
   * §Repeated Header Entries: only the first content-length counts. Looked at on the bytes, before and whether or
   * not the header is kept (maxHeaders), so the frame ends where the peer meant it to.
   */
  private noteContentLength(buf: Uint8Array, a: number, b: number): void {
    const v = contentLengthLine(buf, a, b);
    if (v === CL_NONE) return;
    this.clValue = v;
    // For issue messages: a count's digits are kept as their number (leading zeros counted), no string built.
    if (v >= 0) this.clDigits = b - a - CL_PREFIX.length;
    else if (this.full) this.clRaw = utf8Lossy.decode(buf.subarray(a + CL_PREFIX.length, b));
  }

  /** Commands and headers are UTF-8 (STOMP 1.2 §Value Encoding); invalid bytes become U+FFFD with an issue. */
  private text(buf: Uint8Array, a: number, b: number): string {
    const bytes = buf.subarray(a, b);
    try {
      return utf8.decode(bytes);
    } catch {
      if (!this.badUtf8) {
        this.badUtf8 = true;
        this.addIssue(makeIssue('invalid-utf8', 'invalid UTF-8 in a header line', this.lineAbs));
      }
      return utf8Lossy.decode(bytes);
    }
  }

  private lineTooLong(): void {
    if (!this.full) return;
    this.addIssue(
      makeIssue('line-too-long', `header line longer than ${this.maxLine} bytes was skipped`, this.lineAbs),
    );
  }

  private appendLine(d: Uint8Array, a: number, b: number): void {
    if (b === a) return;
    this.lineLast = d[b - 1];
    if (this.lineSkip) return;
    const len = this.lineLen + (b - a);
    // +1: a trailing CR may still turn out to be part of the EOL. Beyond that the line is surely too long:
    // stop keeping it so memory stays bounded.
    if (len > this.maxLine + 1) {
      this.lineSkip = true;
      this.lineLen = 0;
      this.lineTooLong();
      return;
    }
    if (!this.full) {
      // Framing only: the first bytes tell a content-length line and hold its count (contentLengthLine).
      const buf = this.lineBuf;
      for (let i = a, k = this.lineLen; i < b && k < FRAMING_LINE_KEEP; i++, k++) buf[k] = d[i];
      this.lineLen = len;
      return;
    }
    if (len > this.lineBuf.length) {
      const grown = new Uint8Array(Math.min(this.maxLine + 1, Math.max(256, len, this.lineBuf.length * 2)));
      grown.set(this.lineBuf.subarray(0, this.lineLen));
      this.lineBuf = grown;
    }
    this.lineBuf.set(d.subarray(a, b), this.lineLen);
    this.lineLen = len;
  }

  /** A NUL before the blank line: the frame ends here, without a body. */
  private endInHead(i: number, sink: DecodeSink): number {
    const at = this.base + i;
    if (this.full) {
      this.addIssue(
        makeIssue('malformed-frame', 'NUL before the blank line that ends the headers', this.fStart, at + 1 - this.fStart),
      );
    }
    this.bodyStart = at;
    this.emit(sink, at + 1, at, EMPTY);
    return i + 1;
  }

  private startBody(bodyStart: number): void {
    this.bodyStart = bodyStart;
    this.bodyLen = 0;
    this.bodySkipped = false;
    const n = this.clValue;
    if (n >= 0) {
      this.need = n;
      if (!this.full) {
        // Framing only: the body is counted past, never looked at.
        this.bodySkipped = true;
        this.st = S_SKIP_CL;
      } else if (n > this.maxBody) {
        this.bodyTooLarge();
        this.bodySkipped = true;
        this.st = S_SKIP_CL;
      } else {
        this.st = S_BODY_CL;
      }
      return;
    }
    if (!this.full) {
      // Framing only: the NUL that ends the body is all that is looked for.
      this.st = S_SKIP_NUL;
      return;
    }
    if (n === CL_BAD) {
      this.addIssue(
        makeIssue('bad-content-length', `content-length ${quote(this.clRaw)} is not a byte count; body read up to NUL`, this.fStart),
      );
    }
    this.st = S_BODY_NUL;
  }

  private bodyTooLarge(): void {
    this.addIssue(
      makeIssue('body-too-large', `body larger than ${this.maxBody} bytes was not kept`, this.bodyStart),
    );
  }

  private bodyCL(d: Uint8Array, pos: number, end: number, sink: DecodeSink): number {
    const need = this.need;
    if (this.bodyLen === 0 && end - pos > need) {
      // Fast path: the whole body and the byte after it are in this chunk: hand out a view, copy nothing.
      return this.checkTerminator(d, pos + need, d.subarray(pos, pos + need), sink);
    }
    if (this.bodyLen === 0) {
      const total = this.need;
      if (this.bodyBuf.length < total) this.bodyBuf = new Uint8Array(total);
    }
    const n = Math.min(need, end - pos);
    this.bodyBuf.set(d.subarray(pos, pos + n), this.bodyLen);
    this.bodyLen += n;
    this.need = need - n;
    if (this.need === 0) this.st = S_AWAIT_NUL;
    return pos + n;
  }

  private terminator(d: Uint8Array, pos: number, sink: DecodeSink): number {
    const body = this.bodySkipped ? null : this.bodyLen === 0 ? EMPTY : this.bodyBuf.subarray(0, this.bodyLen);
    return this.checkTerminator(d, pos, body, sink);
  }

  /** After content-length bytes of body, the NUL must follow (STOMP 1.2 §Header content-length). */
  private checkTerminator(d: Uint8Array, i: number, body: Uint8Array | null, sink: DecodeSink): number {
    const at = this.base + i;
    if (d[i] === NUL) {
      this.emit(sink, at + 1, at, body);
      return i + 1;
    }
    if (this.full) {
      this.addIssue(
        makeIssue('content-length-mismatch', `content-length ${String(this.clValue).padStart(this.clDigits, '0')} is not followed by NUL; frame cut there`, this.fStart),
      );
    }
    this.emit(sink, at, at, body);
    // What follows up to the next NUL is unexplained: report it as garbage and resynchronise.
    this.startGarbage(at, true);
    return i;
  }

  private bodyNul(d: Uint8Array, pos: number, end: number, sink: DecodeSink): number {
    const z = d.indexOf(NUL, pos);
    if (z < 0) {
      this.appendBody(d, pos, end);
      return end;
    }
    let body: Uint8Array | null;
    if (this.bodyLen === 0) {
      // Fast path: the whole body is in this chunk.
      if (z - pos > this.maxBody) {
        this.bodyTooLarge();
        body = null;
      } else {
        body = d.subarray(pos, z);
      }
    } else {
      this.appendBody(d, pos, z);
      body = this.st === S_SKIP_NUL ? null : this.bodyBuf.subarray(0, this.bodyLen);
    }
    const at = this.base + z;
    this.emit(sink, at + 1, at, body);
    return z + 1;
  }

  private appendBody(d: Uint8Array, a: number, b: number): void {
    const len = this.bodyLen + (b - a);
    if (len > this.maxBody) {
      this.bodyTooLarge();
      this.bodyLen = 0;
      // Up to maxBodyBytes held for nothing until the NUL comes (maybe never): give it back now.
      this.bodyBuf = EMPTY;
      this.st = S_SKIP_NUL;
      return;
    }
    if (len > this.bodyBuf.length) {
      const grown = new Uint8Array(Math.min(this.maxBody, Math.max(4096, len, this.bodyBuf.length * 2)));
      grown.set(this.bodyBuf.subarray(0, this.bodyLen));
      this.bodyBuf = grown;
    }
    this.bodyBuf.set(d.subarray(a, b), this.bodyLen);
    this.bodyLen = len;
  }

  private skipNul(d: Uint8Array, pos: number, end: number, sink: DecodeSink): number {
    const z = d.indexOf(NUL, pos);
    if (z < 0) return end;
    const at = this.base + z;
    this.emit(sink, at + 1, at, null);
    return z + 1;
  }

  private garbage(d: Uint8Array, pos: number, end: number, sink: DecodeSink): number {
    let i = pos;
    if (!this.gAfterNul) {
      for (; i < end; i++) {
        const b = d[i];
        if (b === NUL) {
          this.gAfterNul = true;
          i++;
          break;
        }
        if (b === LF) {
          if (this.gCand && this.gLen > 0) {
            const known = matchKnownCommand(this.gBuf, this.gLen);
            if (known !== null) {
              // Resynchronised at a line holding a known command.
              const start = this.gLineAbs;
              this.flushGarbage(start, sink);
              this.beginFrame(start, this.gLineTime);
              this.command = known;
              this.cmdCR = this.gCR;
              this.strict = false;
              this.beginHead();
              return i + 1;
            }
          }
          this.gCand = true;
          this.gLen = 0;
          this.gCR = false;
          continue;
        }
        if (this.gCand) {
          if (this.gCR || this.gLen === LONGEST_COMMAND) {
            this.gCand = false;
          } else if (b === CR) {
            if (this.gLen === 0) this.gCand = false;
            else this.gCR = true;
          } else if (b >= 0x41 && b <= 0x5a) {
            if (this.gLen === 0) {
              this.gLineAbs = this.base + i;
              this.gLineTime = this.now;
            }
            this.gBuf[this.gLen++] = b;
          } else {
            this.gCand = false;
          }
        }
      }
      if (!this.gAfterNul) return i;
    }
    // A NUL ends the garbage, together with any NULs right after it (one issue, not one per NUL).
    while (i < end && d[i] === NUL) i++;
    if (i < end) {
      this.flushGarbage(this.base + i, sink);
      this.st = S_IDLE;
    }
    return i;
  }

  // --- helpers --------------------------------------------------------------------------------------------

  private beginFrame(start: number, time: number): void {
    this.fStart = start;
    this.fTime = time;
    if (this.full) {
      this.headers = [];
      this.issues = NO_ISSUES;
    }
    this.clValue = CL_NONE;
    this.tooManyHeaders = false;
    this.badUtf8 = false;
    this.crLines = 0;
    this.lfLines = 0;
    this.frameShed = 0;
  }

  private beginHead(): void {
    this.st = S_HEAD;
    this.countEol(this.cmdCR);
    this.lineLen = 0;
    this.lineSkip = false;
  }

  private countEol(cr: boolean): void {
    if (cr) this.crLines++;
    else this.lfLines++;
  }

  private startGarbage(start: number, atLineStart: boolean): void {
    this.st = S_GARBAGE;
    this.strict = true;
    this.gStart = start;
    this.gCand = atLineStart;
    this.gLen = 0;
    this.gCR = false;
    this.gAfterNul = false;
  }

  private flushGarbage(end: number, sink: DecodeSink): void {
    const len = end - this.gStart;
    if (len > 0 && this.full) {
      sink(streamIssue('garbage', `${len} bytes that are not a frame were skipped`, this.gStart, len, this.now));
    }
  }

  /** Delivers the current frame. `end` is just past its last byte (the NUL when there is one). */
  private emit(sink: DecodeSink, end: number, bodyEnd: number, body: Uint8Array | null): void {
    if (this.framing !== null) {
      this.st = S_IDLE;
      this.bodySkipped = false;
      this.framing.onFrameEnd(end);
      return;
    }
    const command = this.command;
    const bodyLength = bodyEnd - this.bodyStart;
    if (bodyLength > 0 && !mayHaveBody(command) && isKnownCommand(command)) {
      this.addIssue(makeIssue('unexpected-body', `${command} frame with a ${bodyLength}-byte body`, this.bodyStart, bodyLength));
    }
    if (this.crLines > 0 && this.lfLines > 0) {
      this.addIssue(makeIssue('mixed-line-endings', 'some lines end with CRLF, others with LF', this.fStart));
    }
    if (this.frameShed > 0) {
      this.addIssue(makeIssue('recording-overload', `${this.frameShed} bytes of this frame were forwarded but not recorded; its length is known, its body was not kept`, this.fStart));
    }
    const issues = this.issues;
    const frame: DecodedFrame = {
      kind: 'frame',
      offset: this.fStart,
      length: end - this.fStart,
      time: this.fTime,
      endTime: this.now,
      command,
      headers: this.headers,
      crlf: this.cmdCR,
      bodyOffset: this.bodyStart,
      bodyLength,
      body,
      issues,
    };
    this.st = S_IDLE;
    sink(frame);
    this.releaseBody();
  }

  /** Notes an issue of the current frame (its array is made at the first one: most frames have none). */
  private addIssue(issue: WireIssue): void {
    if (this.issues === NO_ISSUES) this.issues = [issue];
    else this.issues.push(issue);
  }

  private releaseBody(): void {
    this.bodyLen = 0;
    this.bodySkipped = false;
    // Keep a modest buffer for reuse; give a big one back to the GC.
    if (this.bodyBuf.length > 1024 * 1024) this.bodyBuf = EMPTY;
    if (this.lineBuf.length > 64 * 1024) this.lineBuf = EMPTY;
  }
}

function heartBeat(offset: number, length: number, time: number): HeartBeat {
  return { kind: 'heartbeat', offset, length, time };
}

function streamIssue(code: IssueCode, message: string, offset: number, length: number, time: number): StreamIssue {
  return { kind: 'issue', code, severity: makeIssue(code, message, offset).severity, message, offset, length, time };
}
