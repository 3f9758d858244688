// TCP flows of a capture: one reassembler per direction, the decision whether a flow is STOMP and which side
// is the client, mid-stream pick-up at the first frame boundary, and the connection's life (SYN, FIN, RST).
// Store-agnostic: a STOMP flow is handed to a ConnectionHandle (the importer wraps a ConnectionRecorder).

import type { Direction } from '../../../shared/stomp/types.js';
import { findFrameBoundary, httpUpgrade, looksLikeHttp, looksLikeTls, startsWithFrame, type CommandAt } from './classify.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpPacket } from './dissect.js';
import { DEFAULT_REASSEMBLY_LIMITS, ReassemblyBudget, TcpReassembler, type GapCause, type ReassemblyLimits, type StreamSink } from './reassembly.js';
import type { KeySource } from './tls/keylog.js';
import { TlsSession, type TlsInfo } from './tls/session.js';
import { copyOf } from './bytes.js';

/** What a connection's TLS was, as stored with it: version, cipher suite, and whether it was decrypted. */
export interface ConnectionTls extends TlsInfo {
  decrypted: boolean;
  /** Why it was not decrypted. */
  missing?: string;
}

export interface ConnectionHandle {
  data(dir: Direction, bytes: Uint8Array, time: number): void;
  gap(dir: Direction, bytes: number, time: number, code: string, message: string): void;
  event(dir: Direction | null, time: number, code: string, severity: 'error' | 'warning' | 'note', message: string): void;
  close(time: number, reason: string): void;
  /** The connection's TLS changed (decrypted or not, what is missing). */
  tls?(info: ConnectionTls): void;
}

export interface FlowConnection {
  client: string;
  broker: string;
  opened: number;
  /** How the client side was told: 'syn' | 'content' | 'port'. */
  directionBy: 'syn' | 'content' | 'port';
  transport: 'tcp' | 'tls';
  tls: ConnectionTls | null;
}

export interface FlowTableOptions {
  /** Ports whose flows are STOMP without looking at the content. */
  ports: ReadonlySet<number>;
  open(info: FlowConnection): ConnectionHandle;
  /** Something worth telling about the import as a whole (once per kind is the caller's business). */
  notice(kind: 'tls' | 'http', message: string): void;
  /**
   * The key log for TLS connections (RFC 8446 / RFC 5246 secrets by client random); null: TLS connections on
   * STOMP ports are recorded as TLS connections without frames, with what is missing.
   */
  keys?: KeySource | null;
  limits?: Partial<ReassemblyLimits>;
  /** Most flows kept at once that have carried no data yet (default DEFAULT_MAX_QUIET_FLOWS). */
  maxQuietFlows?: number;
  /** Most closed or ignored flows remembered for their late packets (default DEFAULT_MAX_DONE_FLOWS). */
  maxDoneFlows?: number;
}

/**
 * A SYN flood or a port scan opens hundreds of thousands of flows that never carry a byte. Each costs a few KiB
 * (two reassemblers, their closures) until the capture ends, so past this many the least recently active ones
 * are dropped and counted: they had nothing to decode.
 */
export const DEFAULT_MAX_QUIET_FLOWS = 10_000;
/** Closed and ignored flows are remembered so that their late packets do not start new flows; this many at most. */
export const DEFAULT_MAX_DONE_FLOWS = 20_000;

type Side = 0 | 1;
const DIR_OF_CLIENT_SIDE: Record<Side, [Direction, Direction]> = { 0: ['client', 'broker'], 1: ['broker', 'client'] };

/** Most bytes per side looked at before a flow must be decided. */
const CLASSIFY_BYTES = 64 * 1024;
/** A mid-stream candidate may straddle pieces: keep at most this much of it (NUL, EOLs, command, EOL). */
const MAX_CARRY = 1024;

type Queued =
  | { side: Side; kind: 'data'; bytes: Uint8Array; time: number }
  | { side: Side; kind: 'gap'; n: number; cause: GapCause | TlsLoss; time: number }
  | { side: Side; kind: 'event'; time: number; code: string; severity: 'error' | 'warning' | 'note'; message: string }
  | { side: Side; kind: 'fin'; time: number };

