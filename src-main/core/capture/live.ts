// Live capture: a capture engine (dumpcap, else tcpdump) writes the interface's packets to a pipe (`-w -`:
// pcapng from dumpcap, classic pcap from tcpdump), and they go, as they come, through the same dissection,
// reassembly, STOMP detection, TLS decryption and ConnectionRecorder as a file import, into a session of kind
// 'capture'. Each batch is one store transaction, so `stompscope frames` and the UI see frames while the capture
// runs. Packets the kernel or the engine dropped (the pcapng interface statistics, the engine's report) become
// a session issue; the TCP gaps they leave become connection issues, as in an import.
//
// What cannot work is said in one line, with what to do: no engine installed, no permission to capture, no
// such interface, an invalid capture filter.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { ISSUES } from '../../../shared/issues.js';
import type { LiveLine } from '../record/connection-recorder.js';
import { formatLiveLine } from '../record/live-line.js';
import type { StoreWriter } from '../store/writer.js';
import { detectFormat, linkTypeName, type CaptureReader, type PacketSink } from './format.js';
import { PcapParserReader } from './pcap-parser-reader.js';
import { PcapReader } from './pcap-reader.js';
import { PcapngReader } from './pcapng-reader.js';
import { CaptureRecording, type RecordingOptions } from './recording.js';

export type CaptureEngine = 'dumpcap' | 'tcpdump';
export const CAPTURE_ENGINES: readonly CaptureEngine[] = ['dumpcap', 'tcpdump'];

/** A capture that cannot start, said in one line with what to do about it. */
export class LiveCaptureError extends Error {
  constructor(message: string, readonly kind: 'no-engine' | 'permission' | 'no-interface' | 'filter' | 'engine') {
    super(message);
  }
}

export interface CaptureInterface {
  name: string;
  description: string | null;
}

function engineWorks(engine: CaptureEngine): boolean {
  const r = spawnSync(engine, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return !r.error && r.status === 0;
}

/** The engine to use: the one asked for, else dumpcap (pcapng, with interface statistics), else tcpdump. */
export function findEngine(wanted?: CaptureEngine): CaptureEngine {
  const candidates = wanted ? [wanted] : CAPTURE_ENGINES;
  for (const e of candidates) if (engineWorks(e)) return e;
  throw new LiveCaptureError(wanted
    ? `no capture engine: ${wanted} is not installed or not on PATH (Debian: apt install ${wanted === 'dumpcap' ? 'tshark' : 'tcpdump'})`
    : 'no capture engine: neither dumpcap nor tcpdump is installed or on PATH (Debian: apt install tshark, or apt install tcpdump)', 'no-engine');
}

/** `dumpcap -D` / `tcpdump -D` lines: "1. eth0", "3. lo (Loopback)", "1.eth0 [Up, Running]". */
export function parseInterfaceList(text: string): CaptureInterface[] {
  const out: CaptureInterface[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+\.\s*(\S+)(?:\s+\(([^)]*)\))?/.exec(line);
    if (m) out.push({ name: m[1], description: m[2] ?? null });
  }
  return out;
}

