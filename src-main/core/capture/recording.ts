// The part of reading a capture that a file import and a live capture share: packets in, dissected to TCP,
// reassembled, the STOMP flows picked (TLS ones decrypted with a key log), and each recorded as a connection
// with the same ConnectionRecorder the proxy uses. The caller owns the session, the transactions and the source.

import { DeliveryCorrelator } from '../../../shared/analysis/delivery.js';
import type { ProfileName } from '../../../shared/analysis/profiles.js';
import type { DecoderLimits, Direction } from '../../../shared/stomp/types.js';
import { ConnectionRecorder, type AnalysisOptions, type LiveLine } from '../record/connection-recorder.js';
import type { StoreWriter } from '../store/writer.js';
import { DEFAULT_STOMP_PORTS } from './classify.js';
import { dissectTcp, TcpPacket, type Skip } from './dissect.js';
import { FlowTable, type ConnectionHandle, type ConnectionTls, type FlowConnection } from './flows.js';
import { isSupportedLinkType, linkTypeName } from './format.js';
import type { ReassemblyLimits } from './reassembly.js';
import type { KeySource } from './tls/keylog.js';

export interface RecordingOptions {
  ports?: readonly number[];
  limits?: Partial<DecoderLimits>;
  reassembly?: Partial<ReassemblyLimits>;
  profile?: ProfileName | null;
  maxQuietFlows?: number;
  keyLog?: KeySource | null;
  /** A line per frame and per error or warning (the live console). */
  onLine?: (line: LiveLine) => void;
}

/** Counters of packets that did not make it to a TCP flow, for the summary and the session meta. */
export interface Skipped {
  unsupportedLink: Map<number, number>;
  notIp: number;
  notTcp: number;
  fragments: number;
  truncated: number;
  malformed: number;
}

export class CaptureRecording {
  readonly flows: FlowTable;
  readonly ports: Set<number>;
  readonly skipped: Skipped = { unsupportedLink: new Map(), notIp: 0, notTcp: 0, fragments: 0, truncated: 0, malformed: 0 };
  readonly notices = new Map<string, { count: number; first: string }>();
  tcpSegments = 0;
  /** Frames and issues of the connections closed so far (closeAll counts the rest). */
  frames = 0;
  issues = 0;
  private readonly pkt = new TcpPacket();
  private readonly recorders = new Set<ConnectionRecorder>();
  private readonly touched = new Set<ConnectionRecorder>();
  /** Correlation across the session's connections (SEND -> MESSAGE) and the chosen profile. */
  private readonly analysis: AnalysisOptions;

  constructor(private readonly writer: StoreWriter, private readonly sessionId: () => number, private readonly opts: RecordingOptions) {
    this.analysis = { delivery: new DeliveryCorrelator(), profile: opts.profile ?? null, onLine: opts.onLine };
    this.ports = new Set<number>([...DEFAULT_STOMP_PORTS, ...(opts.ports ?? [])]);
    this.flows = new FlowTable({
      ports: this.ports,
      limits: opts.reassembly,
      maxQuietFlows: opts.maxQuietFlows,
      keys: opts.keyLog ?? null,
      open: (info) => this.openConnection(info),
      notice: (kind, message) => {
        const n = this.notices.get(kind);
        if (n) n.count++;
        else this.notices.set(kind, { count: 1, first: message });
      },
    });
  }

  /** One captured packet (the session exists). */
  packet(linkType: number, time: number, data: Uint8Array, originalLength: number): void {
    const p = this.pkt;
    if (!isSupportedLinkType(linkType)) {
      this.skipped.unsupportedLink.set(linkType, (this.skipped.unsupportedLink.get(linkType) ?? 0) + 1);
      return;
    }
    const skip: Skip | null = dissectTcp(linkType, data, originalLength, p);
    if (skip !== null) {
      if (skip === 'not-ip' || skip === 'link') this.skipped.notIp++;
      else if (skip === 'not-tcp') this.skipped.notTcp++;
      else if (skip === 'fragment') this.skipped.fragments++;
      else if (skip === 'truncated') this.skipped.truncated++;
      else this.skipped.malformed++;
      return;
    }
    this.tcpSegments++;
    this.flows.segment(p, time);
  }