/** Application data lost inside TLS (a damaged record, wrong keys): the issue to record for it. */
interface TlsLoss {
  code: string;
  message: string;
}

/** After the decision: one side's bytes on their way to the connection, through mid-stream sync if needed. */
class SideFeed {
  syncing: boolean;
  private atStart = true;
  private carry: Uint8Array | null = null;
  skipped = 0;

  constructor(private readonly conn: ConnectionHandle, readonly dir: Direction, fromSyn: boolean) {
    this.syncing = !fromSyn;
  }

  data(bytes: Uint8Array, time: number): void {
    if (!this.syncing) {
      this.conn.data(this.dir, bytes, time);
      return;
    }
    let b = bytes;
    if (this.carry) {
      const c = new Uint8Array(this.carry.length + bytes.length);
      c.set(this.carry);
      c.set(bytes, this.carry.length);
      this.skipped -= this.carry.length; // counted again below
      b = c;
      this.carry = null;
    }
    const r = findFrameBoundary(b, this.atStart);
    this.atStart = false;
    if (r === null) {
      this.skipped += b.length;
      return;
    }
    if ('more' in r) {
      this.skipped += b.length;
      if (b.length - r.more <= MAX_CARRY) {
        // The carried bytes begin at a candidate frame start: look there first next time.
        this.carry = copyOf(b.subarray(r.more));
        this.atStart = true;
      }
      return;
    }
    this.skipped += r.at;
    this.syncing = false;
    this.conn.event(this.dir, time, 'tcp-midstream', 'note',
      `the capture starts after this connection's handshake: picked up at the first frame boundary (${r.command}), ` +
        `${this.skipped} bytes before it skipped`);
    this.conn.data(this.dir, r.at ? b.subarray(r.at) : b, time);
  }

  gap(n: number, time: number, cause: GapCause | TlsLoss): void {
    if (this.syncing) {
      // Nothing recorded yet on this side: the bytes before the first frame boundary are skipped anyway.
      this.carry = null;
      this.atStart = false;
      return;
    }
    if (typeof cause === 'object') {
      this.conn.gap(this.dir, n, time, cause.code, cause.message);
    } else if (cause === 'snaplen') {
      this.conn.gap(this.dir, n, time, 'snaplen-cut', `${n} bytes of a packet were cut by the capture's snap length`);
    } else if (cause === 'memory') {
      this.conn.gap(this.dir, n, time, 'tcp-segments-missing',
        `${n} bytes of TCP segments are not in the capture yet, and the import gave up waiting for them: more data waited ` +
          `out of order across all connections than the reassembly memory cap allows, and this was the oldest hole`);
    } else {
      this.conn.gap(this.dir, n, time, 'tcp-segments-missing', `${n} bytes of TCP segments are not in the capture`);
    }
  }

  /** The side ended (FIN, RST or end of capture) before any frame boundary was found. */
  end(time: number): void {
    if (this.syncing && this.skipped > 0) {
      this.conn.event(this.dir, time, 'tcp-midstream', 'note',
        `the capture starts after this connection's handshake and no frame boundary followed: ${this.skipped} bytes skipped`);
    }
    this.syncing = false;
  }
}

export class Flow {
  state: 'undecided' | 'stomp' | 'ignored' | 'closed' = 'undecided';
  readonly reasm: [TcpReassembler, TcpReassembler];
  readonly endpoints: [string, string];
  readonly ports: [number, number];
  firstTime: number;
  lastTime: number;
  synFrom: Side | -1 = -1;
  synAckFrom: Side | -1 = -1;
  synTime = -1;
  private queue: Queued[] = [];
  private queuedBytes: [number, number] = [0, 0];
  /** First bytes of each side, for classification. */
  private head: [Uint8Array | null, Uint8Array | null] = [null, null];
  private headClosed: [boolean, boolean] = [false, false];
  private conn: ConnectionHandle | null = null;
  private feeds: [SideFeed, SideFeed] | null = null;
  private clientSide: Side = 0;
  private finTime: [number, number] = [-1, -1];
  /** The flow opened with a WebSocket upgrade request: both sides start at their first byte. */
  private upgrade = false;
  /** A segment of this flow carried payload (or bytes the snap length cut). */
  carried = false;
  /** The flow opened with a TLS ClientHello: its streams go through this, and the decrypted data on. */
  private tls: TlsSession | null = null;
  private tlsClientSide: Side = 0;
  /** Why the TLS connection is not decrypted (once known). */
  private tlsMissing: string | null = null;
  private sawData = false;