/** The interfaces the engine can capture on (listing needs no capture permission). */
export function listInterfaces(wanted?: CaptureEngine): { engine: CaptureEngine; interfaces: CaptureInterface[] } {
  const engine = findEngine(wanted);
  const r = spawnSync(engine, ['-D'], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw engineError(engine, '', r.stderr ?? '');
  return { engine, interfaces: parseInterfaceList(r.stdout ?? '') };
}

/** The one line for an engine that failed to start, from what it wrote to stderr. */
export function engineError(engine: CaptureEngine, iface: string, stderr: string, filter?: string): LiveCaptureError {
  if (/permission|Operation not permitted/i.test(stderr)) {
    return new LiveCaptureError(`no permission to capture on ${iface || 'the interfaces'}: run as root, or let your user capture ` +
      `(Debian: sudo dpkg-reconfigure wireshark-common and sudo usermod -aG wireshark $USER, ` +
      `or sudo setcap cap_net_raw,cap_net_admin=eip $(command -v ${engine}))`, 'permission');
  }
  if (/no device named|No such device|doesn't exist|no such interface/i.test(stderr)) {
    return new LiveCaptureError(`no such interface: ${iface} (stompscope capture --list-interfaces lists them)`, 'no-interface');
  }
  if (filter !== undefined && /filter|syntax error|parse error|unknown (port|host|net)/i.test(stderr)) {
    // dumpcap: "That string isn't a valid capture filter (unknown port 'banana')."; tcpdump: "tcpdump: unknown port 'banana'".
    const why = /valid capture filter \((.*)\)/.exec(stderr)?.[1] ??
      stderr.split('\n').map((l) => l.trim().replace(/^(dumpcap|tcpdump):\s*/, '')).find((l) => l && !/^(Capturing on|listening on|Invalid capture filter)/.test(l)) ?? 'rejected';
    return new LiveCaptureError(`--filter: "${filter}" is not a valid capture filter (BPF): ${why}`, 'filter');
  }
  const first = stderr.split('\n').map((l) => l.trim()).find((l) => l && !/^(Capturing on|listening on|File:)/.test(l)) ?? 'it exited without saying why';
  return new LiveCaptureError(`${engine} could not capture on ${iface}: ${first.replace(/^(dumpcap|tcpdump):\s*/, '')}`, 'engine');
}

/** Packets dropped according to the engine's own report on stderr (dumpcap's statistics line, tcpdump's summary). */
export function droppedFromReport(stderr: string): number | null {
  let n: number | null = null;
  // dumpcap: Packets received/dropped on interface 'Loopback: lo': 120/3 (pcap:3/dumpcap:0/flushed:0/ps_ifdrop:0) (97.6%)
  for (const m of stderr.matchAll(/received\/dropped on interface '[^']*': \d+\/(\d+)/g)) n = (n ?? 0) + Number(m[1]);
  // tcpdump: 3 packets dropped by kernel
  for (const m of stderr.matchAll(/^(\d+) packets? dropped by kernel/gm)) n = (n ?? 0) + Number(m[1]);
  return n;
}

/** The BPF filter the engine gets: the user's, else the given ports, else all TCP (STOMP is then found by content). */
export function captureFilter(filter: string | undefined, ports: readonly number[]): string {
  if (filter !== undefined) return filter;
  if (ports.length) return ports.map((p) => `tcp port ${p}`).join(' or ');
  return 'tcp';
}

export interface LiveCaptureOptions extends RecordingOptions {
  interface: string;
  /** A BPF capture filter; default: see captureFilter. */
  filter?: string;
  name?: string;
  engine?: CaptureEngine;
  /** The console's line per frame (already formatted). */
  onLines?: (text: string) => void;
  /** The engine stopped on its own (the interface went away, an error): the capture has ended. */
  onEnded?: (reason: string) => void;
  /** Most ms from the engine's start to its first sign of capturing (default 20 s). */
  readyTimeoutMs?: number;
  /** The key log file to watch (for the session meta). */
  keyLogFile?: string;
}

export interface LiveCaptureSummary {
  session: number;
  connections: number;
  frames: number;
  issues: number;
  packets: number;
  dropped: number;
  warnings: string[];
}

/** Bytes from the pipe parsed at once at most every this many ms (one store transaction each). */
const BATCH_MS = 50;
const BATCH_BYTES = 1 << 20;
const TLS_RETRY_MS = 200;

export class LiveCapture implements PacketSink {
  sessionId = -1;
  readonly engine: CaptureEngine;
  readonly filter: string;
  private readonly child: ChildProcess;
  private reader: CaptureReader | null = null;
  private rec!: CaptureRecording;
  private tail: Uint8Array = new Uint8Array(0);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stderr = '';
  private started = 0;
  private lastTime = 0;
  private readonly linkTypes = new Set<number>();
  private isbDropped: number | null = null;
  private readonly exited: Promise<number | null>;
  private readonly outEnded: Promise<void>;
  private finished: LiveCaptureSummary | null = null;
  private stopping = false;
  private readError: string | null = null;

  private constructor(private readonly writer: StoreWriter, private readonly opts: LiveCaptureOptions) {
    this.engine = findEngine(opts.engine);
    this.filter = captureFilter(opts.filter, opts.ports ?? []);
    const args = this.engine === 'dumpcap'
      ? ['-i', opts.interface, '-f', this.filter, '-s', '0', '-B', '64', '-w', '-']
      // -U: each packet is written as it is captured, not when a buffer fills; -B in KiB.
      : ['-i', opts.interface, '-U', '-s', '0', '-B', '65536', '-w', '-', this.filter];
    // A process group of its own: Ctrl-C on the terminal reaches us only, and we stop the engine after it (so its
    // exit is never mistaken for the engine failing). Should we die first, its next write to the pipe ends it.
    this.child = spawn(this.engine, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (this.stderr.length < 64 * 1024) this.stderr += d;
    });
    this.exited = new Promise((r) => {
      this.child.once('exit', (c) => r(c));
      this.child.once('error', () => r(-1));
    });
    this.outEnded = new Promise((r) => this.child.stdout!.once('close', () => r()));
    this.child.stdout!.on('data', (d: Buffer) => this.onData(d));
  }

  /** Starts the engine and resolves once it captures (the session is then created), or throws LiveCaptureError. */
  static async start(writer: StoreWriter, opts: LiveCaptureOptions): Promise<LiveCapture> {
    const c = new LiveCapture(writer, opts);
    await c.ready(opts.readyTimeoutMs ?? 20_000);
    return c;
  }

  get packets(): number {
    return this.reader?.packets ?? 0;
  }

  get frames(): number {
    return this.rec?.framesSoFar ?? 0;
  }

  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let code: number | null | undefined;
    void this.exited.then((c) => (code = c));
    // dumpcap writes its section and interface blocks once the interfaces are open; tcpdump says "listening on"
    // (its file header waits in a buffer for the first packet).
    while (!(this.engine === 'dumpcap' ? this.pendingBytes > 0 : /listening on/.test(this.stderr))) {
      if (code !== undefined) {
        await this.outEnded;
        throw engineError(this.engine, this.opts.interface, this.stderr, this.opts.filter);
      }
      if (Date.now() > deadline) {
        this.child.kill('SIGKILL');
        throw new LiveCaptureError(`${this.engine} did not start capturing on ${this.opts.interface} within ${Math.round(timeoutMs / 1000)} s`, 'engine');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    this.started = Date.now() * 1000;
    this.lastTime = this.started;
    const name = this.opts.name ?? `capture on ${this.opts.interface}`;
    this.rec = new CaptureRecording(this.writer, () => this.sessionId, {
      ...this.opts,
      onLine: this.opts.onLines ? (l: LiveLine) => this.opts.onLines!(formatLine(l, this.started)) : undefined,
    });
    this.sessionId = this.writer.createSession('capture', name, this.started, {
      capture: { interface: this.opts.interface, engine: this.engine, filter: this.filter },
      ports: [...this.rec.ports].sort((a, b) => a - b),
      ...(this.opts.keyLogFile ? { tlsKeyLog: this.opts.keyLogFile } : {}),
      ...(this.opts.profile ? { profile: this.opts.profile } : {}),
    });
    void this.exited.then(() => {
      if (!this.stopping) void this.outEnded.then(() => this.opts.onEnded?.(this.endReason()));
    });
    if (this.opts.keyLog?.live) this.retryTimer = setInterval(() => this.retryTls(), TLS_RETRY_MS);
    this.schedule();
  }

  private endReason(): string {
    const e = engineError(this.engine, this.opts.interface, this.stderr, this.opts.filter);
    return `${this.engine} stopped: ${e.message}`;
  }

  private onData(d: Buffer): void {
    this.pending.push(d);
    this.pendingBytes += d.length;
    if (this.sessionId < 0) return;
    if (this.pendingBytes >= BATCH_BYTES) this.parsePending();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.finished) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.parsePending();
    }, BATCH_MS);
  }

  /** Parses what the pipe delivered, in one transaction. */
  private parsePending(): void {
    if (!this.pending.length || this.readError) return;
    const view = new Uint8Array(Buffer.concat([this.tail, ...this.pending]));
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.reader) {
      if (view.length < 4) {
        this.tail = view;
        return;
      }
      const f = detectFormat(view.subarray(0, 16));
      if (f.format === null) {
        this.readError = `the capture engine's output is not a capture: ${f.reason}`;
        return;
      }
      this.reader = f.format === 'pcap' ? new PcapParserReader() : f.format === 'pcap-nsec' ? new PcapReader('pcap-nsec') : new PcapngReader();
    }
    const reader = this.reader;
    const consumed = this.writer.transaction(() => {
      const n = reader.parse(view, this);
      this.rec.flushTouched();
      return n;
    });
    this.tail = view.subarray(consumed);
    if (reader.error) this.readError = reader.error;
  }

  private retryTls(): void {
    if (this.finished) return;
    this.writer.transaction(() => {
      this.rec.flows.retryTls(this.lastTime);
      this.rec.flushTouched();
    });
  }

  // --- PacketSink -----------------------------------------------------------------------------------------------

  packet(linkType: number, time: number, data: Uint8Array, originalLength: number): void {
    if (time > this.lastTime) this.lastTime = time;
    this.rec.packet(linkType, time, data, originalLength);
  }

  linkType(t: number): void {
    this.linkTypes.add(t);
  }

  interfaceStatistics(_iface: number, ifdrop: number | null, osdrop: number | null): void {
    if (ifdrop === null && osdrop === null) return;
    this.isbDropped = (this.isbDropped ?? 0) + (ifdrop ?? 0) + (osdrop ?? 0);
  }

  // --- stop -------------------------------------------------------------------------------------------------------

  /**
   * Stops the engine (SIGINT: it writes what it holds and its statistics), reads the rest of the pipe, closes
   * every connection still open and ends the session. Safe to call more than once.
   */
  async stop(): Promise<LiveCaptureSummary> {
    if (this.finished) return this.finished;
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    await Promise.race([this.outEnded, new Promise((r) => setTimeout(r, 5_000))]);
    clearTimeout(kill);
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.timer = null;
    this.parsePending();
    return this.finish();
  }

  private finish(): LiveCaptureSummary {
    const reportDropped = droppedFromReport(this.stderr);
    const dropped = Math.max(this.isbDropped ?? 0, reportDropped ?? 0);
    const warnings = this.rec.warnings();
    if (this.readError) warnings.push(`the capture stopped being readable: ${this.readError}`);
    const cut = this.tail.length + (this.reader?.held ?? 0);
    let sessionIssues = 0;
    const issue = (code: 'capture-dropped' | 'capture-corrupt' | 'capture-truncated', message: string) => {
      sessionIssues++;
      this.writer.insertIssue({
        sessionId: this.sessionId, connectionId: null, frameId: null, dir: null, offset: null, time: this.lastTime,
        code, severity: ISSUES[code].severity, message,
      });
    };
    this.writer.transaction(() => {
      const end = Math.max(this.lastTime, Date.now() * 1000);
      this.rec.closeAll(end, 'the capture was stopped');
      if (dropped > 0) {
        const msg = `${dropped} packet(s) were dropped by the kernel or ${this.engine} during the capture: the connections they belonged to have gaps`;
        warnings.push(msg);
        issue('capture-dropped', msg);
      }
      if (this.readError) issue('capture-corrupt', `the capture engine's output became unreadable: ${this.readError}`);
      else if (cut > 0) issue('capture-truncated', `the capture engine stopped in the middle of a packet record (${cut} bytes left over)`);
      this.writer.setSessionMeta(this.sessionId, {
        capture: { interface: this.opts.interface, engine: this.engine, filter: this.filter, dropped, packets: this.packets },
        ports: [...this.rec.ports].sort((a, b) => a - b),
        linkTypes: [...this.linkTypes].map(linkTypeName),
        ...this.rec.metaOf(),
        ...(this.opts.keyLogFile ? { tlsKeyLog: this.opts.keyLogFile } : {}),
        ...(this.opts.profile ? { profile: this.opts.profile } : {}),
        completed: !this.readError,
        warnings,
      });
      this.writer.endSession(this.sessionId, end, this.readError ? 'interrupted' : 'complete');
    });
    this.finished = {
      session: this.sessionId, connections: this.rec.flows.connections, frames: this.rec.frames, issues: this.rec.issues + sessionIssues,
      packets: this.packets, dropped, warnings,
    };
    return this.finished;
  }
}

/** The console line for a frame, in the proxy's format. */
function formatLine(l: LiveLine, start: number): string {
  return formatLiveLine(l, start) + '\n';
}
