// The analysis of one connection, fed incrementally in wire order: frames (with the ids the store gave them)
// and heart-beats of both directions, then close(). It links frames that belong together (types.ts names the
// kinds) and reports findings: protocol rules by version, heart-beat health, and the checks of the broker's
// profile. Pure and bounded: every table it keeps is capped, so a connection of a million frames costs the
// same memory as one of ten thousand (what falls out of a table is no longer linked or reported).

import { ackFrameKey, ackIdentityHeaders, messageAckKey } from '../correlate/ack.js';
import { ISSUES, type IssueCode } from '../issues.js';
import { headerValue, interpretHeaders } from '../stomp/escape.js';
import { maskText } from '../stomp/secrets.js';
import type { Direction, RawHeader, StompVersion } from '../stomp/types.js';
import { negotiateHeartBeat, parseHeartBeat, type HeartBeatSpec } from '../stomp/version.js';
import type { DeliveryCorrelator } from './delivery.js';
import {
  detectProfile, ROCKETMQ_DESTINATION, ROCKETMQ_MAX_OPEN_TRANSACTIONS, ROCKETMQ_MAX_TRANSACTION_SENDS, type ProfileName,
} from './profiles.js';
import type { AnalysisSink, AnalyzedFrame, LinkKind } from './types.js';

type Headers = readonly (readonly [string, string])[];

export interface AnalyzerOptions {
  /** The profile the user chose; when given, CONNECTED's server header does not change it. */
  profile?: ProfileName | null;
  /** Session-level SEND -> MESSAGE matching, shared by the connections of a session. */
  delivery?: DeliveryCorrelator | null;
  /** Names this connection among the session's (for delivery matching). */
  connectionKey?: string | number;
  /** Entries kept per table (receipts, messages awaiting ACK, …); default 10,000. */
  maxPending?: number;
  /** Findings of one kind reported one by one at close before the rest are summed up; default 20. */
  maxListed?: number;
}

/** The grace beyond the negotiated heart-beat period before a peer counts as silent: 50% (stomp.py, ActiveMQ). */
export const HEARTBEAT_GRACE = 0.5;

interface FrameRef {
  id: number;
  time: number;
}

interface Subscription extends FrameRef {
  name: string;
  destination: string;
  ack: string;
  /** Messages awaiting ACK/NACK (ack mode client or client-individual), by ack key, in delivery order. */
  unacked: Map<string, Delivered>;
}

interface Delivered extends FrameRef {
  sub: Subscription | null;
  messageId: string;
}

interface Transaction extends FrameRef {
  sends: number;
}

const OTHER: Record<Direction, Direction> = { client: 'broker', broker: 'client' };

/** "2.40 s", "850 ms": for messages. */
function seconds(us: number): string {
  return us >= 10_000_000 ? `${(us / 1e6).toFixed(1)} s` : us >= 1_000_000 ? `${(us / 1e6).toFixed(2)} s` : `${Math.round(us / 1000)} ms`;
}

/** ISO 8601 UTC with milliseconds, for the times findings name. */
export function isoTime(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  // A capture may carry any timestamp: never throw on one Date cannot show.
  return Number.isNaN(d.getTime()) ? `${us} µs` : d.toISOString();
}

function hasBackslash(headers: Headers): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i][0].includes('\\') || headers[i][1].includes('\\')) return true;
  return false;
}

export class ConnectionAnalyzer {
  version: StompVersion | null = null;
  profile: ProfileName | null;
  private readonly chosen: boolean;
  private readonly maxPending: number;
  private readonly maxListed: number;
  private readonly consumerPrefix: string;

  private connect: (FrameRef & { host: boolean; clientId: string | undefined; heartBeat: HeartBeatSpec | null }) | null = null;
  private connectAnswered = true;
  private readonly receipts = new Map<string, FrameRef & { command: string }>();
  private readonly subs = new Map<string, Subscription>();
  /** STOMP 1.0 subscriptions without id: their MESSAGEs are found by destination. */
  private readonly subsByDestination = new Map<string, Subscription>();
  private readonly delivered = new Map<string, Delivered>();
  private unackedCount = 0;
  private readonly transactions = new Map<string, Transaction>();
  private disconnect: FrameRef | null = null;
  /** DISCONNECT sent or ERROR received: the connection is ending, silence is expected. */
  private ending = false;
  private closed = false;
  private readonly jmsHinted = new Set<string>();

