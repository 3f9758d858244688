// Proxy rules on the forwarding thread: each direction of a connection accepted while the proxy has rules is cut
// into frames with the frame-boundary scanner (shared/stomp/boundary.ts, the decoder framing-only), and only a
// frame some rule could match (by its command and direction, read from its first line) is held whole and decoded;
// every other byte goes through as it came, in the order it came. A connection accepted with no rules takes the
// plain path (proxy.ts pipe()) and pays for none of this.
//
// Per direction, what is written to the other peer goes through one ordered queue: a delayed or held frame holds
// the frames and heart-beats behind it, so each peer still reads a well-formed stream in the sender's order
// (STOMP 1.2 §STOMP Frames: a frame runs from its command to its NUL; nothing may be put inside one). Frames a rule
// makes up for the other direction (a reply) wait for that direction's next frame boundary, like injection.
//
// Recording is honest: the recorder gets what the other peer got, with what the rule did (FrameMark); a frame the
// other peer never got is recorded in its sender's stream with forwarded: false; a rewritten frame with the peer's
// bytes beside it; a made-up frame with synthesized: true.
import { FrameBoundary } from '../../../shared/stomp/boundary.js';
import { StompDecoder } from '../../../shared/stomp/decoder.js';
import { headerValue, interpretHeaders } from '../../../shared/stomp/escape.js';
import { isConnectCommand, LONGEST_COMMAND } from '../../../shared/stomp/spec.js';
import type { DecodedFrame, Direction, StompVersion } from '../../../shared/stomp/types.js';
import type { FrameMark } from '../../../shared/conversation/types.js';
import { mayMatch, ruleMatches, type CompiledRule, type MatchFrame } from '../../../shared/rules/rules.js';
import { rewriteFrame, RewriteError, synthesizedFrame } from '../../../shared/rules/rewrite.js';
import type { Injection } from './injector.js';

/** What the user decides about a frame a `break` rule holds. */
export type HeldDecision = { do: 'forward' } | { do: 'drop' } | { do: 'edit'; bytes: Uint8Array };

/** A frame a `break` rule holds until the user decides, or its time is up (then it is forwarded). */
export interface HeldFrame {
  id: number;
  /** The connection's number in this proxy, from 1, and its client address. */
  conn: number;
  client: string;
  dir: Direction;
  rule: string;
  bytes: Uint8Array;
  version: StompVersion | null;
  /** ms since the epoch. */
  heldAt: number;
  timeoutAt: number;
  decide(d: HeldDecision): boolean;
}

export interface RulesHooks {
  /** A frame is held (a `break` rule). */
  held?(h: HeldFrame): void;
  /** A held frame was decided (by the user or its timeout) or lost with its connection. */
  released?(h: HeldFrame, how: string): void;
  /** Something the console should say (a rewrite that could not be encoded). */
  notice?(message: string): void;
}

/** Frames held for a `break` rule are forwarded after this long unless the user decided first (ms). */
export const DEFAULT_HOLD_TIMEOUT_MS = 60_000;
/**
 * Largest frame held whole to be matched (a frame some rule could match by its command): bigger ones go through
 * unmatched, with a notice, so that a rule never makes the proxy buffer without bound.
 */
export const MAX_HELD_FRAME = 16 * 1024 * 1024;

/**
 * Bytes a direction's queue holds (behind a delay, a held frame) before its sender is no longer read: past it the
 * sender is paused until the queue is down to half, so a delay on a busy connection bounds memory the way a slow
 * reader does (TCP backpressure), instead of buffering without bound.
 */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

let nextHeld = 1;

/**
 * A proxy's rules, swappable while traffic flows (the UI edits them, --rules-watch reloads them). `times` counts
 * matches per rule across the proxy's connections, from the time the rules were set.
 */
export class ProxyRules {
  private list: readonly CompiledRule[] = [];
  private counts = new Map<CompiledRule, number>();
  holdTimeoutMs = DEFAULT_HOLD_TIMEOUT_MS;

  constructor(public hooks: RulesHooks = {}, private readonly random: () => number = Math.random) {}

  get rules(): readonly CompiledRule[] {
    return this.list;
  }

  set(rules: readonly CompiledRule[]): void {
    this.list = rules;
    this.counts = new Map();
  }

