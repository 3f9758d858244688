// The same scripted conversation as stomppy_scenario.py, driven by a real client: @stomp/stompjs 7 over plain
// TCP in Node. stompjs talks to a WebSocket-like object (IStompSocket); `TcpStompSocket` below is the small
// net.Socket wrapper its docs describe for TCP use (the @stomp/tcp-wrapper pattern), with a tap on every byte.
//
// The JSON log has the same shape as the Python one (see stomppy_scenario.py): every frame and heart-beat this
// client sent or received, parsed from the exact bytes written to / read from its socket by the test oracle
// (stomp-wire.ts), headers unescaped per the negotiated version, and a final `done` record.
//
// Run by itself:  node --import tsx test/support/clients/stompjs-scenario.ts --port 61613 [--version 1.2]
import { Client, StompSocketState, Versions, type IMessage, type IStompSocket, type StompSubscription } from '@stomp/stompjs';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { bodyText, sha256, unescapeHeaders, WireSplitter, type Version } from '../stomp-wire.js';

export type LogRecord =
  | {
      event: 'frame';
      dir: 'sent' | 'received';
      t: string;
      command: string;
      headers: [string, string][];
      bodyLength: number;
      bodySha256: string;
      body: string | null;
    }
  | { event: 'heartbeat'; dir: 'sent' | 'received'; t: string }
  | { event: 'error'; t: string; message: string }
  | ({ event: 'done'; t: string; ok: boolean } & ScenarioSummary);

export interface ScenarioSummary {
  client: string;
  version: string;
  negotiated: string | null;
  messages: number;
  expectedMessages: number;
  queue: string | null;
  bytesSent: number;
  bytesReceived: number;
  sentSha256: string;
  receivedSha256: string;
  localPort: number | null;
  errors: string[];
}

export interface StompjsScenarioOptions {
  host?: string;
  port: number;
  version?: '1.1' | '1.2';
  queue?: string;
  messages?: number;
  heartbeatMs?: number;
  lingerMs?: number;
  slowMs?: number;
  prefetch?: number;
  timeoutMs?: number;
  /** Called with each log record as it happens (the records are also returned). */
  onRecord?: (r: LogRecord) => void;
  /**
   * Another transport than the tapped TCP socket (e.g. a `ws` WebSocket for STOMP over WebSocket). Its bytes are
   * not logged: the caller takes its byte log elsewhere (a tee), and the summary's byte counts stay 0.
   */
  socketFactory?: () => IStompSocket;
  /** The binary body (default: every byte value, NULs, and bytes that are not UTF-8). */
  binaryBody?: Buffer;
  /** Ask for a receipt on DISCONNECT (default true; RabbitMQ Web STOMP closes at DISCONNECT without sending it). */
  disconnectReceipt?: boolean;
}

/** ISO 8601 UTC with microseconds (µs from hrtime, anchored to the wall clock once). */
const t0Wall = BigInt(Date.now()) * 1000n;
const t0Mono = process.hrtime.bigint();
export function nowIso(): string {
  const us = t0Wall + (process.hrtime.bigint() - t0Mono) / 1000n;
  const ms = Number(us / 1000n);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.' + String(us % 1_000_000n).padStart(6, '0') + 'Z');
}