  constructor(readonly aKey: string, pkt: TcpPacket, time: number, private readonly t: FlowTable) {
    this.endpoints = [pkt.endpoint('src'), pkt.endpoint('dst')];
    this.ports = [pkt.srcPort, pkt.dstPort];
    this.firstTime = time;
    this.lastTime = time;
    this.reasm = [new TcpReassembler(this.sink(0), t.limits, t.budget), new TcpReassembler(this.sink(1), t.limits, t.budget)];
  }

  /** Undecided and never carried a byte: what a SYN flood or a port scan leaves behind. */
  get quiet(): boolean {
    return this.state === 'undecided' && !this.carried;
  }

  get isStompPort(): boolean {
    return this.t.ports.has(this.ports[0]) || this.t.ports.has(this.ports[1]);
  }

  private sink(side: Side): StreamSink {
    return {
      data: (bytes, time) => this.onData(side, bytes, time),
      gap: (n, time, cause) => this.onGap(side, n, time, cause),
      fin: (time) => this.onFin(side, time),
    };
  }

  packet(side: Side, p: TcpPacket, time: number): void {
    this.lastTime = time;
    if (p.payloadLength || p.cutLength) this.carried = true;
    const f = p.flags;
    let seq = p.seq;
    if (f & TCP_SYN) {
      if (f & TCP_ACK) {
        if (this.synAckFrom < 0) this.synAckFrom = side;
      } else if (this.synFrom < 0) {
        this.synFrom = side;
        this.synTime = time;
      }
      this.reasm[side].syn(seq);
      seq = (seq + 1) >>> 0; // data on a SYN (TCP Fast Open) follows the SYN's sequence number
    }
    if (p.payloadLength || p.cutLength || f & TCP_FIN) this.reasm[side].segment(seq, p.payload, p.cutLength, (f & TCP_FIN) !== 0, time);
    if (f & TCP_ACK) this.reasm[1 - side].ack(p.ack, time);
    if (f & TCP_RST) this.reset(side, time);
  }

  // --- stream events from the reassemblers -----------------------------------------------------------------

  private onData(side: Side, bytes: Uint8Array, time: number): void {
    if (this.tls) return this.tls.push(side, bytes, time);
    if (!this.sawData) {
      this.sawData = true;
      // A ClientHello as the first byte of the flow (RFC 8446 §5.1 record, §4 handshake type 1): TLS from the start.
      if (this.state === 'undecided' && looksLikeTls(bytes) && bytes.length > 5 && bytes[5] === 1) {
        this.startTls(side);
        return this.tls!.push(side, bytes, time);
      }
    }
    this.onPlain(side, bytes, time);
  }

  private startTls(clientSide: Side): void {
    this.tlsClientSide = clientSide;
    this.tls = new TlsSession(this.t.keys, clientSide, {
      data: (side, bytes, time) => this.onPlain(side, bytes, time),
      lost: (side, n, time, code, message) => this.onPlainGap(side, n, time, { code, message }),
      issue: (side, time, code, severity, message) => {
        if (this.state === 'stomp') this.conn!.event(side === null ? null : this.dirOf(side), time, code, severity, message);
        else if (this.state === 'undecided' && side !== null) this.queue.push({ side, kind: 'event', time, code, severity, message });
      },
      undecryptable: (reason, time) => this.tlsUndecryptable(reason, time),
    });
  }

