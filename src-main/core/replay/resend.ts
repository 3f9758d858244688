// Edit and resend: one edited client frame sent on a NEW connection to a chosen broker, after an
// (edited) CONNECT, and recorded as a session of kind 'replay' (meta `resendOf`) through the same Recorder as the
// proxy and the replay, so the UI shows it like any other session. Injection into a live proxied connection
// is a different feature and is not done here.
//
// The exchange: CONNECT → wait for CONNECTED; the frame → wait for its RECEIPT when it asks for one, else a
// short quiet period for answers (a SUBSCRIBE's MESSAGEs, an ERROR); then DISCONNECT with a receipt (STOMP 1.2
// §DISCONNECT: a graceful close) unless the frame was itself a DISCONNECT. Every wait is bounded.
import type net from 'node:net';
import { headerValue, type Header } from '../../../shared/stomp/escape.js';
import { maskText } from '../../../shared/stomp/secrets.js';
import { buildFrame } from '../../../shared/stomp/encoder.js';
import { isConnectCommand } from '../../../shared/stomp/spec.js';
import type { DecodedFrame, StompVersion } from '../../../shared/stomp/types.js';
import { formatAddress } from '../proxy/proxy.js';
import type { Recorder } from '../record/recorder.js';
import { connectSocket, finishRecording, RecordedClient, ReplayError, startRecording } from './client.js';
import { finding, type ReplayFinding } from './replay.js';

export interface ComposedFrame {
  command: string;
  /** Plain (unescaped) values. */
  headers: Header[];
  body: Uint8Array;
}

export interface ResendOptions {
  dbPath: string;
  /** The recorded frame this is an edit of, its session and connection (kept in the session's meta). */
  original: { id: number; session: number; connection: number; version: StompVersion | null };
  target: { host: string; port: number };
  tls?: { ca?: Buffer; insecure?: boolean } | null;
  connect: ComposedFrame | null;
  frame: ComposedFrame;
  timeoutMs: number;
  /** Quiet period after the frame when no RECEIPT is asked for: answers that come in it are recorded. */
  settleMs?: number;
  name?: string;
}

export interface ResendResult {
  session: number;
  connection: number | null;
  version: StompVersion | null;
  received: Array<{ seq: number; command: string; info: string }>;
  findings: ReplayFinding[];
}

/** Our own DISCONNECT's receipt id: it names the tool, so it is recognisable in the recording. */
const DISCONNECT_RECEIPT = 'stompscope-resend-disconnect';

/** Builds a composed frame's bytes, or throws ReplayError naming the header that cannot be on the wire in `version`. */
function bytesOf(f: ComposedFrame, version: StompVersion | null): Uint8Array {
  try {
    // content-length only as the user wrote it (or when a NUL in the body needs it): ActiveMQ and Artemis turn
    // a SEND with content-length into a BytesMessage, so adding one would change what is being reproduced.
    return buildFrame(version, f.command, f.headers, f.body);
  } catch (e) {
    throw new ReplayError((e as Error).message);
  }
}

export async function resendFrame(opts: ResendOptions): Promise<ResendResult> {
  // Encoding problems of the CONNECT are found before connecting (CONNECT is never escaped, so the version does
  // not matter); the frame's are checked for the recorded version now, and again for the negotiated one later.
  if (opts.connect) bytesOf(opts.connect, null);
  bytesOf(opts.frame, opts.original.version);
  const sock = await connectSocket(opts);
  const targetText = formatAddress(opts.target.host, opts.target.port);
  const recorder = await startRecording(sock, opts.name ?? `resend of ${opts.frame.command} (frame ${opts.original.id}) to ${targetText}`, {
    resendOf: opts.original.id, replayOf: { session: opts.original.session, connection: opts.original.connection },
    target: targetText, targetTls: !!opts.tls,
  }, opts.dbPath);
  const r = await new Exchange(opts, sock, recorder).run();
  return { ...(await finishRecording(recorder, opts.dbPath)), ...r };
}

class Exchange extends RecordedClient {
  private readonly findings: ReplayFinding[] = [];
  private readonly received: ResendResult['received'] = [];
  private seq = 0;

  constructor(private readonly opts: ResendOptions, sock: net.Socket, recorder: Recorder) {
    super(sock, recorder, !!opts.tls, opts.timeoutMs);
  }

