// Replays the client side of a recorded connection against a broker, recording the replay as a new session
// (kind 'replay') through the same recorder as the proxy. Plain Node: the CLI and the UI hosts only carry it.
//
// Order and waits come from the plan (plan.ts); timing is the recorded pauses scaled by `speed`, or none.
// Every wait is bounded by `timeoutMs`: a missing answer becomes a finding, never a hang.
import type net from 'node:net';
import { MessageOrdinals } from '../../../shared/correlate/ack.js';
import { issueInfo, type IssueCode } from '../../../shared/issues.js';
import { headerValue, type Header } from '../../../shared/stomp/escape.js';
import { maskText } from '../../../shared/stomp/secrets.js';
import { isConnectCommand } from '../../../shared/stomp/spec.js';
import type { DecodedFrame, Severity, StompVersion } from '../../../shared/stomp/types.js';
import { formatAddress } from '../proxy/proxy.js';
import type { Recorder } from '../record/recorder.js';
import { openDb } from '../store/db.js';
import { StoreReader } from '../store/reader.js';
import { connectHeaders, frameBytes, mapDestination, remapAck, ReplayRefused } from './frames.js';
import { connectSocket, finishRecording, RecordedClient, startRecording } from './client.js';
import { describeCondition, loadFrames, planReplay, type Condition, type Plan, type Step } from './plan.js';

/** The longest delay a Node.js timer takes (2^31 - 1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export { ReplayRefused } from './frames.js';
export { connectSocket, ReplayError } from './client.js';

export interface ReplayOptions {
  dbPath: string;
  connection: number;
  target: { host: string; port: number };
  tls?: { ca?: Buffer; insecure?: boolean } | null;
  /** Recorded pauses are divided by this; null replays as fast as possible. */
  speed: number | null;
  login?: string;
  passcode?: string;
  /** Exact destination names to rewrite on client frames. */
  mapDestination?: ReadonlyMap<string, string>;
  /** Last client frame to replay (its seq in the recorded connection). */
  until?: number | null;
  /** Longest wait for one answer, and for the connection (ms). */
  timeoutMs: number;
  name?: string;
  /**
   * Told when the replay session exists (done 0) and after each client frame of the plan is handled (sent or
   * skipped), for a host's progress bar. The CLI passes none.
   */
  onProgress?: (p: { session: number; done: number; total: number }) => void;
}

export interface ReplayFinding {
  code: IssueCode;
  severity: Severity;
  message: string;
  /** The recorded (original) frame concerned, by its seq; null when none is. */
  seq: number | null;
  /** That frame's number within the original session (what the UI and the CLI show); null with `seq`. */
  number?: number | null;
}

export interface ReplayResult {
  session: number;
  connection: number | null;
  /** STOMP frames sent and received by the replay. */
  sent: number;
  received: number;
  version: StompVersion | null;
  findings: ReplayFinding[];
}

export function finding(code: IssueCode, message: string, seq: number | null): ReplayFinding {
  return { code, severity: issueInfo(code)!.severity, message, seq };
}

/** Reads and plans; throws ReplayRefused (a user mistake) or ReplayError before any connection is made. */
export function prepareReplay(reader: StoreReader, opts: Pick<ReplayOptions, 'connection' | 'until' | 'login' | 'passcode'>): { plan: Plan; connect: Header[] | null } {
  const conn = reader.connection(opts.connection);
  if (!conn) throw new ReplayRefused(`--connection: no connection ${opts.connection} in the database`);
  const plan = planReplay(conn, loadFrames(reader, conn), opts.until ?? null);
  if (plan.steps.length === 0) throw new ReplayRefused(`connection ${conn.id} has no client frames to replay${opts.until != null ? ` up to seq ${opts.until}` : ''}`);
  const first = plan.steps.find((s) => isConnectCommand(s.frame.command));
  // Credentials are checked here, before connecting: a masked passcode must never reach a broker.
  const connect = first ? connectHeaders(first.frame.headers, opts.login, opts.passcode) : null;
  return { plan, connect };
}

