// Where the frames of one STOMP byte stream end, without decoding them: the frame-boundary scanner that lets the
// proxy inject a frame into a live connection between two of the client's frames, never inside one (issue 5).
//
// It follows the decoder (decoder.ts) state for state wherever a state decides where a frame ends: the command
// line, the header lines (only `content-length` is looked at: the first one wins, STOMP 1.2 §Repeated Header
// Entries, strictly decimal, a line longer than the decoder's maxLineBytes is no header), a body read by length or
// up to the NUL, the NUL after a content-length body, and the decoder's resynchronisation after garbage (a NUL run,
// or a line holding a known command). So for any bytes and any chunking its boundaries are the decoder's
// (test/shared/boundary.test.ts checks both against each other). Nothing else is kept: no strings, no headers, no
// body bytes. Bodies with content-length are skipped without being looked at; others are scanned with indexOf.
//
// Like the decoder it does no I/O and never throws on peer bytes.
import { DEFAULT_LIMITS } from './decoder.js';
import type { DecoderLimits } from './types.js';

const NUL = 0;
const LF = 10;
const CR = 13;

const S_IDLE = 0; // between frames (heart-beats included): an injected frame may go here
const S_IDLE_CR = 1; // a CR between frames: an LF must follow (a CRLF heart-beat)
const S_COMMAND = 2;
const S_HEAD = 3;
const S_BODY_CL = 4;
const S_AWAIT_NUL = 5;
const S_BODY_NUL = 6;
const S_GARBAGE = 7;

/** Longest command line the decoder takes (its MAX_COMMAND_BYTES). */
const MAX_COMMAND_BYTES = 64;
const KNOWN = ['SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK', 'DISCONNECT', 'CONNECT', 'STOMP',
  'CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'];
const LONGEST_KNOWN = Math.max(...KNOWN.map((c) => c.length));
const KNOWN_SET = new Set(KNOWN);

const COMMAND_CHAR = new Uint8Array(256);
for (let b = 0x41; b <= 0x5a; b++) COMMAND_CHAR[b] = 1;
for (let b = 0x61; b <= 0x7a; b++) COMMAND_CHAR[b] = 1;
for (let b = 0x30; b <= 0x39; b++) COMMAND_CHAR[b] = 1;
COMMAND_CHAR[0x5f] = 1;
COMMAND_CHAR[0x2d] = 1;

const CL_PREFIX = Array.from('content-length:', (c) => c.charCodeAt(0));
const CL_NONE = -2;
const CL_BAD = -1;

function known(buf: Uint8Array, len: number): boolean {
  if (len > LONGEST_KNOWN) return false;
  return KNOWN_SET.has(String.fromCharCode.apply(null, buf.subarray(0, len) as unknown as number[]));
}

export class FrameBoundary {
  private st = S_IDLE;
  private strict = false;
  private readonly maxLine: number;
  /** Stream offset of the next byte to scan, and of the current chunk's first byte. */
  private _offset = 0;
  private base = 0;
  /** Frames ended so far (as the decoder counts them). */
  frames = 0;
  /** Stream offset just past the last frame that ended (0 before any). */
  lastFrameEnd = 0;

  // Command line.
  private readonly cmd = new Uint8Array(MAX_COMMAND_BYTES);
  private cmdLen = 0;
  private cmdCR = false;

  // Header lines: the current line's length, how far it matches "content-length:", and its value so far.
  private lineLen = 0;
  private lineCR = false;
  private clMatch = 0;
  private clValue = 0;
  private clDigits = 0;
  private clBad = false;
  private contentLength = CL_NONE;
  private need = 0;

  // Garbage (the decoder's resynchronisation).
  private gCand = false;
  private readonly gBuf = new Uint8Array(16);
  private gLen = 0;
  private gCR = false;
  private gAfterNul = false;

  /** `onFrameEnd` is told the stream offset just past each frame that ends (tests; the proxy needs none). */
  constructor(limits?: Partial<DecoderLimits>, private readonly onFrameEnd?: (offset: number) => void) {
    this.maxLine = Math.max(1, Math.floor(limits?.maxLineBytes ?? DEFAULT_LIMITS.maxLineBytes));
  }

  get offset(): number {
    return this._offset;
  }

  /** The bytes scanned so far end between two frames: a whole frame may be inserted here. */
  get atBoundary(): boolean {
    return this.st === S_IDLE;
  }

  /**
   * Scans `chunk[from..]`. With `stopAtBoundary`, stops at the first place where the stream is between frames
   * (just past a frame's NUL, or where the decoder ends skipping garbage) and returns its index in the chunk;
   * otherwise, or when there is none, scans it all and returns `chunk.length`. Scanning resumes with the next call.
   */
  scan(chunk: Uint8Array, from = 0, stopAtBoundary = false): number {
    const end = chunk.length;
    this.base = this._offset - from;
    let pos = from;
    while (pos < end) {
      if (stopAtBoundary && this.st === S_IDLE && pos > from) break;
      switch (this.st) {
        case S_IDLE: {
          const b = chunk[pos];
          if (b === LF) pos++;
          else if (b === CR) {
            this.st = S_IDLE_CR;
            pos++;
          } else {
            this.st = S_COMMAND;
            this.cmdLen = 0;
            this.cmdCR = false;
          }
          break;
        }
        case S_IDLE_CR:
          if (chunk[pos] === LF) {
            this.st = S_IDLE;
            pos++;
          } else this.garbage(false); // this byte is looked at again by the garbage scan
          break;
        case S_COMMAND:
          pos = this.commandLine(chunk, pos, end);
          break;
        case S_HEAD:
          pos = this.head(chunk, pos, end);
          break;
        case S_BODY_CL: {
          const n = Math.min(this.need, end - pos);
          this.need -= n;
          pos += n;
          if (this.need === 0) this.st = S_AWAIT_NUL;
          break;
        }
        case S_AWAIT_NUL:
          if (chunk[pos] === NUL) {
            pos++;
            this.frameEnd(pos);
          } else {
            // content-length not followed by NUL: the decoder ends the frame here and skips what follows as garbage.
            this.frameEnd(pos);
            this.garbage(true);
          }
          break;
        case S_BODY_NUL: {
          const z = chunk.indexOf(NUL, pos);
          if (z < 0) pos = end;
          else {
            pos = z + 1;
            this.frameEnd(pos);
          }
          break;
        }
        default:
          pos = this.skipGarbage(chunk, pos, end);
      }
    }
    this._offset = this.base + pos;
    return pos;
  }

