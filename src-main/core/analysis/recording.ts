// Runs the shared per-connection analysis where frames are recorded (ConnectionRecorder, in the recording
// worker for proxy and replay sessions, in the import job for captures) and persists what it finds: links in
// the links table, findings in the issues table next to the wire issues, the broker profile on the
// connection. Findings about a frame raise that frame's issue count, so `issue` filters and badges see them.

import { ConnectionAnalyzer, type AnalyzerOptions } from '../../../shared/analysis/connection.js';
import type { DeliveryCorrelator } from '../../../shared/analysis/delivery.js';
import { bodyFingerprint } from '../../../shared/analysis/fingerprint.js';
import type { ProfileName } from '../../../shared/analysis/profiles.js';
import type { AnalysisSink, AnalyzedFrame, Finding, Link } from '../../../shared/analysis/types.js';
import type { DecodedFrame, Direction } from '../../../shared/stomp/types.js';
import type { StoreWriter } from '../store/writer.js';
import type { LiveLine } from '../record/connection-recorder.js';

export interface AnalysisOptions {
  /** The broker profile the user chose (validated by the caller); null: detect it from CONNECTED. */
  profile?: ProfileName | null;
  /** The session's SEND -> MESSAGE matcher, shared by all its connections. */
  delivery?: DeliveryCorrelator | null;
  /** The proxy's live console: errors and warnings found are printed like wire issues (notes are not). */
  onLine?: (line: LiveLine) => void;
}

export class RecordedAnalysis implements AnalysisSink {
  private readonly analyzer: ConnectionAnalyzer;
  /** Reused for every frame: the analyzer copies what it keeps (no object per frame on the recording path). */
  private readonly scratch: AnalyzedFrame = { id: 0, dir: 'client', time: 0, command: '', headers: [], bodyLength: 0 };
  /** Findings written so far (they count among the connection's issues). */
  findings = 0;

  constructor(private readonly writer: StoreWriter, private readonly sessionId: number, private readonly connectionId: number,
    private readonly opts: AnalysisOptions = {}) {
    const a: AnalyzerOptions = { profile: opts.profile ?? null, delivery: opts.delivery ?? null, connectionKey: connectionId };
    this.analyzer = new ConnectionAnalyzer(this, a);
    if (opts.profile) writer.setConnectionProfile(connectionId, opts.profile);
  }

  /** An EOL at a frame boundary; whether it is a heart-beat (ConnectionAnalyzer.heartbeat holds the rule). */
  heartbeat(dir: Direction, time: number, offset: number): boolean {
    return this.analyzer.heartbeat(dir, time, offset);
  }

  /** A frame just stored as `frameId`; `view` is its interpreted headers (or the raw ones when nothing is escaped). */
  frame(frameId: number, dir: Direction, e: DecodedFrame, view: readonly (readonly [string, string])[]): void {
    const hashed = e.body !== null && (e.command === 'SEND' || e.command === 'MESSAGE');
    const f = this.scratch;
    f.id = frameId;
    f.dir = dir;
    f.time = e.time;
    f.command = e.command;
    f.headers = e.headers;
    f.view = view;
    f.bodyLength = e.bodyLength;
    f.bodyHash = hashed ? bodyFingerprint(e.body!) : null;
    f.offset = e.offset;
    f.length = e.length;
    this.analyzer.frame(f);
  }

  close(time: number): void {
    this.analyzer.close(time);
  }

  /** Live recordings, every second: findings due by the clock alone (a peer silent past its heart-beat). */
  tick(now: number): void {
    this.analyzer.tick(now);
  }

  /** Whether tick(now) has something to write. */
  tickDue(now: number): boolean {
    return this.analyzer.silenceDue(now);
  }

  link(l: Link): void {
    this.writer.insertLink(this.sessionId, l.kind, l.fromFrameId, l.toFrameId, l.latencyUs);
  }

  finding(f: Finding): void {
    this.findings++;
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: this.connectionId, frameId: f.frameId, dir: f.dir, offset: null, time: f.time,
      code: f.code, severity: f.severity, message: f.message,
    });
    if (f.frameId !== null) this.writer.countFrameIssue(f.frameId);
    if (f.severity !== 'note') {
      this.opts.onLine?.({ time: f.time, connectionId: this.connectionId, dir: f.dir, command: `! ${f.code}`, info: f.message, size: 0 });
    }
  }

  profile(name: string): void {
    this.writer.setConnectionProfile(this.connectionId, name);
  }
}