/** net.Socket dressed as the WebSocket-like object stompjs expects, logging every byte both ways. */
export class TcpStompSocket implements IStompSocket {
  url: string;
  binaryType = 'arraybuffer';
  readyState: number = StompSocketState.CONNECTING;
  onclose: ((ev?: unknown) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: { data: ArrayBuffer }) => unknown) | null = null;
  onopen: ((ev?: unknown) => unknown) | null = null;
  readonly socket: net.Socket;
  bytesSent = 0;
  bytesReceived = 0;
  readonly sentHash = createHash('sha256');
  readonly receivedHash = createHash('sha256');
  localPort: number | null = null;

  constructor(
    host: string,
    port: number,
    private readonly tap: (dir: 'sent' | 'received', bytes: Buffer) => void,
  ) {
    this.url = `tcp://${host}:${port}/`;
    this.socket = net.connect({ host, port }, () => {
      this.localPort = this.socket.localPort ?? null;
      this.readyState = StompSocketState.OPEN;
      this.onopen?.();
    });
    this.socket.on('data', (d: Buffer) => {
      this.bytesReceived += d.length;
      this.receivedHash.update(d);
      this.tap('received', d);
      // stompjs's parser is byte-level and incremental: arbitrary TCP chunking is fine.
      this.onmessage?.({ data: d.buffer.slice(d.byteOffset, d.byteOffset + d.length) as ArrayBuffer });
    });
    this.socket.on('close', (hadError) => {
      this.readyState = StompSocketState.CLOSED;
      this.onclose?.({ wasClean: !hadError, type: 'CloseEvent', code: hadError ? 1006 : 1000 });
    });
    this.socket.on('error', (err) => this.onerror?.({ type: 'Error', message: String(err) }));
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    let b: Buffer;
    if (typeof data === 'string') b = Buffer.from(data, 'utf8');
    else if (ArrayBuffer.isView(data)) b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    else if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) b = Buffer.from(data);
    else throw new Error('Blob is not supported over TCP');
    b = Buffer.from(b); // own copy: what we log is exactly what we write
    this.bytesSent += b.length;
    this.sentHash.update(b);
    this.tap('sent', b);
    this.socket.write(b);
  }

  close(): void {
    this.readyState = StompSocketState.CLOSING;
    this.socket.end();
  }

  terminate(): void {
    this.readyState = StompSocketState.CLOSING;
    this.socket.destroy();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runStompjsScenario(opts: StompjsScenarioOptions): Promise<{ ok: boolean; records: LogRecord[]; summary: ScenarioSummary }> {
  const host = opts.host ?? '127.0.0.1';
  const version = opts.version ?? '1.2';
  const nMessages = opts.messages ?? 3;
  const hb = opts.heartbeatMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const queue = opts.queue ?? `/queue/stompscope-js${version.replace('.', '')}-${randomBytes(4).toString('hex')}`;
  const records: LogRecord[] = [];
  const errors: string[] = [];
  const log = (r: LogRecord) => {
    records.push(r);
    opts.onRecord?.(r);
  };
  const fail = (message: string) => {
    errors.push(message);
    log({ event: 'error', t: nowIso(), message });
  };

  // Log from the wire: each direction's bytes through the oracle splitter, unescaped per the version the
  // CONNECTED frame announced (known before any escaped frame can be sent or received).
  let negotiated: Version | null = null;
  const splitters = { sent: new WireSplitter(), received: new WireSplitter() };
  const tap = (dir: 'sent' | 'received', bytes: Buffer) => {
    try {
      for (const ev of splitters[dir].feed(bytes)) {
        if (ev.kind === 'heartbeat') {
          log({ event: 'heartbeat', dir, t: nowIso() });
          continue;
        }
        const f = ev.frame;
        if (f.command === 'CONNECTED') {
          const v = f.rawHeaders.find(([k]) => k === 'version')?.[1];
          negotiated = v === '1.1' || v === '1.2' ? v : '1.0';
        }
        log({
          event: 'frame',
          dir,
          t: nowIso(),
          command: f.command,
          headers: unescapeHeaders(f.command, f.rawHeaders, negotiated ?? '1.0'),
          bodyLength: f.body.length,
          bodySha256: sha256(f.body),
          body: bodyText(f.body),
        });
      }
    } catch (e) {
      fail(`${dir} stream: ${(e as Error).message}`);
    }
  };

  let sock: TcpStompSocket | null = null;
  const receipts = new Set<string>();
  const messages: IMessage[] = [];
  let wake: (() => void) | null = null;
  const poke = () => wake?.();
  const waitFor = async (pred: () => boolean, what: string, ms = timeoutMs) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (errors.length) throw new Error(`aborted while waiting for ${what}: ${errors[0]}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };

  let connected = false;
  let closed = false;
  const client = new Client({
    webSocketFactory: () => opts.socketFactory?.() ?? (sock = new TcpStompSocket(host, opts.port, tap)),
    connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
    stompVersions: new Versions([version]),
    heartbeatIncoming: hb,
    heartbeatOutgoing: hb,
    reconnectDelay: 0, // one connection, no retries: a test must see exactly what happened
    debug: () => {},
    onConnect: () => {
      connected = true;
      poke();
    },
    onStompError: (frame) => fail(`ERROR frame from broker: ${frame.headers.message} ${frame.body}`),
    onWebSocketClose: () => {
      closed = true;
      poke();
    },
    onWebSocketError: (e) => fail(`socket error: ${JSON.stringify(e)}`),
  });

  let expected = 0;
  const binary = opts.binaryBody ?? Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\0\0NUL-in-the-middle\0\xff\xfe', 'latin1')]);
  const escaped: Record<string, string> = { 'x-colon': 'a:b:c', 'x-newline': 'line1\nline2', 'x-backslash': 'back\\slash', 'x-cr': 'carriage\rreturn' };
  const withReceipt = async (id: string, send: () => void) => {
    client.watchForReceipt(id, () => {
      receipts.add(id);
      poke();
    });
    send();
    await waitFor(() => receipts.has(id), `RECEIPT ${id}`);
  };

  try {
    client.activate();
    await waitFor(() => connected, 'CONNECTED');

    const subHeaders: Record<string, string> = { id: 'sub-1', ack: 'client-individual', receipt: 'r-sub' };
    if (opts.prefetch) subHeaders['prefetch-count'] = String(opts.prefetch);
    let sub: StompSubscription | null = null;
    await withReceipt('r-sub', () => {
      sub = client.subscribe(
        queue,
        (m) => {
          messages.push(m);
          poke();
        },
        subHeaders,
      );
    });

    for (let i = 0; i < nMessages; i++) {
      await withReceipt(`r-text-${i}`, () =>
        client.publish({ destination: queue, body: `text message ${i}: héllo wörld`, headers: { 'content-type': 'text/plain', receipt: `r-text-${i}` } }),
      );
      expected++;
    }
    await withReceipt('r-binary', () =>
      client.publish({ destination: queue, binaryBody: new Uint8Array(binary), headers: { 'content-type': 'application/octet-stream', receipt: 'r-binary' } }),
    );
    expected++;
    // stompjs escapes header values only when 1.2 was negotiated; in 1.1 it would put a raw newline on the
    // wire, so the escaping step runs in 1.2 only (a stompjs limitation, not a broker one).
    if (version === '1.2') {
      await withReceipt('r-escaped', () => client.publish({ destination: queue, body: 'escaped headers', headers: { ...escaped, receipt: 'r-escaped' } }));
      expected++;
    }
    const tx = client.begin('tx-1');
    client.publish({ destination: queue, body: 'in transaction 1', headers: { transaction: tx.id } });
    client.publish({ destination: queue, body: 'in transaction 2', headers: { transaction: tx.id } });
    tx.commit();
    expected += 2;

    for (let acked = 0; acked < expected; acked++) {
      await waitFor(() => messages.length > acked, `MESSAGE ${acked + 1} of ${expected}`, timeoutMs + (opts.slowMs ?? 0) * expected);
      if (opts.slowMs) await sleep(opts.slowMs); // a deliberately slow consumer
      messages[acked].ack();
    }

    const gotBinary = messages.some((m) => Buffer.from(m.binaryBody).equals(binary));
    if (!gotBinary) fail('binary body did not come back intact');
    if (version === '1.2') {
      const m = messages.find((x) => x.body === 'escaped headers');
      if (!m || Object.entries(escaped).some(([k, v]) => m.headers[k] !== v)) fail(`escaped header values did not round-trip: ${JSON.stringify(m?.headers)}`);
    }

    await sleep(opts.lingerMs ?? 2500); // let heart-beats flow both ways
    await withReceipt('r-unsub', () => sub!.unsubscribe({ receipt: 'r-unsub' }));
    if (opts.disconnectReceipt ?? true) client.configure({ disconnectHeaders: { receipt: 'r-disconnect' } });
    await Promise.race([client.deactivate(), sleep(timeoutMs)]);
    await waitFor(() => closed, 'socket close');
  } catch (e) {
    fail(`${(e as Error).message}`);
    await client.deactivate({ force: true }).catch(() => {});
  }

  const s = sock as TcpStompSocket | null;
  for (const dir of ['sent', 'received'] as const) {
    if (splitters[dir].pending) fail(`${dir} stream ended inside a frame (${splitters[dir].pending} bytes)`);
  }
  const summary: ScenarioSummary = {
    client: 'stompjs',
    version,
    negotiated,
    messages: messages.length,
    expectedMessages: expected,
    queue,
    bytesSent: s?.bytesSent ?? 0,
    bytesReceived: s?.bytesReceived ?? 0,
    sentSha256: s ? s.sentHash.copy().digest('hex') : sha256(Buffer.alloc(0)),
    receivedSha256: s ? s.receivedHash.copy().digest('hex') : sha256(Buffer.alloc(0)),
    localPort: s?.localPort ?? null,
    errors,
  };
  const ok = errors.length === 0 && messages.length === expected;
  log({ event: 'done', t: nowIso(), ok, ...summary });
  return { ok, records, summary };
}

// CLI: same flags as the Python scenario (subset), JSON lines to --log or stdout.
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
  const out = args.get('log') && args.get('log') !== '-' ? createWriteStream(args.get('log')!) : process.stdout;
  const { ok } = await runStompjsScenario({
    host: args.get('host') ?? '127.0.0.1',
    port: Number(args.get('port')),
    version: (args.get('version') as '1.1' | '1.2') ?? '1.2',
    messages: args.has('messages') ? Number(args.get('messages')) : undefined,
    lingerMs: args.has('linger') ? Number(args.get('linger')) * 1000 : undefined,
    slowMs: args.has('slow') ? Number(args.get('slow')) * 1000 : undefined,
    prefetch: args.has('prefetch') ? Number(args.get('prefetch')) : undefined,
    onRecord: (r) => out.write(JSON.stringify(r) + '\n'),
  });
  if (out !== process.stdout) await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
  process.exit(ok ? 0 : 1);
}