  /** A TLS flow that will not be decrypted: on a STOMP port it is still a connection (TLS, without frames). */
  private tlsUndecryptable(reason: string, time: number): void {
    this.tlsMissing = reason;
    const what = `${this.endpoints[this.tlsClientSide]} ⇄ ${this.endpoints[1 - this.tlsClientSide]}`;
    if (this.state === 'undecided') {
      if (!this.isStompPort) {
        if (this.t.keys) this.t.notice('tls', `${what} is TLS and not decrypted (${reason})`);
        return this.ignore();
      }
      const synSide = this.synSide();
      this.decide(synSide >= 0 ? synSide as Side : this.tlsClientSide, synSide >= 0 ? 'syn' : 'content');
    }
    if (this.state !== 'stomp') return;
    this.t.notice('tls', `${what} is TLS and not decrypted (${reason})`);
    this.conn!.event(null, time, 'tls-undecrypted', 'warning', `this TLS connection is not decrypted: ${reason}`);
    this.conn!.tls?.(this.tlsInfo()!);
  }

  private tlsInfo(): ConnectionTls | null {
    const t = this.tls;
    if (!t) return null;
    return {
      version: t.info?.version ?? 'unknown', cipherSuite: t.info?.cipherSuite ?? 'unknown', decrypted: t.decrypted,
      ...(this.tlsMissing ? { missing: this.tlsMissing } : {}),
    };
  }

  private onPlain(side: Side, bytes: Uint8Array, time: number): void {
    if (this.state === 'stomp') return this.feeds![side].data(bytes, time);
    if (this.state !== 'undecided') return;
    // Held until the flow is decided: copied, so that a held view does not pin a whole read buffer.
    const copy = copyOf(bytes);
    this.queue.push({ side, kind: 'data', bytes: copy, time });
    this.queuedBytes[side] += copy.length;
    if (!this.headClosed[side]) {
      const h = this.head[side];
      const room = CLASSIFY_BYTES - (h?.length ?? 0);
      const add = copy.subarray(0, Math.max(0, room));
      if (!h) this.head[side] = copyOf(add);
      else {
        const c = new Uint8Array(h.length + add.length);
        c.set(h);
        c.set(add, h.length);
        this.head[side] = c;
      }
      if ((this.head[side]!.length) >= CLASSIFY_BYTES) this.headClosed[side] = true;
    }
    this.classify(false);
  }

  private onGap(side: Side, n: number, time: number, cause: GapCause): void {
    if (this.tls) return this.tls.gap(side, n, time);
    this.onPlainGap(side, n, time, cause);
  }

  private onPlainGap(side: Side, n: number, time: number, cause: GapCause | TlsLoss): void {
    if (this.state === 'stomp') return this.feeds![side].gap(n, time, cause);
    if (this.state !== 'undecided') return;
    this.queue.push({ side, kind: 'gap', n, cause, time });
    // What comes after a gap is not the stream's start: classification looks only at the bytes before it.
    this.headClosed[side] = true;
    this.classify(false);
  }

  private onFin(side: Side, time: number): void {
    this.tls?.end(side, time);
    this.finTime[side] = time;
    const both = this.finTime[0] >= 0 && this.finTime[1] >= 0;
    if (both) this.tls?.finish(time);
    if (this.state === 'undecided') {
      this.queue.push({ side, kind: 'fin', time });
      this.headClosed[side] = true;
      this.classify(both);
    } else if (this.state === 'stomp') {
      this.finEvent(side, time);
    }
    if (both) this.close(time, 'FIN from both sides');
  }

  private finEvent(side: Side, time: number): void {
    const dir = this.dirOf(side);
    this.feeds![side].end(time);
    this.conn!.event(dir, time, 'tcp-fin', 'note', `the ${dir} closed its side of the connection (FIN)`);
  }

  private dirOf(side: Side): Direction {
    return DIR_OF_CLIENT_SIDE[this.clientSide][side];
  }