  // Heart-beats, per direction [client, broker]: negotiated period (ms), last data, last heart-beat, where the
  // last frame ended (an EOL right there only ends the frame), and heart-beats that came too soon.
  private heartBeating = false;
  private readonly period: Record<Direction, number> = { client: 0, broker: 0 };
  private readonly lastData: Record<Direction, number> = { client: 0, broker: 0 };
  private readonly lastBeat: Record<Direction, number> = { client: -1, broker: -1 };
  private readonly frameEnd: Record<Direction, number> = { client: -1, broker: -1 };
  /** The silence of each direction already reported while it lasted (tick()): its start, or -1. */
  private readonly silenceReported: Record<Direction, number> = { client: -1, broker: -1 };
  private readonly fast: Record<Direction, { count: number; first: number; shortest: number }> = {
    client: { count: 0, first: 0, shortest: Infinity }, broker: { count: 0, first: 0, shortest: Infinity },
  };

  constructor(private readonly sink: AnalysisSink, private readonly opts: AnalyzerOptions = {}) {
    this.profile = opts.profile ?? null;
    this.chosen = !!opts.profile;
    this.maxPending = opts.maxPending ?? 10_000;
    this.maxListed = opts.maxListed ?? 20;
    this.consumerPrefix = `${opts.connectionKey ?? ''}\u0000`;
  }

  private find(code: IssueCode, at: FrameRef | null, dir: Direction | null, time: number, message: string): void {
    this.sink.finding({ code, severity: ISSUES[code].severity, frameId: at ? at.id : null, dir, time, message });
  }

  private link(kind: LinkKind, from: FrameRef, to: FrameRef): void {
    this.sink.link({ kind, fromFrameId: from.id, toFrameId: to.id, latencyUs: to.time - from.time });
  }

  /** A heart-beat (EOL between frames) in one direction. `offset` tells one that merely ends a frame. */
  heartbeat(dir: Direction, time: number, offset?: number): void {
    if (this.closed) return;
    const trailing = offset !== undefined && offset === this.frameEnd[dir];
    this.frameEnd[dir] = -1;
    this.data(dir, time);
    const period = this.period[dir];
    if (trailing || !this.heartBeating || period === 0) return;
    const last = this.lastBeat[dir];
    this.lastBeat[dir] = time;
    if (last >= 0 && time - last < (period * 1000) / 2) {
      const f = this.fast[dir];
      if (f.count++ === 0) f.first = time;
      f.shortest = Math.min(f.shortest, time - last);
    }
  }

  /** Something arrived from `dir`: checks the silence before it against the heart-beat period. */
  private data(dir: Direction, time: number): void {
    const period = this.period[dir];
    if (this.heartBeating && !this.ending && period > 0 && this.silenceReported[dir] !== this.lastData[dir]) {
      const limit = period * 1000 * (1 + HEARTBEAT_GRACE);
      const gap = time - this.lastData[dir];
      if (gap > limit) {
        const at = this.lastData[dir] + limit;
        this.find('heartbeat-missed', null, dir, at,
          `nothing from the ${dir} for ${seconds(gap)} (heart-beat every ${period} ms, +50% grace): the ${OTHER[dir]} ` +
          `would have dropped the connection at ${isoTime(at)}`);
      }
    }
    if (time > this.lastData[dir]) this.lastData[dir] = time;
  }

  /**
   * The time is now `now` and nothing else arrived: a direction silent past its heart-beat limit is reported at
   * once, while the connection is still open (a live recording calls this every second), and only once: when
   * that side speaks again or the connection closes, the same silence is not reported a second time.
   */
  tick(now: number): void {
    for (const dir of ['client', 'broker'] as const) {
      if (!this.silentPastLimit(dir, now)) continue;
      const since = this.lastData[dir];
      const period = this.period[dir];
      this.silenceReported[dir] = since;
      const at = since + period * 1000 * (1 + HEARTBEAT_GRACE);
      this.find('heartbeat-missed', null, dir, at,
        `nothing from the ${dir} for ${seconds(now - since)} so far (heart-beat every ${period} ms, +50% grace): the ${OTHER[dir]} ` +
        `would have dropped the connection at ${isoTime(at)}`);
    }
  }

