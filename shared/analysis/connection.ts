// The analysis of one connection, fed incrementally in wire order: frames (with the ids the store gave them)
// and heart-beats of both directions, then close(). It links frames that belong together (types.ts names the
// kinds) and reports findings: protocol rules by version, heart-beat health, and the checks of the broker's
// profile. Pure and bounded: every table it keeps is capped, so a connection of a million frames costs the
// same memory as one of ten thousand (what falls out of a table is no longer linked or reported).

import { ackFrameKey, ackIdentityHeaders, messageAckKey } from '../correlate/ack.js';
import { ISSUES, type IssueCode } from '../issues.js';
import { headerValue, interpretHeaders } from '../stomp/escape.js';
import { maskText } from '../stomp/secrets.js';
import { isConnectCommand } from '../stomp/spec.js';
import type { Direction, RawHeader, StompVersion } from '../stomp/types.js';
import { negotiateHeartBeat, parseHeartBeat, type HeartBeatSpec } from '../stomp/version.js';
import type { DeliveryCorrelator } from './delivery.js';
import {
  detectProfile, keepAliveOf, ROCKETMQ_DESTINATION, ROCKETMQ_MAX_OPEN_TRANSACTIONS, ROCKETMQ_MAX_TRANSACTION_SENDS, type ProfileName,
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

/**
 * How late a silence may be, in multiples of the negotiated heart-beat period, before it is reported: past
 * 1.5x it is late (a note: stomp.py, with its default heart_beat_receive_scale of 1.5, gives up there); past 2x
 * it is missed (a warning: @stomp/stompjs 7's default heartbeatToleranceMultiplier of 2 gives up there too, so
 * the common clients would all have dropped the connection or be about to).
 */
export const HEARTBEAT_LATE = 1.5;
export const HEARTBEAT_MISSED = 2;

/**
 * What common clients do by default with a broker silent for `gap` µs since `since`, the heart-beat period
 * being `period` µs, from their code: stomp.py 8 (heart_beat_receive_scale 1.5) drops once 1.5 periods passed
 * since the later of the last data and CONNECTED + 1.5 periods (its grace for the first heart-beat);
 * @stomp/stompjs 7 looks once per period and drops past 2 periods (heartbeatToleranceMultiplier 2), so between
 * 2 and 3 periods it may not have looked yet; the Ruby stomp gem never drops (max_hbread_fails 0).
 */
function clientVerdict(gap: number, since: number, connectedAt: number, period: number): string {
  const would: string[] = [];
  const may: string[] = [];
  const not: string[] = [];
  const pyDeadline = Math.max(since, connectedAt + HEARTBEAT_LATE * period) + HEARTBEAT_LATE * period;
  const graced = pyDeadline - since > HEARTBEAT_LATE * period;
  (since + gap > pyDeadline ? would : not).push(`stomp.py (${HEARTBEAT_LATE}×${graced ? ', with its grace for the first heart-beat' : ''})`);
  const ratio = gap / period;
  (ratio > 3 ? would : ratio > HEARTBEAT_MISSED ? may : not).push(`stompjs (${HEARTBEAT_MISSED}×, checked once per period)`);
  not.push('the Ruby stomp gem (no limit unless configured)');
  const parts: string[] = [];
  if (would.length) parts.push(`${would.join(' and ')} would have dropped the connection`);
  if (may.length) parts.push(`${may.join(' and ')} may have dropped it`);
  parts.push(`${not.join(' and ')} would not`);
  return `by default ${parts.join('; ')}`;
}

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
  /** Whether heart-beats are settled: 'unknown' with no CONNECT seen, 'pending' until CONNECTED, then 'done'. */
  private negotiation: 'unknown' | 'pending' | 'done' = 'unknown';
  /** When CONNECTED set heart-beating up (stomp.py grants the first heart-beat extra time), or -1. */
  private connectedAt = -1;
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

  /**
   * An EOL at a frame boundary in one direction; answers whether it is a heart-beat. This is the one rule every
   * count follows (the recorder's stored heart-beats and counters, hence import, report, proxy summary and
   * `connections --jsonl`): an EOL right after a frame's NUL only ends that frame (STOMP 1.2 §Augmented BNF:
   * frame = ... NULL *( EOL )), and an EOL is a heart-beat only in a direction where heart-beats were
   * negotiated (STOMP 1.2 §Heart-beating; STOMP 1.0 has none). Until CONNECT/CONNECTED settle it, nothing is a
   * heart-beat; with no CONNECT seen (a capture picked up mid-stream) the negotiation is unknown and the other
   * EOLs count. `offset` (the EOL's stream offset) is compared with where that direction's last frame ended,
   * so any chunking of the bytes gives the same answer.
   */
  heartbeat(dir: Direction, time: number, offset?: number): boolean {
    if (this.closed) return false;
    const trailing = offset !== undefined && offset === this.frameEnd[dir];
    this.frameEnd[dir] = -1;
    this.data(dir, time);
    if (trailing) return false;
    if (this.negotiation === 'unknown') return true;
    const period = this.period[dir];
    if (this.negotiation === 'pending' || period === 0) return false;
    const last = this.lastBeat[dir];
    this.lastBeat[dir] = time;
    if (last >= 0 && time - last < (period * 1000) / 2) {
      const f = this.fast[dir];
      if (f.count++ === 0) f.first = time;
      f.shortest = Math.min(f.shortest, time - last);
    }
    return true;
  }

  /** Something arrived from `dir`: checks the silence before it against the heart-beat period. */
  private data(dir: Direction, time: number): void {
    if (this.watching(dir)) this.silence(dir, time - this.lastData[dir], 'spoke');
    if (time > this.lastData[dir]) this.lastData[dir] = time;
    // The other side's silence as of now: a live recording's clock (tick) would have reported it by this time, so a
    // capture, which has no clock but its packets' times, reports it here: the proxy and the import of the same
    // bytes reach the same findings, also when the silence ends in a DISCONNECT (after which silence is expected).
    const other = dir === 'client' ? 'broker' : 'client';
    if (this.silentPastLimit(other, time)) this.silence(other, time - this.lastData[other], 'tick');
  }

  /** Heart-beats are expected from `dir` and its current silence is not reported yet. */
  private watching(dir: Direction): boolean {
    return this.heartBeating && !this.ending && this.period[dir] > 0 && this.silenceReported[dir] !== this.lastData[dir];
  }

  /**
   * Grades a silence of `gap` µs from `dir` (since lastData[dir]) against its negotiated period: past 1.5× it is
   * late (a note), past 2× missed (a warning). The message says what the common clients' defaults would have
   * done with a broker that late, and nothing it does not know (a broker's tolerance is its configuration).
   */
  private silence(dir: Direction, gap: number, how: 'spoke' | 'tick' | 'close'): void {
    const period = this.period[dir];
    const ratio = gap / (period * 1000);
    if (!(ratio > HEARTBEAT_LATE)) return;
    const limit = this.missedLimit(dir);
    const missed = ratio > limit;
    const since = this.lastData[dir];
    this.silenceReported[dir] = since;
    const at = since + period * 1000 * (missed ? limit : HEARTBEAT_LATE);
    const span = how === 'tick' ? `for ${seconds(gap)} so far` : how === 'close' ? `for the last ${seconds(gap)} before the connection closed` : `for ${seconds(gap)}`;
    const consequence = dir === 'broker'
      ? clientVerdict(gap, since, this.connectedAt, period * 1000)
      : missed ? 'the broker may have considered the connection dead (STOMP 1.2 §Heart-beating)' : 'late, within twice the period';
    const keepAlive = dir === 'broker' ? keepAliveOf(this.profile) : null;
    const schedule = keepAlive && !missed ? ` (${keepAlive.why})` : '';
    this.find(missed ? 'heartbeat-missed' : 'heartbeat-late', null, dir, at,
      `nothing from the ${dir} ${span} with a heart-beat every ${period} ms negotiated (${ratio.toFixed(1)}× the period): ${consequence}${schedule}`);
  }

  /** Past how many periods a silence from `dir` is missed (a warning) rather than late (a note). */
  private missedLimit(dir: Direction): number {
    return (dir === 'broker' ? keepAliveOf(this.profile)?.missedAfter : undefined) ?? HEARTBEAT_MISSED;
  }

  /**
   * The time is now `now` and nothing else arrived: a direction silent past twice its heart-beat period is
   * reported at once, while the connection is still open (a live recording calls this every second), and only
   * once: when that side speaks again or the connection closes, the same silence is not reported a second time.
   * A silence that ends between 1.5× and 2× is graded when it ends, as in a capture.
   */
  tick(now: number): void {
    for (const dir of ['client', 'broker'] as const) {
      if (this.silentPastLimit(dir, now)) this.silence(dir, now - this.lastData[dir], 'tick');
    }
  }

  /** Whether tick(now) would report something: lets a caller skip a tick that has nothing to write. */
  silenceDue(now: number): boolean {
    return this.silentPastLimit('client', now) || this.silentPastLimit('broker', now);
  }

  /** `dir` has been silent past twice its heart-beat period at `now`, and that silence is not reported yet. */
  private silentPastLimit(dir: Direction, now: number): boolean {
    if (this.closed || !this.watching(dir)) return false;
    return now - this.lastData[dir] > this.period[dir] * 1000 * this.missedLimit(dir);
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
    const receipt = isConnectCommand(f.command) ? undefined : headerValue(h, 'receipt');
    if (receipt !== undefined && this.receipts.size < this.maxPending) this.receipts.set(receipt, { id: f.id, time: f.time, command: f.command });
    switch (f.command) {
      case 'CONNECT':
      case 'STOMP': {
        const host = headerValue(h, 'host') !== undefined;
        const hb = headerValue(h, 'heart-beat');
        this.connect = { id: f.id, time: f.time, host, clientId: headerValue(h, 'client-id'), heartBeat: parseHeartBeat(hb) };
        this.connectAnswered = false;
        this.negotiation = 'pending';
        // No accept-version makes a STOMP 1.0 client (STOMP 1.2 §Protocol Negotiation), a normal one: PHP stomp and
        // Net::Stomp send login, passcode and host (RabbitMQ's virtual host in every version) and nothing else.
        // Only the STOMP command, which 1.0 does not have, contradicts it.
        if (headerValue(h, 'accept-version') === undefined) {
          if (f.command === 'STOMP') {
            this.find('missing-accept-version', f, 'client', f.time,
              'STOMP frame (STOMP 1.2) without accept-version: the broker must take the client for STOMP 1.0, which has no STOMP command');
          } else if (hb !== undefined) {
            this.find('heartbeat-header-1-0', null, 'client', f.time,
              `CONNECT has heart-beat:${hb} but no accept-version: a STOMP 1.0 client, and STOMP 1.0 defines no heart-beats ` +
              '(they happen only if the broker answers with a heart-beat header)');
          }
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
      this.find('missing-host', this.connect, 'client', this.connect.time, 'CONNECT has no host header, which STOMP 1.2 requires; the broker accepted it without one');
    }
    if (!this.chosen) {
      const p = detectProfile(headerValue(h, 'server'));
      if (p && p !== this.profile) {
        this.profile = p;
        this.sink.profile?.(p);
      }
    }
    const broker = parseHeartBeat(headerValue(h, 'heart-beat'));
    // Without the CONNECT (a capture picked up after it) only a CONNECTED that offers no heart-beats settles it.
    if (this.connect || broker === null || (broker[0] === 0 && broker[1] === 0)) this.negotiation = 'done';
    if (!this.connect || this.connect.heartBeat === null || broker === null) return;
    const hb = negotiateHeartBeat(this.connect.heartBeat, broker);
    this.period.client = hb.clientToBroker;
    this.period.broker = hb.brokerToClient;
    if (hb.clientToBroker === 0 && hb.brokerToClient === 0) return;
    this.heartBeating = true;
    this.connectedAt = f.time;
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
    for (const dir of ['client', 'broker'] as const) if (this.watching(dir)) this.silence(dir, time - this.lastData[dir], 'close');
    for (const dir of ['client', 'broker'] as const) {
      const fst = this.fast[dir];
      if (fst.count >= 2) {
        this.find('heartbeat-too-frequent', null, dir, fst.first,
          `the ${dir} sent ${fst.count} heart-beats less than half the negotiated ${this.period[dir]} ms apart (shortest ${seconds(fst.shortest)})`);
      }
    }
    // A DISCONNECT's receipt that never came: the connection ended, which is what the client asked for (RabbitMQ
    // Web STOMP closes the WebSocket at DISCONNECT without answering): a note, not a failed request.
    const pending = [...this.receipts];
    this.listAtClose('receipt-missing', pending.filter(([, r]) => r.command !== 'DISCONNECT'), ([id, r]) => [r, 'client',
      `${r.command} asked for receipt ${JSON.stringify(id)}; no RECEIPT came before the connection ended`], 'receipts never answered');
    for (const [id, r] of pending) {
      if (r.command === 'DISCONNECT') {
        this.find('disconnect-receipt-missing', r, 'client', r.time, `DISCONNECT asked for receipt ${JSON.stringify(id)}; the connection closed without it`);
      }
    }
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