  protected onBrokerFrame(ev: DecodedFrame, headers: readonly (readonly [string, string])[]): void {
    const h = (n: string) => headerValue(headers, n);
    let info = '';
    if (ev.command === 'CONNECTED') info = `version ${h('version') ?? '1.0'}`;
    else if (ev.command === 'RECEIPT') info = `receipt-id ${h('receipt-id') ?? '?'}`;
    else if (ev.command === 'MESSAGE') info = `${h('destination') ?? ''} (${ev.body ? ev.body.length : 0} bytes)`;
    else if (ev.command === 'ERROR') {
      const body = ev.body ? Buffer.from(ev.body).toString('utf8').trim().replace(/\s+/g, ' ').slice(0, 200) : '';
      // The broker may quote what it refused, a credential included: masked, as findings are shown as they are.
      info = maskText([h('message'), body].filter(Boolean).join(': '));
      this.findings.push(finding('replay-broker-error', `broker sent ERROR${info ? `: ${info}` : ''}`, null));
    }
    this.received.push({ seq: ++this.seq, command: ev.command, info });
  }

  private has(command: string, receipt?: string): boolean {
    return this.received.some((f) => f.command === command && (receipt === undefined || f.info === `receipt-id ${receipt}`));
  }

  private send(bytes: Uint8Array): void {
    this.write(bytes);
    // Our frames take seq numbers too: answers are numbered in the order of the whole exchange.
    this.seq++;
  }

  /** Waits until `done()`, the connection closes, or `ms`; true when done. */
  private async waitUntil(done: () => boolean, ms: number): Promise<boolean> {
    if (done() || this.closed) return done();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.notify = () => {
        if (this.closed || done()) finish();
      };
    });
    this.notify = null;
    return done();
  }

  private lost(what: string): void {
    this.findings.push(finding('replay-connection-closed', `${this.closeReason ?? 'closed'} before ${what}`, null));
  }

  async run(): Promise<Omit<ResendResult, 'session' | 'connection'>> {
    const { connect, frame, timeoutMs } = this.opts;
    if (connect) {
      this.send(bytesOf(connect, null));
      const ok = await this.waitUntil(() => this.has('CONNECTED') || this.has('ERROR'), timeoutMs);
      if (!ok && !this.closed) this.findings.push(finding('replay-timeout', `no CONNECTED within ${timeoutMs} ms`, null));
    }
    if (this.closed) this.lost(`${frame.command} could be sent`);
    else if (connect && !this.has('CONNECTED')) {
      // Sending after a refused or unanswered CONNECT would only add a protocol error to the recording.
      this.findings.push(finding('replay-frame-skipped', `${frame.command} not sent: the broker did not accept the CONNECT`, null));
    } else {
      const version = this.negotiatedVersion ?? this.opts.original.version;
      let bytes: Uint8Array | null = null;
      try {
        bytes = bytesOf(frame, isConnectCommand(frame.command) ? null : version);
      } catch (e) {
        this.findings.push(finding('replay-frame-skipped', `${frame.command} not sent: ${(e as Error).message}`, null));
      }
      if (bytes) {
        this.send(bytes);
        const receipt = headerValue(frame.headers, 'receipt');
        if (receipt !== undefined) {
          const ok = await this.waitUntil(() => this.has('RECEIPT', receipt) || this.has('ERROR'), timeoutMs);
          if (!ok) {
            if (this.closed) this.lost(`RECEIPT ${receipt} came`);
            else this.findings.push(finding('replay-timeout', `no RECEIPT ${receipt} within ${timeoutMs} ms`, null));
          }
        } else {
          await this.waitUntil(() => false, this.opts.settleMs ?? 500);
          // A broker that drops the connection without an ERROR (a frame it could not parse, e.g. a content-length
          // longer than the body) must not look like a quiet success.
          if (this.closed && frame.command !== 'DISCONNECT' && !this.has('ERROR')) this.lost('the exchange ended');
        }
      }
    }
    if (!this.closed && frame.command !== 'DISCONNECT' && this.has('CONNECTED')) {
      this.send(buildFrame(this.negotiatedVersion, 'DISCONNECT', [['receipt', DISCONNECT_RECEIPT]]));
      await this.waitUntil(() => this.has('RECEIPT', DISCONNECT_RECEIPT), Math.min(timeoutMs, 5000));
    }
    await this.close('resend finished');
    return { version: this.negotiatedVersion, received: this.received, findings: this.findings };
  }
}
