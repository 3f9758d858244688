// Frames StompScope writes into a live proxied connection, towards the broker, between two of the client's frames:
// never inside one, or the broker would read one corrupt frame instead of two (STOMP 1.2 §STOMP Frames: a frame
// runs from its command to its NUL). Only proxies started with `injectable` have one, on the client → broker side:
// other proxies forward each read as it is, unscanned.
//
// The client's bytes are tracked with the frame-boundary scanner (shared/stomp/boundary.ts: the decoder's state
// machine run framing-only, so it ends frames exactly where the recorder's decoder does). An injected frame
// goes out at once when the client stream is between frames; otherwise it waits for the end of the client's
// current frame: the read that completes it is split there, its first part forwarded, then the injected bytes,
// then the rest. Either way both peers see a well-formed stream, and the recorder sees exactly what the broker got.
import { FrameBoundary } from '../../../shared/stomp/boundary.js';

export interface Injection {
  bytes: Uint8Array;
  /**
   * Called once the bytes were handed to the broker socket: `waited` when they had to wait for a boundary; `offset`
   * is where they start in the client → broker stream as recorded (the client's bytes and injected ones).
   */
  done: (waited: boolean, offset: number) => void;
  /** Called when the connection ended before they could be written. */
  failed: (reason: string) => void;
}

/** What the proxy needs of a connection's injector (ClientInjector, or a rules connection's client pipe). */
export interface FrameInjector {
  inject(i: Injection): void;
  cancel(i: Injection): boolean;
  close(reason: string): void;
}

export class ClientInjector implements FrameInjector {
  private readonly boundary = new FrameBoundary();
  private queue: Injection[] = [];
  private closed: string | null = null;
  /** Bytes injected so far: the recorded stream holds them besides the client's. */
  private injectedBytes = 0;

  /** `out` writes bytes to the broker (and records them); `injected` marks ours. */
  constructor(private readonly out: (bytes: Uint8Array, injected: boolean) => void) {}

  /** Bytes the client sent: forwarded, with any waiting injection put in at the first frame boundary. */
  forward(chunk: Uint8Array): void {
    if (this.queue.length === 0) {
      this.boundary.scan(chunk);
      this.out(chunk, false);
      return;
    }
    let pos = 0;
    while (this.queue.length && pos < chunk.length) {
      const at = this.boundary.scan(chunk, pos, true);
      if (at > pos) this.out(chunk.subarray(pos, at), false);
      pos = at;
      if (this.boundary.atBoundary) this.flush(true);
    }
    if (pos < chunk.length) {
      this.boundary.scan(chunk, pos);
      this.out(chunk.subarray(pos), false);
    }
  }

  /** Queues a whole encoded frame; written now when the client is between frames. */
  inject(i: Injection): void {
    if (this.closed !== null) {
      i.failed(this.closed);
      return;
    }
    this.queue.push(i);
    if (this.boundary.atBoundary) this.flush(false);
  }

  /** Takes back an injection that has not been written (a timeout); false when it already was. */
  cancel(i: Injection): boolean {
    const k = this.queue.indexOf(i);
    if (k < 0) return false;
    this.queue.splice(k, 1);
    return true;
  }

  /** The connection ended: waiting injections fail with `reason`. */
  close(reason: string): void {
    this.closed = reason;
    const q = this.queue;
    this.queue = [];
    for (const i of q) i.failed(reason);
  }

  /** Whether the client's bytes so far end between frames. */
  get atBoundary(): boolean {
    return this.boundary.atBoundary;
  }

  private flush(waited: boolean): void {
    const q = this.queue;
    this.queue = [];
    for (const i of q) {
      const offset = this.boundary.offset + this.injectedBytes;
      this.injectedBytes += i.bytes.length;
      this.out(i.bytes, true);
      i.done(waited, offset);
    }
  }
}