  private openConnection(info: FlowConnection): ConnectionHandle {
    const { client, broker, opened, directionBy } = info;
    const sessionId = this.sessionId();
    const writer = this.writer;
    const id = writer.createConnection(sessionId, client, broker, info.transport, opened);
    if (info.tls) writer.setConnectionTls(id, info.tls);
    const rec = new ConnectionRecorder(writer, sessionId, id, { limits: this.opts.limits, analysis: this.analysis, onLine: this.opts.onLine });
    this.recorders.add(rec);
    if (directionBy === 'port') {
      rec.event(opened, {
        code: 'direction-guessed', severity: 'note', dir: null,
        message: `neither the handshake nor the frames tell which side is the client: ${client} is taken as the client by its port`,
      });
    }
    const touched = this.touched;
    return {
      data(dir: Direction, bytes: Uint8Array, time: number) {
        rec.push(dir, bytes, time);
        touched.add(rec);
      },
      gap(dir: Direction, bytes: number, time: number, code: string, message: string) {
        rec.gap(dir, bytes, time, { code, severity: 'warning', message });
        touched.add(rec);
      },
      event(dir: Direction | null, time: number, code: string, severity: 'error' | 'warning' | 'note', message: string) {
        rec.event(time, { code, severity, message, dir });
        touched.add(rec);
      },
      tls(t: ConnectionTls) {
        writer.setConnectionTls(id, t);
      },
      close: (time: number, reason: string) => {
        rec.close(time, reason);
        this.count(rec);
        this.recorders.delete(rec);
        touched.delete(rec);
      },
    };
  }

  private count(rec: ConnectionRecorder): void {
    const c = rec.counters();
    this.frames += c.framesClient + c.framesBroker;
    this.issues += c.issues;
  }

  /** Writes what the connections touched since the last call (raw chunks, counters): once per transaction. */
  flushTouched(): void {
    for (const rec of this.touched) rec.flush();
    this.touched.clear();
  }

  /** Frames recorded so far, the open connections' included. */
  get framesSoFar(): number {
    let n = this.frames;
    for (const rec of this.recorders) {
      const c = rec.counters();
      n += c.framesClient + c.framesBroker;
    }
    return n;
  }

  /** The capture ended: every flow still open ends at `endTime`, every connection is closed. */
  closeAll(endTime: number, reason: string): void {
    this.flows.finish(endTime);
    for (const rec of this.recorders) {
      rec.close(endTime, reason);
      this.count(rec);
    }
    this.recorders.clear();
    this.touched.clear();
  }

  /** The warnings about what was not decoded, for the summary and the session meta. */
  warnings(): string[] {
    const warnings: string[] = [];
    const sk = this.skipped;
    for (const [t, n] of sk.unsupportedLink) warnings.push(`${n} packets of link type ${linkTypeName(t)} skipped: this link type is not supported`);
    if (sk.fragments) warnings.push(`${sk.fragments} IP fragments skipped (fragmented TCP is not reassembled)`);
    if (sk.truncated) warnings.push(`${sk.truncated} packets too short (snap length) to hold a TCP header skipped`);
    if (sk.malformed) warnings.push(`${sk.malformed} malformed IP/TCP packets skipped`);
    const tls = this.notices.get('tls');
    if (tls) warnings.push(`${tls.count} TLS connection(s) not decrypted, e.g. ${tls.first}`);
    const http = this.notices.get('http');
    if (http) {
      warnings.push(`${http.count} HTTP connection(s) that are not WebSocket upgrades not decoded (SockJS over XHR or ` +
        `EventSource, plain HTTP), e.g. ${http.first}`);
    }
    const budget = this.flows.budget;
    if (budget.holesGivenUp) {
      warnings.push(`${budget.holesGivenUp} TCP hole(s) given up as gaps (${budget.bytesGivenUp} bytes) because out-of-order data ` +
        `across all connections exceeded the reassembly memory cap (${budget.maxBytes} bytes)`);
    }
    const flows = this.flows;
    if (flows.quietDropped) {
      warnings.push(`${flows.quietDropped} TCP flow(s) that never carried data (SYNs without a conversation: a port scan or a SYN flood?) ` +
        `were dropped, not recorded: more than ${flows.maxQuietFlows} such flows were open at once`);
    }
    return warnings;
  }

  /** The session meta's account of the packets and flows. */
  metaOf(): Record<string, unknown> {
    const sk = this.skipped;
    const budget = this.flows.budget;
    const flows = this.flows;
    return {
      tcpSegments: this.tcpSegments,
      skipped: {
        unsupportedLinkType: Object.fromEntries(sk.unsupportedLink), notIp: sk.notIp, notTcp: sk.notTcp, fragments: sk.fragments,
        truncated: sk.truncated, malformed: sk.malformed,
      },
      flowsWithoutData: { dropped: flows.quietDropped, peak: flows.quietPeak, max: flows.maxQuietFlows },
      reassembly: { peakHeldBytes: budget.peak, maxHeldBytes: budget.maxBytes, holesGivenUp: budget.holesGivenUp, bytesGivenUp: budget.bytesGivenUp },
    };
  }
}
