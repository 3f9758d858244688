// Where the frames of one STOMP byte stream end, without decoding them: the frame-boundary scanner that lets the
// proxy inject a frame into a live connection between two of the client's frames, never inside one.
//
// It is the decoder run framing-only (decoder.ts, the `framing` constructor argument): the same state machine
// decides where each frame ends (command line, header lines and the first content-length, STOMP 1.2 §Repeated
// Header Entries; a body read by length or up to the NUL; the EOLs between frames; resynchronisation after
// garbage), so for any bytes and any chunking its boundaries are the decoder's by construction. It builds
// nothing: no events, no strings, no header list, no body copies, so it is cheap enough for the forwarding path
// and allocates nothing per byte.
//
// Like the decoder it does no I/O and never throws on peer bytes.
import { StompDecoder } from './decoder.js';
import type { DecoderLimits } from './types.js';

export class FrameBoundary {
  private readonly machine: StompDecoder;
  /** Frames ended so far (as the decoder counts them). */
  frames = 0;
  /** Stream offset just past the last frame that ended (0 before any). */
  lastFrameEnd = 0;

  /** `onFrameEnd` is told the stream offset just past each frame that ends (tests; the proxy needs none). */
  constructor(limits?: Partial<DecoderLimits>, onFrameEnd?: (offset: number) => void) {
    this.machine = new StompDecoder(limits, {
      onFrameEnd: (end) => {
        this.frames++;
        this.lastFrameEnd = end;
        onFrameEnd?.(end);
      },
    });
  }

  /** Stream offset of the next byte to scan. */
  get offset(): number {
    return this.machine.offset;
  }

  /** The bytes scanned so far end between two frames: a whole frame may be inserted here. */
  get atBoundary(): boolean {
    return this.machine.atBoundary;
  }

  /**
   * Scans `chunk[from..]`. With `stopAtBoundary`, stops at the first place where the stream is between frames
   * (just past a frame's NUL or a heart-beat EOL, or where the decoder ends skipping garbage) and returns its
   * index in the chunk; otherwise, or when there is none, scans it all and returns `chunk.length`. Scanning
   * resumes with the next call.
   */
  scan(chunk: Uint8Array, from = 0, stopAtBoundary = false): number {
    return this.machine.scan(chunk, from, stopAtBoundary);
  }
}
