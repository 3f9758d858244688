// What a replay and a resend have in common: StompScope acting as a STOMP client on one connection to a broker,
// recording every byte both ways through the Recorder (the same pipeline as the proxy), following the
// conversation with the same stage the recorder uses (decoders, version and heart-beat negotiation), keeping
// the connection alive with heart-beats, and closing it within a bounded time.
import net from 'node:net';
import tls from 'node:tls';
import { Conversation } from '../../../shared/conversation/conversation.js';
import type { ConversationFrame, ConversationSink } from '../../../shared/conversation/types.js';
import type { DecodedFrame, StompVersion } from '../../../shared/stomp/types.js';
import { formatAddress } from '../proxy/proxy.js';
import { nowMicros, Recorder } from '../record/recorder.js';
import { openDb } from '../store/db.js';
import { StoreReader } from '../store/reader.js';

/** Could not start: an unknown connection, a refused credential, an unreachable target. Nothing was recorded. */
export class ReplayError extends Error {}

export interface Target {
  target: { host: string; port: number };
  tls?: { ca?: Buffer; insecure?: boolean } | null;
  timeoutMs: number;
}

/** Connects to the target (TLS when asked), paused, within `timeoutMs`; a ReplayError when it cannot. */
export function connectSocket(opts: Target): Promise<net.Socket> {
  const { host, port } = opts.target;
  return new Promise((resolve, reject) => {
    const sock: net.Socket = opts.tls
      ? tls.connect({ host, port, ca: opts.tls.ca, rejectUnauthorized: !opts.tls.insecure, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    const timer = setTimeout(() => sock.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), Math.min(opts.timeoutMs, 2 ** 31 - 1));
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.setNoDelay(true);
      sock.pause();
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ReplayError(`cannot connect to ${formatAddress(host, port)}: ${e.code ?? e.message}`));
    });
  });
}

/** Starts the recording of a replay-kind session for a connected socket; the socket is closed if it cannot. */
export async function startRecording(sock: net.Socket, name: string, meta: object, dbPath: string): Promise<Recorder> {
  try {
    return await Recorder.start({ dbPath, kind: 'replay', name, meta });
  } catch (e) {
    sock.destroy();
    throw new ReplayError(`cannot record: ${(e as Error).message}`);
  }
}

/** Ends the recording; returns the new session and its (only) connection. */
export async function finishRecording(recorder: Recorder, dbPath: string): Promise<{ session: number; connection: number | null }> {
  const summary = await recorder.end('complete');
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  try {
    return { session: summary.session, connection: reader.connections(summary.session)[0]?.id ?? null };
  } finally {
    reader.close();
  }
}

/** One recorded client connection to a broker. Subclasses say what to send and what each broker frame means. */
export abstract class RecordedClient {
  /**
   * This connection as the stage sees it: the broker's bytes as they come, ours as we write them until CONNECTED,
   * so that our CONNECT is half of the negotiation (STOMP 1.2 §Heart-beating). Plain STOMP (we speak it
   * ourselves, no WebSocket to unwrap), and no expert rules: the recording does those.
   */
  private readonly conversation: Conversation;
  protected closed = false;
  protected closeReason: string | null = null;
  /** Wakes whoever waits for an answer or for the connection to close. */
  protected notify: (() => void) | null = null;
  /** performance.now() of the last bytes written, heart-beats included. */
  protected lastSentAt = 0;
  private heartBeatTimer: NodeJS.Timeout | null = null;
  private readonly key: number;

  constructor(protected readonly sock: net.Socket, protected readonly recorder: Recorder, private readonly clientTls: boolean,
    private readonly closeTimeoutMs: number) {
    this.conversation = new Conversation(this.conversationSink(), { unwrap: false, analyze: false });
    this.key = recorder.openConnection(formatAddress(sock.localAddress, sock.localPort), formatAddress(sock.remoteAddress, sock.remotePort),
      clientTls ? 'tls' : 'tcp');
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      this.closeReason ??= `broker ${e.code ?? e.message}`;
    });
    sock.on('close', (hadError) => {
      this.closed = true;
      this.closeReason ??= hadError ? 'broker reset' : 'broker closed';
      this.stopHeartBeats();
      this.notify?.();
    });
    sock.on('end', () => {
      // The broker finished sending; finish our side too (no half-open lingering).
      if (!sock.destroyed) sock.end();
    });
    sock.resume();
  }

  /**
   * A frame from the broker, after the negotiation has seen it; `headers` is the stage's view of its headers
   * (unescaped per the negotiated version, STOMP 1.2 §Value Encoding).
   */
  protected abstract onBrokerFrame(ev: DecodedFrame, headers: readonly (readonly [string, string])[]): void;

  /** The version the broker chose in CONNECTED (STOMP 1.2 §Protocol Negotiation); null before. */
  protected get negotiatedVersion(): StompVersion | null {
    return this.conversation.negotiatedVersion;
  }

  /** Only the frames matter here (the Recorder stores everything): a broker frame is acted on. */
  private conversationSink(): ConversationSink {
    const none = () => {};
    return {
      frame: (f: ConversationFrame) => {
        if (f.dir === 'broker') {
          if (f.frame.command === 'CONNECTED') this.startHeartBeats();
          this.onBrokerFrame(f.frame, f.headers);
        }
        return f.seq;
      },
      stream: none, streamGap: none, heartbeat: none, issue: none, link: none, finding: none, profile: none, transport: none, negotiated: none,
    };
  }

  private onData(chunk: Buffer): void {
    this.recorder.data(this.key, 'broker', chunk);
    this.conversation.push('broker', chunk, nowMicros());
    this.notify?.();
  }

  /** Bytes to the broker, recorded as the client's. */
  protected write(bytes: Uint8Array): void {
    this.recorder.data(this.key, 'client', bytes);
    // Our bytes matter here only until the broker answered CONNECT (they are half of the negotiation): a large
    // body we send afterwards is not decoded and held a second time.
    if (this.conversation.negotiatedVersion === null) this.conversation.push('client', bytes, nowMicros());
    this.sock.write(bytes);
    this.lastSentAt = performance.now();
  }

  /** An EOL at least every negotiated interval (STOMP 1.2 §Heart-beating): a slow answer must not cost the connection. */
  private startHeartBeats(): void {
    const every = this.conversation.heartBeats?.clientToBroker ?? 0;
    if (!every || this.heartBeatTimer) return;
    this.heartBeatTimer = setInterval(() => {
      if (this.closed) return;
      // A little early: the broker allows grace, but timers and the network add delay.
      if (performance.now() - this.lastSentAt >= every * 0.75) this.write(new Uint8Array([10]));
    }, Math.max(10, Math.floor(every / 4)));
    this.heartBeatTimer.unref();
  }

  protected stopHeartBeats(): void {
    if (this.heartBeatTimer) clearInterval(this.heartBeatTimer);
    this.heartBeatTimer = null;
  }

  /** Closes our side (STOMP 1.2 §DISCONNECT: after the RECEIPT the client closes; a broker may close first). */
  protected async close(reason: string): Promise<void> {
    this.stopHeartBeats();
    if (!this.closed) {
      this.closeReason ??= reason;
      this.sock.end();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.sock.destroy();
          resolve();
        }, Math.min(this.closeTimeoutMs, 5000));
        this.sock.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.recorder.closeConnection(this.key, this.closeReason);
  }
}