  /** Whether tick(now) would report something: lets a caller skip a tick that has nothing to write. */
  silenceDue(now: number): boolean {
    return this.silentPastLimit('client', now) || this.silentPastLimit('broker', now);
  }

  /** `dir` has been silent past its heart-beat limit at `now`, and that silence is not reported yet. */
  private silentPastLimit(dir: Direction, now: number): boolean {
    const period = this.period[dir];
    if (this.closed || !this.heartBeating || this.ending || period === 0) return false;
    const since = this.lastData[dir];
    return now - since > period * 1000 * (1 + HEARTBEAT_GRACE) && this.silenceReported[dir] !== since;
  }

  /** A frame, in wire order. `f` is not kept (callers may reuse the object): what is needed later is copied. */
  frame(f: AnalyzedFrame): void {
    if (this.closed) return;
    const dir = f.dir;
    this.data(dir, f.time);
    if (f.offset !== undefined && f.length !== undefined) this.frameEnd[dir] = f.offset + f.length;
    const h: Headers = f.view ?? (hasBackslash(f.headers) ? interpretHeaders(f.command, f.headers as readonly RawHeader[], this.version).headers : f.headers);
    if (dir === 'client') this.clientFrame(f, h);
    else this.brokerFrame(f, h);
  }

  private clientFrame(f: AnalyzedFrame, h: Headers): void {
    if (this.disconnect) {
      this.find('frame-after-disconnect', f, 'client', f.time,
        `${f.command} sent ${seconds(f.time - this.disconnect.time)} after DISCONNECT`);
    }
    const receipt = f.command === 'CONNECT' || f.command === 'STOMP' ? undefined : headerValue(h, 'receipt');
    if (receipt !== undefined && this.receipts.size < this.maxPending) this.receipts.set(receipt, { id: f.id, time: f.time, command: f.command });
    switch (f.command) {
      case 'CONNECT':
      case 'STOMP': {
        const host = headerValue(h, 'host') !== undefined;
        const hb = headerValue(h, 'heart-beat');
        this.connect = { id: f.id, time: f.time, host, clientId: headerValue(h, 'client-id'), heartBeat: parseHeartBeat(hb) };
        this.connectAnswered = false;
        if (headerValue(h, 'accept-version') === undefined && (f.command === 'STOMP' || host || hb !== undefined)) {
          const why = f.command === 'STOMP' ? 'a STOMP frame (STOMP 1.2)' : host ? 'a host header (STOMP 1.1+)' : 'a heart-beat header (STOMP 1.1+)';
          this.find('missing-accept-version', f, 'client', f.time,
            `${f.command} has ${why} but no accept-version: the broker must take the client for STOMP 1.0`);
        }
        return;
      }
      case 'SUBSCRIBE':
        this.subscribe(f, h);
        return;
      case 'SEND':
        this.send(f, h);
        return;
      case 'ACK':
      case 'NACK':
        this.ack(f, h);
        return;
      case 'BEGIN': {
        const tx = headerValue(h, 'transaction');
        if (tx === undefined) return;
        if (this.profile === 'rocketmq' && this.transactions.size >= ROCKETMQ_MAX_OPEN_TRANSACTIONS) {
          this.find('rocketmq-transaction-limit', f, 'client', f.time,
            `BEGIN ${tx} while ${[...this.transactions.keys()].join(', ')} is still open: the gateway allows one open transaction`);
        }
        if (this.transactions.size < this.maxPending) this.transactions.set(tx, { id: f.id, time: f.time, sends: 0 });
        return;
      }
      case 'COMMIT':
      case 'ABORT': {
        const tx = headerValue(h, 'transaction');
        const begin = tx === undefined ? undefined : this.transactions.get(tx);
        if (begin) {
          this.link('transaction', begin, f);
          this.transactions.delete(tx!);
        }
        return;
      }
      case 'DISCONNECT':
        this.disconnect ??= { id: f.id, time: f.time };
        this.ending = true;
        return;
    }
  }