  /** RST from `side`: the connection is gone. Holes left are gaps; held data is delivered first. */
  reset(side: Side, time: number): void {
    if (this.state === 'closed' || this.state === 'ignored') return;
    this.reasm[0].flush();
    this.reasm[1].flush();
    this.endTls(time);
    if (this.state === 'undecided') this.classify(true);
    if (this.state !== 'stomp') return;
    const dir = this.dirOf(side);
    this.conn!.event(dir, time, 'tcp-rst', 'note', `the ${dir} reset the connection (RST)`);
    this.close(time, `RST from ${dir}`);
  }

  /** The capture ended with this flow still open. */
  end(time: number): void {
    if (this.state === 'closed' || this.state === 'ignored') return;
    this.reasm[0].flush();
    this.reasm[1].flush();
    this.endTls(time);
    if (this.state === 'undecided') this.classify(true);
    if (this.state === 'stomp') this.close(time, 'the capture ended before the connection closed');
  }

  private endTls(time: number): void {
    if (!this.tls) return;
    this.tls.end(0, time);
    this.tls.end(1, time);
    this.tls.finish(time);
  }

  /** A live capture: TLS records held for keys the key log did not have yet are tried again. */
  retryTls(time: number): void {
    if (this.tls && this.state !== 'closed' && this.state !== 'ignored') this.tls.retry(time);
  }

  private close(time: number, reason: string): void {
    if (this.state === 'stomp' && this.tls && !this.tls.undecryptable) this.conn!.tls?.(this.tlsInfo()!);
    if (this.state === 'stomp') {
      this.feeds![0].end(time);
      this.feeds![1].end(time);
      this.conn!.close(time, reason);
    }
    this.state = 'closed';
    this.queue = [];
    this.head = [null, null];
    // A closed flow is remembered for its late packets only: it must not keep its connection's recorder alive.
    this.conn = null;
    this.feeds = null;
    this.release();
  }

  /** Forgotten without a trace (a quiet flow over the cap): nothing was recorded for it. */
  drop(): void {
    this.state = 'ignored';
    this.queue = [];
    this.head = [null, null];
    this.release();
  }

  /** No more bytes of this flow will be decoded: what its reassemblers hold goes back to the shared budget. */
  private release(): void {
    this.reasm[0].discard();
    this.reasm[1].discard();
  }

  // --- classification ---------------------------------------------------------------------------------------

  /**
   * Decides, when it can, whether this flow is STOMP and which side is the client. `final`: no more bytes will
   * come (FIN both ways, RST, end of capture), so decide with what there is.
   */
  private classify(final: boolean): void {
    if (this.state !== 'undecided') return;
    const portFlow = this.isStompPort;
    // Held bytes are bounded: past this, decide with what there is.
    const force = final || this.queuedBytes[0] + this.queuedBytes[1] > 4 * CLASSIFY_BYTES;
    let found: { side: Side; c: CommandAt } | null = null;
    let notStomp = false; // a side that began at its handshake and did not open with a frame
    let waiting = false; // a side that may still show a frame
    for (const side of this.sidesInOrder()) {
      const h = this.head[side];
      const open = !this.headClosed[side] && !force;
      if (!h || h.length === 0) {
        if (open) waiting = true;
        continue;
      }
      if (looksLikeTls(h)) {
        if (portFlow) this.t.notice('tls', `${this.endpoints[0]} ⇄ ${this.endpoints[1]} is TLS-encrypted: not decoded`);
        return this.ignore();
      }
      if (looksLikeHttp(h)) {
        // STOMP over WebSocket or SockJS, on any port: the side that asks for the upgrade is the client.
        const http = httpUpgrade(h);
        if (http === 'upgrade') {
          this.upgrade = true;
          found = { side, c: { at: 0, command: 'GET', sender: 'client' } };
          break;
        }
        if (http === 'more' && open) {
          waiting = true;
          continue;
        }
        if (!portFlow) {
          if (http && http !== 'more' && (http.sockjs || this.ports.includes(8080) || this.ports.includes(15674))) {
            this.t.notice('http', `${this.endpoints[0]} ⇄ ${this.endpoints[1]}: ${http.http} is ${http.sockjs ? `SockJS over "${http.sockjs}"` : 'HTTP'}, not a WebSocket`);
          }
          return this.ignore();
        }
      }
      const fromStart = this.reasm[side].fromSyn || this.tls !== null;
      const r = fromStart ? startsWithFrame(h) : findFrameBoundary(h, true);
      if (r === 'more' || (r !== null && 'more' in r)) {
        if (open) waiting = true;
      } else if (r === null) {
        if (fromStart) notStomp = true;
        else if (open) waiting = true;
      } else {
        found = { side, c: r };
        break;
      }
    }
    const synSide = this.synSide();
    if (found) {
      if (synSide >= 0) return this.decide(synSide as Side, 'syn');
      return this.decide(found.c.sender === 'client' ? found.side : ((1 - found.side) as Side), 'content');
    }
    if (!portFlow) {
      // Not on a STOMP port: STOMP only if its content says so. A flow that began with its handshake speaks
      // STOMP from its first byte; one picked up mid-stream has CLASSIFY_BYTES per side to show a boundary.
      if (notStomp || force || !waiting) this.ignore();
      return;
    }
    // A STOMP port: it is STOMP (unless TLS, seen above); what is left is the direction, and some evidence
    // that there was a connection at all.
    if (!force && this.queue.length === 0) return;
    if (force && this.queue.length === 0 && synSide < 0) return this.ignore();
    if (synSide >= 0) return this.decide(synSide as Side, 'syn');
    if (waiting && !force) return;
    this.decide(this.portClientSide(), 'port');
  }

