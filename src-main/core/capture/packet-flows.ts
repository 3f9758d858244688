// The first half of reading a capture, store-agnostic: packets in, dissected to TCP, reassembled, the STOMP flows
// picked (TLS ones decrypted with a key log) and handed to a ConnectionHandle. It imports nothing of the recording
// half (decoder, analysis, store), so that the import's reading thread (import-worker.ts) loads only what it runs.

import { DEFAULT_STOMP_PORTS } from './classify.js';
import { dissectTcp, TcpPacket, type Skip } from './dissect.js';
import { FlowTable, type ConnectionHandle, type FlowConnection } from './flows.js';
import { isSupportedLinkType, linkTypeName } from './format.js';
import type { ReassemblyLimits } from './reassembly.js';
import type { KeySource } from './tls/keylog.js';

/** Counters of packets that did not make it to a TCP flow, for the summary and the session meta. */
export interface Skipped {
  unsupportedLink: Map<number, number>;
  notIp: number;
  notTcp: number;
  fragments: number;
  truncated: number;
  malformed: number;
}

/** What the flows had found at the end of the file (what was not decoded, what was seen). */
export interface FlowsRead {
  warnings: string[];
  tcpSegments: number;
  unsupportedLinks: number;
}

/** What they found once the flows still open were ended (which may open connections: SYN-only flows). */
export interface FlowsEnded {
  connections: number;
  unsupportedLink: Array<[number, number]>;
  meta: Record<string, unknown>;
}

export interface PacketFlowOptions {
  ports?: readonly number[];
  reassembly?: Partial<ReassemblyLimits>;
  maxQuietFlows?: number;
  keyLog?: KeySource | null;
}

/**
 * The first half of reading a capture, store-agnostic: packets in, dissected to TCP, reassembled, the STOMP flows
 * picked (TLS ones decrypted with a key log) and handed to `open`. A file import runs it on a thread of its own
 * (import-worker.ts), the recording half on the importer's; a live capture runs both halves in one thread.
 */
export class PacketFlows {
  readonly flows: FlowTable;
  readonly ports: Set<number>;
  readonly skipped: Skipped = { unsupportedLink: new Map(), notIp: 0, notTcp: 0, fragments: 0, truncated: 0, malformed: 0 };
  readonly notices = new Map<string, { count: number; first: string }>();
  tcpSegments = 0;
  private readonly pkt = new TcpPacket();

  constructor(opts: PacketFlowOptions, open: (info: FlowConnection) => ConnectionHandle) {
    this.ports = new Set<number>([...DEFAULT_STOMP_PORTS, ...(opts.ports ?? [])]);
    this.flows = new FlowTable({
      ports: this.ports,
      limits: opts.reassembly,
      maxQuietFlows: opts.maxQuietFlows,
      keys: opts.keyLog ?? null,
      open,
      notice: (kind, message) => {
        const n = this.notices.get(kind);
        if (n) n.count++;
        else this.notices.set(kind, { count: 1, first: message });
      },
    });
  }

  /** One captured packet. */
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

  /** The capture ended: every flow still open ends at `endTime` (their connections are told to close). */
  finish(endTime: number): void {
    this.flows.finish(endTime);
  }

  /** What an import's summary says at the end of the file. */
  read(): FlowsRead {
    return { warnings: this.warnings(), tcpSegments: this.tcpSegments, unsupportedLinks: this.skipped.unsupportedLink.size };
  }

  /** ... and once the flows still open were ended (finish). */
  ended(): FlowsEnded {
    return { connections: this.flows.connections, unsupportedLink: [...this.skipped.unsupportedLink], meta: this.metaOf() };
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