  private inTransaction(f: AnalyzedFrame, h: Headers): Transaction | undefined {
    const tx = headerValue(h, 'transaction');
    const begin = tx === undefined ? undefined : this.transactions.get(tx);
    if (begin) this.link('in-transaction', begin, f);
    return begin;
  }

  private subscribe(f: AnalyzedFrame, h: Headers): void {
    const id = headerValue(h, 'id');
    const destination = headerValue(h, 'destination') ?? '';
    if (id === undefined && (this.version === '1.1' || this.version === '1.2')) {
      this.find('subscribe-without-id', f, 'client', f.time, `SUBSCRIBE to ${destination || '(no destination)'} has no id (required since STOMP 1.1)`);
    }
    const sub: Subscription = { id: f.id, time: f.time, name: id ?? '', destination, ack: headerValue(h, 'ack') ?? 'auto', unacked: new Map() };
    if (this.subs.size + this.subsByDestination.size < this.maxPending) {
      if (id !== undefined) this.subs.set(id, sub);
      else this.subsByDestination.set(destination, sub);
    }
    if (this.profile === 'artemis' && this.connect && this.connect.clientId === undefined) {
      const durable = headerValue(h, 'durable-subscription-name') ?? headerValue(h, 'durable-subscriber-name');
      if (durable !== undefined) {
        this.find('artemis-durable-without-client-id', f, 'client', f.time,
          `durable subscription ${JSON.stringify(durable)} but CONNECT had no client-id: Artemis cannot make it durable`);
      }
    }
    if (this.profile === 'rocketmq') {
      if (headerValue(h, 'selector') !== undefined) {
        this.find('rocketmq-selector', f, 'client', f.time, 'SUBSCRIBE with a selector: the RocketMQ gateway does not support selectors');
      }
      this.rocketmqDestination(f, destination);
    }
  }

  private rocketmqDestination(f: AnalyzedFrame, destination: string): void {
    if (!ROCKETMQ_DESTINATION.test(destination)) {
      this.find('rocketmq-destination', f, 'client', f.time,
        `destination ${JSON.stringify(destination)} is not /t/<topic> with a topic of letters, digits, - and _`);
    }
  }

  private send(f: AnalyzedFrame, h: Headers): void {
    const destination = headerValue(h, 'destination');
    const tx = this.inTransaction(f, h);
    if (tx) {
      tx.sends++;
      if (this.profile === 'rocketmq' && tx.sends === ROCKETMQ_MAX_TRANSACTION_SENDS + 1) {
        this.find('rocketmq-transaction-size', f, 'client', f.time,
          `SEND number ${tx.sends} in transaction ${headerValue(h, 'transaction')}: the gateway accepts at most ${ROCKETMQ_MAX_TRANSACTION_SENDS}`);
      }
    }
    if (destination === undefined) return;
    this.opts.delivery?.send(f.id, f.time, destination, f.bodyLength, f.bodyHash);
    if (this.profile === 'activemq' || this.profile === 'artemis') {
      const bytes = headerValue(h, 'content-length') !== undefined;
      const key = `${bytes ? 'b' : 't'}\u0000${destination}`;
      if (!this.jmsHinted.has(key) && this.jmsHinted.size < this.maxPending) {
        this.jmsHinted.add(key);
        this.find('jms-message-type', f, 'client', f.time, bytes
          ? `SEND to ${destination} with content-length: delivered to JMS consumers as a BytesMessage`
          : `SEND to ${destination} without content-length: delivered to JMS consumers as a TextMessage`);
      }
    }
    if (this.profile === 'rocketmq') this.rocketmqDestination(f, destination);
  }