  /** Sides in the order their first data arrived. */
  private sidesInOrder(): Side[] {
    const first = this.queue.find((q) => q.kind === 'data');
    return first && first.side === 1 ? [1, 0] : [0, 1];
  }

  /** The client by the handshake: the SYN sender, or the one the SYN-ACK went to. */
  private synSide(): Side | -1 {
    if (this.synFrom >= 0) return this.synFrom;
    if (this.synAckFrom >= 0) return (1 - this.synAckFrom) as Side;
    return -1;
  }

  /** The client by port: the side not on a STOMP port; else the side with the higher (ephemeral) port. */
  private portClientSide(): Side {
    const a = this.t.ports.has(this.ports[0]);
    const b = this.t.ports.has(this.ports[1]);
    if (a !== b) return a ? 1 : 0;
    return this.ports[0] >= this.ports[1] ? 0 : 1;
  }

  private ignore(): void {
    this.state = 'ignored';
    this.queue = [];
    this.head = [null, null];
    this.release();
  }

  private decide(clientSide: Side, by: FlowConnection['directionBy']): void {
    this.clientSide = clientSide;
    const opened = this.synTime >= 0 ? this.synTime : this.firstTime;
    const conn = this.t.open({
      client: this.endpoints[clientSide], broker: this.endpoints[1 - clientSide], opened, directionBy: by,
      transport: this.tls ? 'tls' : 'tcp', tls: this.tlsInfo(),
    });
    this.conn = conn;
    this.state = 'stomp';
    const dirs = DIR_OF_CLIENT_SIDE[clientSide];
    const fromStart = (side: Side) => this.reasm[side].fromSyn || this.upgrade || this.tls !== null;
    this.feeds = [new SideFeed(conn, dirs[0], fromStart(0)), new SideFeed(conn, dirs[1], fromStart(1))];
    if (this.synTime >= 0) conn.event('client', this.synTime, 'tcp-syn', 'note', 'the client opened the connection (SYN)');
    const queued = this.queue;
    this.queue = [];
    this.head = [null, null];
    for (const q of queued) {
      if (q.kind === 'data') this.feeds[q.side].data(q.bytes, q.time);
      else if (q.kind === 'gap') this.feeds[q.side].gap(q.n, q.time, q.cause);
      else if (q.kind === 'event') conn.event(this.dirOf(q.side), q.time, q.code, q.severity, q.message);
      else this.finEvent(q.side, q.time);
    }
  }
}

