// The part of reading a capture that a file import and a live capture share: packets in, dissected to TCP,
// reassembled, the STOMP flows picked (TLS ones decrypted with a key log: PacketFlows, packet-flows.ts), and each
// recorded as a connection with the same ConnectionRecorder the proxy uses (FlowRecorders). The caller owns the
// session, the transactions and the source.

import { DeliveryCorrelator } from '../../../shared/analysis/delivery.js';
import type { ProfileName } from '../../../shared/analysis/profiles.js';
import type { DecoderLimits, Direction } from '../../../shared/stomp/types.js';
import { ConnectionRecorder, type AnalysisOptions, type LiveLine } from '../record/connection-recorder.js';
import type { StoreWriter } from '../store/writer.js';
import type { ConnectionHandle, ConnectionTls, FlowConnection, FlowTable } from './flows.js';
import { PacketFlows, type Skipped } from './packet-flows.js';
import type { ReassemblyLimits } from './reassembly.js';
import type { KeySource } from './tls/keylog.js';

export type { Skipped } from './packet-flows.js';

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

/** The second half: each STOMP flow recorded as a connection with the ConnectionRecorder the proxy uses. */
export class FlowRecorders {
  /** Frames and issues of the connections closed so far (closeAll counts the rest). */
  frames = 0;
  issues = 0;
  private readonly recorders = new Set<ConnectionRecorder>();
  private readonly touched = new Set<ConnectionRecorder>();
  /** Correlation across the session's connections (SEND -> MESSAGE) and the chosen profile. */
  private readonly analysis: AnalysisOptions;

  constructor(private readonly writer: StoreWriter, private readonly sessionId: () => number, private readonly opts: Pick<RecordingOptions, 'limits' | 'profile' | 'onLine'>) {
    this.analysis = { delivery: new DeliveryCorrelator(), profile: opts.profile ?? null, onLine: opts.onLine };
  }

  open(info: FlowConnection): ConnectionHandle {
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

  /** Closes the connections still open (after their flows ended) at `endTime`. */
  closeAll(endTime: number, reason: string): void {
    for (const rec of this.recorders) {
      rec.close(endTime, reason);
      this.count(rec);
    }
    this.recorders.clear();
    this.touched.clear();
  }
}

/** Both halves in one thread: a live capture, and the import of a small file. */
export class CaptureRecording {
  readonly packets: PacketFlows;
  readonly recorders: FlowRecorders;

  constructor(writer: StoreWriter, sessionId: () => number, opts: RecordingOptions) {
    this.recorders = new FlowRecorders(writer, sessionId, opts);
    this.packets = new PacketFlows(opts, (info) => this.recorders.open(info));
  }

  get flows(): FlowTable { return this.packets.flows; }
  get ports(): Set<number> { return this.packets.ports; }
  get skipped(): Skipped { return this.packets.skipped; }
  get tcpSegments(): number { return this.packets.tcpSegments; }
  get frames(): number { return this.recorders.frames; }
  get issues(): number { return this.recorders.issues; }
  get framesSoFar(): number { return this.recorders.framesSoFar; }

  packet(linkType: number, time: number, data: Uint8Array, originalLength: number): void {
    this.packets.packet(linkType, time, data, originalLength);
  }

  flushTouched(): void {
    this.recorders.flushTouched();
  }

  /** The capture ended: every flow still open ends at `endTime`, every connection is closed. */
  closeAll(endTime: number, reason: string): void {
    this.packets.finish(endTime);
    this.recorders.closeAll(endTime, reason);
  }

  warnings(): string[] {
    return this.packets.warnings();
  }

  metaOf(): Record<string, unknown> {
    return this.packets.metaOf();
  }
}