  private ack(f: AnalyzedFrame, h: Headers): void {
    this.inTransaction(f, h);
    const v = this.version;
    if (f.command === 'NACK' && v === '1.0') this.find('nack-in-1-0', f, 'client', f.time, 'NACK on a connection negotiated as STOMP 1.0 (NACK exists since 1.1)');
    // Without a CONNECTED (a capture picked up mid-stream) the version, and so the identity, is unknown.
    if (v === null) return;
    const key = ackFrameKey(v, h);
    if (key === null) {
      const missing = ackIdentityHeaders(v).filter((n) => headerValue(h, n) === undefined);
      this.find('ack-without-id', f, 'client', f.time, `${f.command} without ${missing.join(' and ')} (STOMP ${v} names the message by ${ackIdentityHeaders(v).join(' + ')})`);
      return;
    }
    const m = this.delivered.get(key);
    if (!m) {
      const named = ackIdentityHeaders(v).map((n) => `${n}:${headerValue(h, n)}`).join(' ');
      this.find('ack-unknown-message', f, 'client', f.time, `${f.command} ${named} names no MESSAGE this connection received`);
      return;
    }
    this.link('ack', m, f);
    const sub = m.sub;
    if (!sub || sub.unacked.size === 0) return;
    if (sub.ack === 'client') {
      // Cumulative (STOMP 1.2 §SUBSCRIBE ack Header): this ACK settles every earlier message of the subscription.
      for (const [k] of sub.unacked) {
        sub.unacked.delete(k);
        this.unackedCount--;
        if (k === key) break;
      }
    } else if (sub.unacked.delete(key)) this.unackedCount--;
  }

  private brokerFrame(f: AnalyzedFrame, h: Headers): void {
    switch (f.command) {
      case 'CONNECTED':
        this.connected(f, h);
        return;
      case 'MESSAGE':
        this.message(f, h);
        return;
      case 'RECEIPT':
        this.receipt(f, h);
        return;
      case 'ERROR': {
        if (this.connect && !this.connectAnswered) {
          this.link('connect', this.connect, f);
          this.connectAnswered = true;
        }
        this.receipt(f, h);
        const message = headerValue(h, 'message');
        // An issue message has no unmasked form: a credential the broker quotes (the line it refused) is masked.
        this.find('error-frame', f, 'broker', f.time, message !== undefined ? `ERROR: ${maskText(message)}` : 'ERROR without a message header');
        this.ending = true;
        return;
      }
    }
  }

  private receipt(f: AnalyzedFrame, h: Headers): void {
    const id = headerValue(h, 'receipt-id');
    const asked = id === undefined ? undefined : this.receipts.get(id);
    if (asked) {
      this.link('receipt', asked, f);
      this.receipts.delete(id!);
    }
  }

  private connected(f: AnalyzedFrame, h: Headers): void {
    if (this.connect && !this.connectAnswered) {
      this.link('connect', this.connect, f);
      this.connectAnswered = true;
    }
    const v = headerValue(h, 'version') ?? '1.0';
    this.version = v === '1.0' || v === '1.1' || v === '1.2' ? v : '1.2';
    if (this.version === '1.2' && this.connect && !this.connect.host) {
      this.find('missing-host', this.connect, 'client', this.connect.time, 'CONNECT has no host header, which STOMP 1.2 requires');
    }
    if (!this.chosen) {
      const p = detectProfile(headerValue(h, 'server'));
      if (p && p !== this.profile) {
        this.profile = p;
        this.sink.profile?.(p);
      }
    }
    if (!this.connect || this.connect.heartBeat === null) return;
    const broker = parseHeartBeat(headerValue(h, 'heart-beat'));
    if (broker === null) return;
    const hb = negotiateHeartBeat(this.connect.heartBeat, broker);
    this.period.client = hb.clientToBroker;
    this.period.broker = hb.brokerToClient;
    if (hb.clientToBroker === 0 && hb.brokerToClient === 0) return;
    this.heartBeating = true;
    this.lastData.client = this.lastData.broker = f.time;
    const each = (ms: number) => (ms === 0 ? 'none' : `every ${ms} ms`);
    // About the connection, not a fault of the CONNECTED frame: not attached to it, so clean frames stay clean.
    this.find('heartbeat-negotiated', null, null, f.time,
      `heart-beats client → broker ${each(hb.clientToBroker)}, broker → client ${each(hb.brokerToClient)}`);
  }