  /** Whether connections accepted now take the rules path: some rule is enabled. */
  get active(): boolean {
    return this.list.some((r) => r.rule.enabled !== false);
  }

  mustDecode(dir: Direction, command: string): boolean {
    return mayMatch(this.list, dir, command);
  }

  /** The first enabled rule that matches and acts (its `times` not used up, its `probability` drawn), or null. */
  pick(frame: MatchFrame): CompiledRule | null {
    for (const r of this.list) {
      if (r.rule.enabled === false || !ruleMatches(r, frame)) continue;
      const n = this.counts.get(r) ?? 0;
      if (r.rule.times !== undefined && n >= r.rule.times) continue;
      if (r.rule.probability !== undefined && r.rule.probability < 1 && !(this.random() < r.rule.probability)) continue;
      this.counts.set(r, n + 1);
      return r;
    }
    return null;
  }

  /** Ids of held frames are unique in the process: the core lists those of all its proxies together. */
  heldId(): number {
    return nextHeld++;
  }
}

/** One item of a direction's output queue. */
interface Out {
  bytes: Uint8Array;
  mark: FrameMark | null;
  /** false: recorded, not written (the other peer never gets it). */
  write: boolean;
  /** Not before this time (ms since the epoch); 0: now. */
  at: number;
  /** A `break` rule holds it until decided. */
  held: HeldFrame | null;
  /** Ends the connection when reached, after what is before it was written. */
  end: 'close' | 'reset' | null;
  /** Told the recorded stream offset where it went (injection). */
  written?: (offset: number) => void;
  /** The rule that ends the connection (`end`). */
  reason?: string;
}

/** What a rules connection needs of the proxy's connection. */
export interface RulesSockets {
  write(dir: Direction, bytes: Uint8Array): boolean;
  /** Stops / starts reading the sender of `dir`. */
  pause(dir: Direction): void;
  resume(dir: Direction): void;
  /** Records `bytes` of `dir`'s stream (what the other peer got, or a frame it did not get: see FrameMark). */
  record(dir: Direction, bytes: Uint8Array, injected: boolean, mark: FrameMark | null): void;
  end(dir: Direction): void;
  /** Ends the connection: a FIN to both peers (close) or an RST (reset), with the reason to record. */
  terminate(kind: 'close' | 'reset', reason: string): void;
}

const EMPTY = new Uint8Array(0);

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The command of a frame whose bytes start `parts`, once its first line is there; null before. */
function commandOf(parts: Uint8Array[]): string | null {
  let s = '';
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const b = p[i];
      if (b === 0x0a) return s.endsWith('\r') ? s.slice(0, -1) : s;
      if (b === 0) return s;
      s += String.fromCharCode(b);
      if (s.length > LONGEST_COMMAND + 1) return s; // no known command is this long: nothing to hold it for
    }
  }
  return null;
}

/** A connection of a proxy with rules: both directions' pipes, the negotiated version, the frame count. */
export class RulesConnection {
  readonly pipes: Record<Direction, RulesPipe>;
  version: StompVersion | null = null;
  /** Frames of both directions so far (a rule's `seq`). */
  seq = 0;
  closed = false;

  constructor(readonly rules: ProxyRules, readonly conn: number, readonly client: string, readonly io: RulesSockets) {
    this.pipes = { client: new RulesPipe(this, 'client'), broker: new RulesPipe(this, 'broker') };
  }

  /** The connection closed: what waits in the queues is recorded as never forwarded, held frames are let go. */
  abort(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pipes.client.abort(reason);
    this.pipes.broker.abort(reason);
  }
}

type Mode = 'start' | 'undecided' | 'stream' | 'hold';