  private frameEnd(posInChunk: number): void {
    this.st = S_IDLE;
    this.frames++;
    this.lastFrameEnd = this.base + posInChunk;
    this.onFrameEnd?.(this.lastFrameEnd);
  }

  private commandLine(d: Uint8Array, pos: number, end: number): number {
    for (let i = pos; i < end; i++) {
      const b = d[i];
      if (b === LF) {
        // Any command line starts a frame, except an unknown command right after garbage (the decoder's strict
        // mode): only then does the name matter.
        if (!this.strict) this.beginHead();
        else if (known(this.cmd, this.cmdLen)) {
          this.strict = false;
          this.beginHead();
        } else this.garbage(true);
        return i + 1;
      }
      if (b === CR && !this.cmdCR) {
        this.cmdCR = true;
        continue;
      }
      if (this.cmdCR || COMMAND_CHAR[b] === 0 || this.cmdLen === MAX_COMMAND_BYTES) {
        this.garbage(false);
        return i;
      }
      this.cmd[this.cmdLen++] = b;
    }
    return end;
  }

  private beginHead(): void {
    this.st = S_HEAD;
    this.contentLength = CL_NONE;
    this.newLine();
  }

  private newLine(): void {
    this.lineLen = 0;
    this.lineCR = false;
    // Once a content-length was seen (the first one wins), no later line needs looking at.
    this.clMatch = this.contentLength === CL_NONE ? 0 : -1;
    this.clValue = 0;
    this.clDigits = 0;
    this.clBad = false;
  }

  private head(d: Uint8Array, pos: number, end: number): number {
    for (let i = pos; i < end; i++) {
      if (this.clMatch < 0) {
        // Not a content-length line: only its end matters (an LF, or a NUL that ends the frame).
        const from = i;
        let b = d[i];
        while (b !== LF && b !== NUL && ++i < end) b = d[i];
        if (i > from) {
          this.lineLen += i - from;
          this.lineCR = d[i - 1] === CR;
        }
        if (i === end) return end;
      }
      const b = d[i];
      if (b === NUL) {
        // A NUL before the blank line ends the frame there (the decoder's malformed-frame).
        this.frameEnd(i + 1);
        return i + 1;
      }
      if (b === LF) {
        const len = this.lineLen - (this.lineCR ? 1 : 0);
        if (len === 0) {
          this.startBody();
          return i + 1;
        }
        if (this.clMatch === CL_PREFIX.length && this.contentLength === CL_NONE && len <= this.maxLine) {
          this.contentLength = this.clBad || this.clDigits === 0 || this.clDigits > 15 ? CL_BAD : this.clValue;
        }
        this.newLine();
        continue;
      }
      this.lineLen++;
      if (this.clMatch < CL_PREFIX.length) {
        // Only a line that starts with "content-length:" is followed further; others are skipped to their end.
        if (b === CL_PREFIX[this.clMatch]) this.clMatch++;
        else this.clMatch = -1;
        this.lineCR = b === CR;
        continue;
      }
      // The value: decimal digits, and at most a CR right before the LF (the EOL's).
      if (this.lineCR) this.clBad = true;
      if (b === CR) this.lineCR = true;
      else {
        this.lineCR = false;
        const digit = b - 48;
        if (digit < 0 || digit > 9) this.clBad = true;
        else if (++this.clDigits <= 15) this.clValue = this.clValue * 10 + digit;
      }
    }
    return end;
  }

  private startBody(): void {
    if (this.contentLength >= 0) {
      this.need = this.contentLength;
      this.st = this.need === 0 ? S_AWAIT_NUL : S_BODY_CL;
    } else this.st = S_BODY_NUL;
  }

  private garbage(atLineStart: boolean): void {
    this.st = S_GARBAGE;
    this.strict = true;
    this.gCand = atLineStart;
    this.gLen = 0;
    this.gCR = false;
    this.gAfterNul = false;
  }

  /** The decoder's garbage scan: up to a NUL run, or a line holding a known command. */
  private skipGarbage(d: Uint8Array, pos: number, end: number): number {
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
          if (this.gCand && this.gLen > 0 && known(this.gBuf, this.gLen)) {
            this.strict = false;
            this.beginHead();
            return i + 1;
          }
          this.gCand = true;
          this.gLen = 0;
          this.gCR = false;
          continue;
        }
        if (this.gCand) {
          if (this.gCR || this.gLen === LONGEST_KNOWN) this.gCand = false;
          else if (b === CR) {
            if (this.gLen === 0) this.gCand = false;
            else this.gCR = true;
          } else if (b >= 0x41 && b <= 0x5a) this.gBuf[this.gLen++] = b;
          else this.gCand = false;
        }
      }
      if (!this.gAfterNul) return i;
    }
    while (i < end && d[i] === NUL) i++;
    if (i < end) this.st = S_IDLE;
    return i;
  }
}