  private message(f: AnalyzedFrame, h: Headers): void {
    const subName = headerValue(h, 'subscription');
    const destination = headerValue(h, 'destination');
    const sub = (subName !== undefined ? this.subs.get(subName) : undefined) ??
      (destination !== undefined ? this.subsByDestination.get(destination) : undefined) ?? null;
    if (sub) this.link('subscription', sub, f);
    const key = messageAckKey(this.version, h);
    if (key !== null) {
      const d: Delivered = { id: f.id, time: f.time, sub, messageId: headerValue(h, 'message-id') ?? '' };
      // The first MESSAGE wins a key (a 1.0/1.1 redelivery reuses message-id), as in correlate/ack.ts.
      if (!this.delivered.has(key)) {
        if (this.delivered.size >= this.maxPending) this.delivered.delete(this.delivered.keys().next().value!);
        this.delivered.set(key, d);
      }
      if (sub && (sub.ack === 'client' || sub.ack === 'client-individual') && this.unackedCount < this.maxPending && !sub.unacked.has(key)) {
        sub.unacked.set(key, d);
        this.unackedCount++;
      }
    }
    if (destination !== undefined && this.opts.delivery) {
      const l = this.opts.delivery.message(f.id, f.time, this.consumerPrefix + (subName ?? destination), destination, f.bodyLength, f.bodyHash);
      if (l) this.sink.link(l);
    }
  }

  /** End of the connection at `time`: reports what was left pending. Later calls are ignored. */
  close(time: number): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartBeating && !this.ending) {
      for (const dir of ['client', 'broker'] as const) {
        const period = this.period[dir];
        const limit = period * 1000 * (1 + HEARTBEAT_GRACE);
        const gap = time - this.lastData[dir];
        if (period > 0 && gap > limit && this.silenceReported[dir] !== this.lastData[dir]) {
          const at = this.lastData[dir] + limit;
          this.find('heartbeat-missed', null, dir, at,
            `nothing from the ${dir} for the last ${seconds(gap)} before the connection closed (heart-beat every ${period} ms, +50% grace): ` +
            `the ${OTHER[dir]} would have dropped the connection at ${isoTime(at)}`);
        }
      }
    }
    for (const dir of ['client', 'broker'] as const) {
      const fst = this.fast[dir];
      if (fst.count >= 2) {
        this.find('heartbeat-too-frequent', null, dir, fst.first,
          `the ${dir} sent ${fst.count} heart-beats less than half the negotiated ${this.period[dir]} ms apart (shortest ${seconds(fst.shortest)})`);
      }
    }
    this.listAtClose('receipt-missing', [...this.receipts], ([id, r]) => [r, 'client',
      `${r.command} asked for receipt ${JSON.stringify(id)}; no RECEIPT came before the connection ended`], 'receipts never answered');
    this.listAtClose('transaction-open', [...this.transactions], ([tx, b]) => [b, 'client',
      `transaction ${JSON.stringify(tx)} (${b.sends} SEND${b.sends === 1 ? '' : 's'}) was neither committed nor aborted: the broker discards it`],
    'transactions left open');
    const unacked: Delivered[] = [];
    for (const s of [...this.subs.values(), ...this.subsByDestination.values()]) for (const d of s.unacked.values()) unacked.push(d);
    unacked.sort((a, b) => a.id - b.id);
    this.listAtClose('message-unacked', unacked, (d) => [d, 'broker',
      `MESSAGE ${d.messageId ? JSON.stringify(d.messageId) + ' ' : ''}on subscription ${JSON.stringify(d.sub!.name || d.sub!.destination)} ` +
      `(ack:${d.sub!.ack}) was never acknowledged: the broker redelivers it`], 'MESSAGEs never acknowledged');
  }

  /** One finding per item up to maxListed, then one that counts the rest. */
  private listAtClose<T>(code: IssueCode, items: T[], describe: (t: T) => [FrameRef, Direction, string], what: string): void {
    const n = Math.min(items.length, this.maxListed);
    for (let i = 0; i < n; i++) {
      const [at, dir, message] = describe(items[i]);
      this.find(code, at, dir, at.time, message);
    }
    if (items.length > n) {
      const [at, dir] = describe(items[n]);
      this.find(code, null, dir, at.time, `${items.length - n} more ${what}`);
    }
  }
}