/** One direction of a rules connection: cutting, matching, acting, and the ordered output queue. */
export class RulesPipe {
  private readonly boundary = new FrameBoundary();
  private readonly decoder = new StompDecoder();
  private mode: Mode = 'start';
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private readonly queue: Out[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Frames waiting for this direction's next boundary (a reply from the other side, an injection). */
  private atNextBoundary: Out[] = [];
  /** Heart-beats are not forwarded until then (ms since the epoch; a stall-heartbeats rule). */
  private stallUntil = 0;
  /** The sender half-closed: passed on once the queue is empty. */
  private ending = false;
  /** Bytes recorded in this direction's stream (an injection's offset). */
  private recorded = 0;
  /** Contiguous unmarked bytes of the current read, written and recorded together at the end of it. */
  private run: Uint8Array | null = null;
  private readonly injections = new Set<Injection>();
  private closedReason: string | null = null;
  /** Bytes in the queue, and whether the sender is paused for them (MAX_QUEUED_BYTES). */
  private queued = 0;
  private pausedForQueue = false;

  constructor(private readonly c: RulesConnection, readonly dir: Direction) {}

  /** The sender is paused for this direction's queue: a drained socket must not resume it. */
  get holding(): boolean {
    return this.pausedForQueue;
  }

  private get other(): RulesPipe {
    return this.c.pipes[this.dir === 'client' ? 'broker' : 'client'];
  }

  /** Bytes the sender sent. */
  feed(chunk: Uint8Array): void {
    if (this.c.closed) return;
    let pos = 0;
    while (pos < chunk.length && !this.c.closed) {
      const frames = this.boundary.frames;
      const at = this.boundary.scan(chunk, pos, true);
      const piece = chunk.subarray(pos, at);
      pos = at;
      this.take(piece, this.boundary.atBoundary, this.boundary.frames > frames);
    }
    this.flushRun();
  }

  /** The sender half-closed: a frame in progress goes out as it is, then the end once the queue is empty. */
  end(): void {
    if (this.parts.length) {
      const bytes = concat(this.parts, this.partsBytes);
      this.parts = [];
      this.partsBytes = 0;
      this.out(bytes, null);
    }
    this.flushRun();
    this.ending = true;
    this.pump();
  }

  private take(piece: Uint8Array, complete: boolean, isFrame: boolean): void {
    if (this.mode === 'stream') {
      this.out(piece, null);
      if (complete) this.unitDone();
      return;
    }
    this.parts.push(piece);
    this.partsBytes += piece.length;
    if (!complete) {
      if (this.mode !== 'hold') {
        const command = commandOf(this.parts);
        if (command === null) {
          this.mode = 'undecided';
        } else if (this.mustDecode(command)) {
          this.mode = 'hold';
        } else {
          this.streamHeld();
          return;
        }
      }
      if (this.partsBytes > MAX_HELD_FRAME) {
        this.c.rules.hooks.notice?.(`connection ${this.c.conn}: a ${this.dir} frame over ${MAX_HELD_FRAME} bytes was forwarded without matching the rules`);
        this.streamHeld();
      }
      return;
    }
    const bytes = concat(this.parts, this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    if (isFrame) this.frame(bytes);
    else this.between(bytes);
    this.unitDone();
  }

  /** What was held of the frame in progress goes out; the rest of it streams. */
  private streamHeld(): void {
    const bytes = concat(this.parts, this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    this.mode = 'stream';
    this.c.seq++;
    this.out(bytes, null);
  }

  private unitDone(): void {
    this.mode = 'start';
    if (this.atNextBoundary.length) {
      this.flushRun(); // the end of the frame they waited for goes first
      const waiting = this.atNextBoundary;
      this.atNextBoundary = [];
      for (const o of waiting) this.enqueue(o);
    }
  }

  private mustDecode(command: string): boolean {
    // CONNECT and CONNECTED are always read: the negotiated version says how headers are escaped (STOMP 1.2 §Value Encoding).
    return isConnectCommand(command) || command === 'CONNECTED' || this.c.rules.mustDecode(this.dir, command);
  }

  /** EOLs between frames (heart-beats, STOMP 1.2 §Heart-beating) or skipped garbage. */
  private between(bytes: Uint8Array): void {
    if (this.stallUntil && Date.now() < this.stallUntil && bytes.every((b) => b === 0x0a || b === 0x0d)) return;
    this.out(bytes, null);
  }

  private frame(bytes: Uint8Array): void {
    const seq = this.c.seq++;
    const command = commandOf([bytes]) ?? '';
    if (!this.mustDecode(command)) return this.out(bytes, null);
    let f: DecodedFrame | null = null;
    this.decoder.push(bytes, 0, (e) => {
      if (e.kind === 'frame') f ??= e;
    });
    const frame = f as DecodedFrame | null;
    if (!frame) return this.out(bytes, null);
    if (this.dir === 'broker' && frame.command === 'CONNECTED') {
      const v = headerValue(frame.headers, 'version') ?? '1.0';
      this.c.version = v === '1.1' || v === '1.2' ? v : '1.0';
    }
    const headers = interpretHeaders(frame.command, frame.headers, this.c.version).headers;
    const rule = this.c.rules.pick({ dir: this.dir, command: frame.command, headers, size: bytes.length, seq, conn: this.c.conn, body: frame.body });
    if (!rule) return this.out(bytes, null);
    try {
      this.act(rule, frame, bytes);
    } catch (e) {
      if (!(e instanceof RewriteError)) throw e;
      this.c.rules.hooks.notice?.(`connection ${this.c.conn}: ${rule.name} not applied: ${e.message}`);
      this.out(bytes, null);
    }
  }

  private act(rule: CompiledRule, frame: DecodedFrame, bytes: Uint8Array): void {
    const r = rule.rule;
    const mark = (extra: Partial<FrameMark> = {}): FrameMark => ({ rule: rule.name, action: r.do, ...extra });
    const now = Date.now();
    switch (r.do) {
      case 'delay': {
        const jitter = r.jitterMs ? Math.floor(Math.random() * (r.jitterMs + 1)) : 0;
        this.flushRun();
        this.enqueue({ bytes, mark: mark(), write: true, at: now + (r.ms ?? 0) + jitter, held: null, end: null });
        return;
      }
      case 'drop':
        return this.out(bytes, mark({ forwarded: false }), false);
      case 'set-header':
      case 'remove-header':
      case 'replace-body':
      case 'map-destination': {
        const out = rewriteFrame(frame, this.c.version, rule);
        return this.out(out, mark({ original: bytes.slice() }));
      }
      case 'reply': {
        const reply = synthesizedFrame(rule, this.c.version);
        this.out(bytes, mark({ forwarded: false }), false);
        this.flushRun();
        const closes = r.command === 'ERROR' && !r.keepOpen;
        // The answer goes back to the sender: into the other direction, at its next frame boundary. An ERROR
        // ends the connection after it, as brokers do (STOMP 1.2 §ERROR: the server closes the connection).
        this.other.inject({ bytes: reply, mark: mark({ synthesized: true }), write: true, at: 0, held: null, end: null });
        if (closes) this.other.inject({ bytes: EMPTY, mark: null, write: false, at: 0, held: null, end: 'close', reason: rule.name });
        return;
      }
      case 'inject': {
        this.out(bytes, mark());
        return this.out(synthesizedFrame(rule, this.c.version), mark({ synthesized: true }));
      }
      case 'close':
      case 'reset':
        this.out(bytes, mark({ forwarded: false }), false);
        this.flushRun();
        this.enqueue({ bytes: EMPTY, mark: null, write: false, at: 0, held: null, end: r.do, reason: rule.name });
        return;
      case 'stall-heartbeats':
        this.stallUntil = now + (r.ms ?? 0);
        return this.out(bytes, mark());
      case 'break': {
        const rules = this.c.rules;
        const entry: Out = { bytes, mark: mark(), write: true, at: 0, held: null, end: null };
        const h: HeldFrame = {
          id: rules.heldId(), conn: this.c.conn, client: this.c.client, dir: this.dir, rule: rule.name, bytes, version: this.c.version,
          heldAt: now, timeoutAt: now + rules.holdTimeoutMs,
          decide: (d) => {
            if (entry.held !== h) return false;
            clearTimeout(timer);
            entry.held = null;
            if (d.do === 'drop') {
              entry.write = false;
              entry.mark = mark({ forwarded: false });
            } else if (d.do === 'edit') {
              entry.mark = mark({ original: bytes });
              entry.bytes = d.bytes;
            }
            rules.hooks.released?.(h, d.do);
            this.pump();
            return true;
          },
        };
        entry.held = h;
        const timer = setTimeout(() => {
          if (entry.held !== h) return;
          entry.held = null;
          rules.hooks.released?.(h, 'timeout');
          this.pump();
        }, rules.holdTimeoutMs);
        timer.unref();
        this.flushRun();
        this.enqueue(entry);
        rules.hooks.held?.(h);
        return;
      }
    }
  }

  /** Bytes for the other peer: written (and recorded) now when nothing waits before them, else queued behind. */
  private out(bytes: Uint8Array, mark: FrameMark | null, write = true): void {
    if (this.queue.length === 0 && !mark && write) {
      // The common case: join contiguous pieces of one read, written and recorded once at the end of it.
      const r = this.run;
      if (r && r.buffer === bytes.buffer && r.byteOffset + r.byteLength === bytes.byteOffset) {
        this.run = new Uint8Array(r.buffer, r.byteOffset, r.byteLength + bytes.byteLength);
        return;
      }
      this.flushRun();
      this.run = bytes;
      return;
    }
    this.flushRun();
    this.enqueue({ bytes, mark, write, at: 0, held: null, end: null });
  }

  private flushRun(): void {
    const r = this.run;
    if (!r) return;
    this.run = null;
    this.emit({ bytes: r, mark: null, write: true, at: 0, held: null, end: null });
  }

  /** A frame made up for this direction (a reply from the other side): at this direction's next frame boundary. */
  inject(o: Out): void {
    if (this.c.closed) return;
    if (this.mode === 'stream') this.atNextBoundary.push(o);
    else {
      this.flushRun();
      this.enqueue(o);
    }
  }

  /** Edit and resend into the live connection (client → broker), as ClientInjector.inject. */
  injectFrame(i: Injection): void {
    if (this.closedReason !== null) return i.failed(this.closedReason);
    const waited = this.mode === 'stream';
    this.injections.add(i);
    this.inject({
      bytes: i.bytes, mark: { injected: true }, write: true, at: 0, held: null, end: null,
      written: (offset) => {
        this.injections.delete(i);
        i.done(waited, offset);
      },
    });
  }

  cancelInjection(i: Injection): boolean {
    if (!this.injections.has(i)) return false;
    this.injections.delete(i);
    const drop = (q: Out[]) => {
      const k = q.findIndex((o) => o.bytes === i.bytes && o.mark?.injected);
      if (k >= 0) q.splice(k, 1);
      return k >= 0;
    };
    return drop(this.atNextBoundary) || drop(this.queue);
  }

  private enqueue(o: Out): void {
    this.queue.push(o);
    this.queued += o.bytes.length;
    if (this.queue.length === 1) this.pump();
    if (this.queued > MAX_QUEUED_BYTES && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.c.io.pause(this.dir);
    }
  }

  /** Writes what is due from the head of the queue. */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length && !this.c.closed) {
      const o = this.queue[0];
      if (o.held) return;
      const wait = o.at - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      this.queued -= o.bytes.length;
      this.emit(o);
      if (this.pausedForQueue && this.queued <= MAX_QUEUED_BYTES / 2) {
        this.pausedForQueue = false;
        this.c.io.resume(this.dir);
      }
    }
    if (this.ending && this.queue.length === 0 && !this.c.closed) this.c.io.end(this.dir);
  }

  private emit(o: Out): void {
    const io = this.c.io;
    if (o.end) {
      const why = `${o.end === 'close' ? 'closed' : 'reset'} by rule ${JSON.stringify(o.reason ?? '')}`;
      this.c.abort(why);
      io.terminate(o.end, why);
      return;
    }
    if (o.write && o.bytes.length && !io.write(this.dir, o.bytes)) io.pause(this.dir);
    if (o.bytes.length) {
      const offset = this.recorded;
      this.recorded += o.bytes.length;
      io.record(this.dir, o.bytes, o.mark?.injected === true, o.mark);
      o.written?.(offset);
    }
  }

  /** The connection is gone: queued frames are recorded as never forwarded; held ones let go; injections fail. */
  abort(reason: string): void {
    this.closedReason = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushRun();
    for (const o of this.queue.splice(0)) {
      if (o.held) this.c.rules.hooks.released?.(o.held, 'connection closed');
      o.held = null;
      if (o.end || !o.bytes.length) continue;
      if (o.mark?.injected) continue;
      this.recorded += o.bytes.length;
      this.c.io.record(this.dir, o.bytes, false, { ...(o.mark ?? {}), forwarded: false });
    }
    for (const i of this.injections) i.failed(reason);
    this.injections.clear();
    this.atNextBoundary = [];
  }
}