/** Runs a replay. Throws ReplayRefused / ReplayError when it cannot start; otherwise reports findings. */
export async function replayConnection(opts: ReplayOptions): Promise<ReplayResult> {
  const reader = new StoreReader(openDb(opts.dbPath, { readonly: true }));
  try {
    const { plan, connect } = prepareReplay(reader, opts);
    const sock = await connectSocket(opts);
    const recorder = await startRecording(sock,
      opts.name ?? `replay of connection ${plan.connection.id} to ${formatAddress(opts.target.host, opts.target.port)}`, {
        replayOf: { session: plan.connection.sessionId, connection: plan.connection.id },
        target: formatAddress(opts.target.host, opts.target.port), targetTls: !!opts.tls,
        speed: opts.speed, until: opts.until ?? null,
        mapDestination: Object.fromEntries(opts.mapDestination ?? []),
      }, opts.dbPath);
    opts.onProgress?.({ session: recorder.sessionId, done: 0, total: plan.steps.length });
    const run = new ReplayRun(opts, plan, connect, reader, sock, recorder);
    const r = await run.run();
    // Findings name the recorded frame by its seq in the connection; people read frames by their number.
    const numbers = new Map([...plan.steps.map((s) => s.frame), ...plan.skipped].map((f) => [f.seq, f.number]));
    const findings = r.findings.map((f) => ({ ...f, number: f.seq === null ? null : (numbers.get(f.seq) ?? null) }));
    return { ...(await finishRecording(recorder, opts.dbPath)), ...r, findings };
  } finally {
    reader.close();
  }
}

class ReplayRun extends RecordedClient {
  private readonly findings: ReplayFinding[] = [];
  private ordinals = new MessageOrdinals(null);
  private readonly receipts = new Map<string, number>();
  private connected = false;
  private sent = 0;
  private received = 0;
  /** performance.now() of the last frame sent, and of the last frame received. */
  private lastFrameSentAt = 0;
  private lastReceivedAt = 0;
  private lastSeq: number | null = null;
  private readonly given = new Set<string>();

  constructor(
    private readonly opts: ReplayOptions, private readonly plan: Plan, private readonly connect: Header[] | null,
    private readonly reader: StoreReader, sock: net.Socket, recorder: Recorder,
  ) {
    super(sock, recorder, !!opts.tls, opts.timeoutMs);
  }

  private get version(): StompVersion | null {
    return this.negotiatedVersion;
  }

  protected onBrokerFrame(ev: DecodedFrame, headers: readonly (readonly [string, string])[]): void {
    this.received++;
    this.lastReceivedAt = performance.now();
    if (ev.command === 'CONNECTED') {
      this.connected = true;
      this.ordinals = new MessageOrdinals(this.negotiatedVersion);
      return;
    }
    if (ev.command === 'RECEIPT') {
      const id = headerValue(headers, 'receipt-id');
      if (id !== undefined) this.receipts.set(id, (this.receipts.get(id) ?? 0) + 1);
    } else if (ev.command === 'MESSAGE') {
      this.ordinals.add(headers);
    } else if (ev.command === 'ERROR') {
      // The broker may quote what it refused, a credential included: findings are shown as they are, so masked.
      const m = maskText(headerValue(headers, 'message') ?? '');
      const body = ev.body ? maskText(Buffer.from(ev.body).toString('utf8').trim().slice(0, 200)) : '';
      this.findings.push(finding('replay-broker-error', `broker sent ERROR${m ? `: ${m}` : ''}${body ? ` (${body.replace(/\s+/g, ' ')})` : ''}`, this.lastSeq));
    }
  }

  private met(c: Condition): boolean {
    if (c.kind === 'connected') return this.connected;
    if (c.kind === 'receipt') return (this.receipts.get(c.id) ?? 0) >= c.n;
    return this.ordinals.count(c.subscription) >= c.n;
  }