/** All flows of one capture, keyed by their canonical 4-tuple. */
export class FlowTable {
  private readonly flows = new Map<string, Flow>();
  readonly ports: ReadonlySet<number>;
  readonly limits: Partial<ReassemblyLimits> | undefined;
  readonly keys: KeySource | null;
  /** One cap on out-of-order bytes for every connection of the capture. */
  readonly budget: ReassemblyBudget;
  /** The quiet flows (see Flow.quiet), least recently active first. */
  private readonly quiet = new Map<string, Flow>();
  private readonly maxQuiet: number;
  private readonly maxDone: number;
  private sinceSweep = 0;
  /** STOMP connections opened. */
  connections = 0;
  /** Quiet flows dropped over the cap, and the most kept at once. */
  quietDropped = 0;
  quietPeak = 0;

  constructor(private readonly opts: FlowTableOptions) {
    this.ports = opts.ports;
    this.limits = opts.limits;
    this.keys = opts.keys ?? null;
    this.budget = new ReassemblyBudget(opts.limits?.maxTotalPendingBytes ?? DEFAULT_REASSEMBLY_LIMITS.maxTotalPendingBytes);
    this.maxQuiet = Math.max(1, opts.maxQuietFlows ?? DEFAULT_MAX_QUIET_FLOWS);
    this.maxDone = Math.max(0, opts.maxDoneFlows ?? DEFAULT_MAX_DONE_FLOWS);
  }

  get maxQuietFlows(): number {
    return this.maxQuiet;
  }

  open(info: FlowConnection): ConnectionHandle {
    this.connections++;
    return this.opts.open(info);
  }

  notice(kind: 'tls' | 'http', message: string): void {
    this.opts.notice(kind, message);
  }

  segment(p: TcpPacket, time: number): void {
    let flow = this.flows.get(p.flowKey);
    // A new handshake on the 4-tuple of a connection that closed: the port was reused, a new connection.
    if (flow && flow.state === 'closed' && (p.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) flow = undefined;
    if (!flow) {
      flow = new Flow(p.srcKey, p, time, this);
      this.flows.set(p.flowKey, flow);
      if (++this.sinceSweep >= 4096) this.sweep(time);
    }
    if (flow.state === 'closed' || flow.state === 'ignored') {
      flow.lastTime = time;
      return;
    }
    flow.packet(p.srcKey === flow.aKey ? 0 : 1, p, time);
    this.trackQuiet(p.flowKey, flow);
  }

  /** Keeps the quiet flows in order of activity, and drops the least recently active past the cap. */
  private trackQuiet(key: string, flow: Flow): void {
    const q = this.quiet;
    q.delete(key);
    if (!flow.quiet) return;
    q.set(key, flow);
    while (q.size > this.maxQuiet) {
      const [k, f] = q.entries().next().value as [string, Flow];
      q.delete(k);
      this.flows.delete(k);
      f.drop();
      this.quietDropped++;
    }
    if (q.size > this.quietPeak) this.quietPeak = q.size;
  }

  /** A live capture, now and then: TLS records waiting for keys are tried again (the key log may have grown). */
  retryTls(time: number): void {
    for (const f of this.flows.values()) f.retryTls(time);
  }

  /** The capture is over: every flow still open ends here. */
  finish(time: number): void {
    for (const f of this.flows.values()) f.end(Math.max(time, f.lastTime));
    this.flows.clear();
    this.quiet.clear();
  }

  /**
   * Forgets flows that closed, or that are not STOMP, and have been quiet for a minute of capture time; and,
   * past maxDoneFlows of them, the oldest whatever their age (a flood of refused connections closes them fast).
   */
  private sweep(now: number): void {
    this.sinceSweep = 0;
    const done: string[] = [];
    for (const [k, f] of this.flows) {
      if (f.state !== 'closed' && f.state !== 'ignored') continue;
      if (now - f.lastTime > 60_000_000) this.flows.delete(k);
      else done.push(k);
    }
    // Map order is creation order: the first ones are the oldest.
    for (let i = 0; i < done.length - this.maxDone; i++) this.flows.delete(done[i]);
  }
}