  /** Waits until every condition is met, the connection closes, or the timeout: returns the unmet ones. */
  private async waitFor(conds: Condition[]): Promise<Condition[]> {
    // A condition given up on once (timed out) is not waited for again by later frames.
    const open = () => conds.filter((c) => !this.met(c) && !this.given.has(describeCondition(c)));
    if (open().length === 0 || this.closed) return open();
    await new Promise<void>((resolve) => {
      // The CLI and the API refuse a longer timeout; a longer timer would fire at once.
      const timer = setTimeout(done, Math.min(this.opts.timeoutMs, MAX_TIMER_MS));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.notify = () => {
        if (this.closed || open().length === 0) done();
      };
    });
    this.notify = null;
    const left = open();
    for (const c of left) this.given.add(describeCondition(c));
    return left;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    // A recorded pause slowed down by --speed can exceed the longest timer (2^31 - 1 ms), which would fire at
    // once: sleep in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.notify = null;
        resolve(step < ms ? this.sleep(ms - step) : undefined);
      }, step);
      this.notify = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.notify = null;
          resolve();
        }
      };
    });
  }

  /**
   * Reports answers that did not come. When the connection closed meanwhile, a frame still to be sent is
   * reported as replay-connection-closed instead (`final` false), so one event is not reported twice.
   */
  private timedOut(left: Condition[], seq: number | null, what: string, final = false): void {
    if (left.length === 0 || (this.closed && !final)) return;
    const missing = left.map(describeCondition).join(', ');
    this.findings.push(finding('replay-timeout', this.closed
      ? `connection closed (${this.closeReason ?? 'closed'}) without ${missing} ${what}`
      : `no ${missing} within ${this.opts.timeoutMs} ms ${what}`, seq));
  }

  private bytesFor(step: Step): Uint8Array | null | 'skip' {
    const f = step.frame;
    const conn = this.plan.connection;
    const raw = () => this.reader.readBytes(conn.id, 'client', f.offset, f.length);
    const body = () => this.reader.readBytes(conn.id, 'client', f.bodyOffset, f.bodyLength);
    let headers: Header[] = f.headers;
    if (isConnectCommand(f.command)) {
      // Our own CONNECT's heart-beat is half of the negotiation (STOMP 1.2 §Heart-beating): the conversation sees it when written.
      if (this.connect) headers = this.connect;
    }
    headers = mapDestination(headers, this.opts.mapDestination ?? new Map());
    if (step.ackOf !== null && step.ackOf !== 'unknown') {
      const { subscription, n } = step.ackOf;
      const msg = this.ordinals.nth(subscription, n);
      const remapped = msg ? remapAck(headers, this.plan.version, this.version, msg, subscription) : null;
      if (!remapped) {
        this.findings.push(finding('replay-ack-unmapped',
          `${f.command} of MESSAGE #${n} on subscription ${subscription || '(none)'} not sent: ` +
          (msg ? `that MESSAGE has no ${this.version === '1.2' ? 'ack' : 'message-id'} header` : `the replay received only ${this.ordinals.count(subscription)}`), f.seq));
        return 'skip';
      }
      headers = remapped;
    } else if (step.ackOf === 'unknown') {
      this.findings.push(finding('replay-ack-unknown', `${f.command} names no recorded MESSAGE; sent as recorded`, f.seq));
    }
    return frameBytes(f, headers, this.plan.version, this.version ?? this.plan.version, raw, body);
  }

  async run(): Promise<Omit<ReplayResult, 'session' | 'connection'>> {
    for (const f of this.plan.skipped) {
      this.findings.push(finding('replay-frame-skipped', `${JSON.stringify(f.command)} is not a STOMP client command; not replayed`, f.seq));
    }
    const speed = this.opts.speed;
    let cut = false;
    let done = 0;
    const progress = () => this.opts.onProgress?.({ session: this.recorder.sessionId, done: ++done, total: this.plan.steps.length });
    for (const step of this.plan.steps) {
      const f = step.frame;
      if (!this.closed) {
        const waited = step.wait.length > 0;
        this.timedOut(await this.waitFor(step.wait), f.seq, `before ${f.command} (seq ${f.seq})`);
        if (speed !== null && step.gap > 0) {
          // The pause counts from the last frame sent or, when answers were awaited, from the last arrival.
          const from = waited ? Math.max(this.lastFrameSentAt, this.lastReceivedAt) : this.lastFrameSentAt;
          await this.sleep(from + step.gap / 1000 / speed - performance.now());
        }
      }
      if (this.closed) {
        this.findings.push(finding('replay-connection-closed', `${this.closeReason ?? 'closed'} before ${f.command} (seq ${f.seq}) could be sent`, f.seq));
        cut = true;
        break;
      }
      const bytes = this.bytesFor(step);
      if (bytes === 'skip') {
        progress();
        continue;
      }
      if (bytes === null) {
        this.findings.push(finding('replay-frame-unavailable', `bytes of ${f.command} (seq ${f.seq}) are not in the store; not sent`, f.seq));
        progress();
        continue;
      }
      this.write(bytes);
      this.lastFrameSentAt = this.lastSentAt;
      this.sent++;
      this.lastSeq = f.seq;
      progress();
    }
    // What the original received after its last frame (the DISCONNECT's RECEIPT, late MESSAGEs).
    if (!cut) this.timedOut(await this.waitFor(this.plan.finalWait), this.lastSeq, 'after the last frame', true);
    await this.close('replay finished');
    return { sent: this.sent, received: this.received, version: this.version, findings: this.findings };
  }
}
