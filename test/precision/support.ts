// The precision suite's rig: real clients → tee A → the recording proxy (its CLI) → tee B → a real broker, with
// tcpdump capturing the loopback between tee A and the proxy. Tee A's bytes are the client-side byte log: exactly
// what the client sent and received. After the runs, the proxy's recording and the import of the capture are read
// back from their databases and compared with an oracle computed here from that byte log, independently of the
// product's decoder (test/support/stomp-wire.ts).
//
// Everything a test needs is produced by one memoized `results()`: every `it` awaits it, so any single test can
// run alone (it then runs the whole matrix of its file first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import type { IStompSocket } from '@stomp/stompjs';
import { afterAll, beforeAll } from 'vitest';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader, type ConnectionInfo } from '../../src-main/core/store/reader.js';
import { frameJson } from '../../src-main/core/read/frame-json.js';
import { CAPTURES, probeListener, startCapture, waitUntilCapturing, type RunningCapture } from '../capture/support/capture-tools.js';
import { within } from '../support/checks.js';
import { runStompjsScenario } from '../support/clients/stompjs-scenario.js';
import { PYTHON, runStomppy } from '../support/clients/stomppy.js';
import { runCli } from '../support/proxy-cli.js';
import { expectFrame, negotiatedVersion, sha256, WireSplitter, type ExpectedFrame, type Version, type WireFrame } from '../support/stomp-wire.js';
import type { TeeConnection } from '../support/tee.js';
import { useTeedProxy, type TeedProxy } from '../support/teed-proxy.js';
import { unwrapWebSocket } from '../websocket/support.js';

const CLIENTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/clients');

/** Heart-beats: 1 s both ways and a 3 s idle pause, so every heart-beating client sends and receives some. */
export const HEARTBEAT_MS = 1000;
export const IDLE_S = 3;
/** ~20 SENDs per clean run: this many text messages, plus a binary one and two in a transaction. */
export const TEXT_MESSAGES = 17;

export type ClientName = 'stomp.py' | 'Net::Stomp' | 'Ruby stomp gem' | 'PHP stomp' | 'stompjs (TCP)' | 'stompjs (Web-STOMP)';

// ---- the clients --------------------------------------------------------------------------------------------

async function runScript(cmd: string, args: string[], timeoutMs = 90_000): Promise<void> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => {
    child.once('error', (e) => {
      out += String(e);
      r(null);
    });
    child.once('exit', (c) => r(c));
  });
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd} ${path.basename(args[0])} exited ${code}: ${out.trim().slice(-2000)}`);
}

// RabbitMQ Web STOMP sends every frame as a WebSocket text message, and the `ws` client (rightly) closes on a text
// message that is not UTF-8: over Web STOMP the binary body has NULs (so content-length) but is valid UTF-8.
const WS_BINARY = Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from('NUL-in-the-middle é ✓', 'utf8'), Buffer.from([0, 10, 0])]);

/** Runs one client's clean scenario against `port` (tee A); throws with the client's own words when it fails. */
export async function runClient(name: ClientName, port: number): Promise<void> {
  const common = ['--host', '127.0.0.1', '--port', String(port), '--messages', String(TEXT_MESSAGES)];
  switch (name) {
    case 'stomp.py': {
      if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3-stomp`);
      const r = await runStomppy({ port, version: '1.2', messages: TEXT_MESSAGES, heartbeatMs: HEARTBEAT_MS, lingerS: IDLE_S });
      if (!r.ok) throw new Error(`stomp.py failed: ${JSON.stringify(r.summary.errors)}\n${r.stderr.slice(-2000)}`);
      return;
    }
    case 'Net::Stomp':
      return runScript('/usr/bin/perl', [path.join(CLIENTS_DIR, 'netstomp_scenario.pl'), ...common]);
    case 'Ruby stomp gem':
      return runScript('/usr/bin/ruby', [path.join(CLIENTS_DIR, 'ruby_scenario.rb'), ...common, '--heartbeat', String(HEARTBEAT_MS), '--linger', String(IDLE_S)]);
    case 'PHP stomp':
      return runScript('/usr/bin/php', [path.join(CLIENTS_DIR, 'php_scenario.php'), ...common]);
    case 'stompjs (TCP)':
    case 'stompjs (Web-STOMP)': {
      const ws = name === 'stompjs (Web-STOMP)';
      const r = await runStompjsScenario({
        port,
        version: '1.2',
        messages: TEXT_MESSAGES,
        heartbeatMs: HEARTBEAT_MS,
        lingerMs: IDLE_S * 1000,
        ...(ws && {
          socketFactory: () => new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']) as unknown as IStompSocket,
          binaryBody: WS_BINARY,
          disconnectReceipt: false, // RabbitMQ Web STOMP closes the WebSocket at DISCONNECT without the RECEIPT
        }),
      });
      if (!r.ok) throw new Error(`stompjs failed: ${JSON.stringify(r.summary.errors)}`);
      return;
    }
  }
}

// ---- the oracle: the client-side byte log, split independently ---------------------------------------------

export interface OracleFrame {
  raw: Buffer;
  frame: WireFrame;
}

export interface OracleStream {
  /** The STOMP stream of one direction (for WebSocket: the messages' payloads, joined). */
  stream: Buffer;
  frames: OracleFrame[];
  /** EOLs between frames that are not a frame's own trailing EOL right after its NUL: the wire's heart-beats. */
  heartbeats: number;
  /** EOLs right after a frame's NUL (STOMP 1.2 §Augmented BNF: `NULL *( EOL )`; not heart-beats). */
  trailers: number;
}

/**
 * One direction's stream cut into frames and EOLs. Events tile the stream (the splitter consumes every byte), so
 * a frame's raw bytes run from its offset to the next event's.
 */
export function oracleStream(stream: Buffer): OracleStream {
  const s = new WireSplitter();
  const events = s.feed(stream);
  if (s.pending) throw new Error(`the byte log ends inside a frame (${s.pending} bytes pending)`);
  const out: OracleStream = { stream, frames: [], heartbeats: 0, trailers: 0 };
  events.forEach((e, i) => {
    const start = e.kind === 'frame' ? e.frame.offset : e.offset;
    const end = i + 1 < events.length ? (events[i + 1].kind === 'frame' ? (events[i + 1] as { frame: WireFrame }).frame.offset : (events[i + 1] as { offset: number }).offset) : stream.length;
    if (e.kind === 'frame') out.frames.push({ raw: stream.subarray(start, end), frame: e.frame });
    else if (start > 0 && stream[start - 1] === 0) out.trailers++;
    else out.heartbeats++;
  });
  return out;
}

export interface OracleConnection {
  version: Version;
  client: OracleStream;
  broker: OracleStream;
}

/** What the byte log of one tee connection says, for plain STOMP or STOMP over WebSocket. */
export async function oracleOf(a: TeeConnection, websocket: boolean): Promise<OracleConnection> {
  let c2s = a.c2s();
  let s2c = a.s2c();
  if (websocket) {
    const head = s2c.subarray(0, s2c.indexOf('\r\n\r\n')).toString('latin1');
    const ext = /^sec-websocket-extensions:\s*(.*)$/im.exec(head)?.[1].trim() ?? null;
    c2s = Buffer.concat((await unwrapWebSocket(c2s, true, ext)).messages);
    s2c = Buffer.concat((await unwrapWebSocket(s2c, false, ext)).messages);
  }
  const client = oracleStream(c2s);
  const broker = oracleStream(s2c);
  return { version: negotiatedVersion(broker.frames.map((f) => f.frame)), client, broker };
}

export const expected = (o: OracleStream, v: Version): ExpectedFrame[] => o.frames.map((f) => expectFrame(f.frame, v));

// ---- reading a recording back ---------------------------------------------------------------------------------

export interface Finding {
  code: string;
  severity: string;
  message: string;
}

export interface RecordedFrame extends ExpectedFrame {
  raw: Buffer | null;
}

export interface RecordedConnection {
  info: ConnectionInfo;
  frames: { client: RecordedFrame[]; broker: RecordedFrame[] };
  /** The whole stored stream of each direction, as long as the oracle's (null when some of it is missing). */
  stream: { client: Buffer | null; broker: Buffer | null };
  /** Bytes stored beyond the oracle's length (should be none). */
  extra: { client: boolean; broker: boolean };
  /** Every issue of the connection (wire issues and analysis findings), in order. */
  findings: Finding[];
}

/** Reads every connection of a database (one session), in id order. `lengths`: the oracle's stream lengths. */
export function readRecording(db: string, lengths: Array<{ client: number; broker: number } | undefined>): RecordedConnection[] {
  const reader = new StoreReader(openDb(db, { readonly: true }));
  try {
    const conns = reader.connections();
    const issues = reader.db.prepare('SELECT code, severity, message FROM issues WHERE connection_id = ? ORDER BY id');
    return conns.map((info, i) => {
      const frames: RecordedConnection['frames'] = { client: [], broker: [] };
      for (const f of reader.frames({ connection: info.id })) {
        const j = frameJson(reader, f, info) as unknown as ExpectedFrame;
        frames[f.from].push({
          command: j.command, headers: j.headers, bodyLength: j.bodyLength, bodySha256: j.bodySha256, body: j.body,
          raw: reader.readBytes(info.id, f.from, f.offset, f.length),
        });
      }
      const len = lengths[i] ?? { client: 0, broker: 0 };
      return {
        info,
        frames,
        stream: { client: reader.readBytes(info.id, 'client', 0, len.client), broker: reader.readBytes(info.id, 'broker', 0, len.broker) },
        extra: { client: reader.readBytes(info.id, 'client', len.client, 1) !== null, broker: reader.readBytes(info.id, 'broker', len.broker, 1) !== null },
        findings: issues.all(info.id) as Finding[],
      };
    });
  } finally {
    reader.close();
  }
}

/** Findings that are errors or warnings (notes are fine on a clean run). */
export const serious = (f: Finding[]) => f.filter((x) => x.severity === 'error' || x.severity === 'warning');

/** Frames without their raw bytes, for a readable diff; raw bytes are compared separately. */
export const parsed = (f: RecordedFrame): ExpectedFrame => ({ command: f.command, headers: f.headers, bodyLength: f.bodyLength, bodySha256: f.bodySha256, body: f.body });

/** Raw bytes as a compact, comparable list: the SHA-256 and length of each frame's bytes. */
export const rawDigest = (frames: Array<{ raw: Buffer | null }>) => frames.map((f) => (f.raw ? `${f.raw.length}:${sha256(f.raw)}` : 'missing'));

// ---- planted faults: a bare socket that writes exactly the bytes of the fault -------------------------------

/** A minimal STOMP peer for the planted faults: writes what it is told, reads the broker's frames (bounded). */
export class BareClient {
  readonly socket: net.Socket;
  readonly received: WireFrame[] = [];
  private readonly splitter = new WireSplitter();
  private closedFlag = false;
  private readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('data', (d: Buffer) => {
      for (const e of this.splitter.feed(d)) if (e.kind === 'frame') this.received.push(e.frame);
    });
    this.socket.on('error', () => {});
    this.closed = new Promise((r) => this.socket.once('close', () => r()));
    void this.closed.then(() => (this.closedFlag = true));
  }

  send(frame: string): void {
    this.socket.write(frame);
  }

  /** Waits (bounded) for a broker frame matching `pred`. */
  async next(pred: (f: WireFrame) => boolean, what: string, ms = 15_000): Promise<WireFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.received.find(pred);
      if (f) return f;
      if (this.closedFlag) throw new Error(`connection closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async receipt(id: string): Promise<void> {
    await this.next((f) => f.command === 'RECEIPT' && f.rawHeaders.some(([k, v]) => k === 'receipt-id' && v === id), `RECEIPT ${id}`);
  }

  /** Half-closes and waits (bounded) for the other side to close too. */
  async end(): Promise<void> {
    this.socket.end();
    await within(this.closed, 10_000, 'the connection to close');
  }
}

export const CONNECT = (extra = '') => `CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n${extra}\n\0`;

/** Polls (bounded) a live recording until the newest connection has a finding `code`. */
export async function waitForFinding(db: string, code: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const sql = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const row = sql.prepare('SELECT 1 FROM issues WHERE code = ? AND connection_id = (SELECT max(id) FROM connections)').get(code);
      if (row) return;
    } finally {
      sql.close();
    }
    if (Date.now() > deadline) throw new Error(`no ${code} finding in the live recording within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the rig ------------------------------------------------------------------------------------------------

export interface Fault {
  name: string;
  /** The one finding (error or warning) the recording must hold for this connection. */
  code: string;
  /** A piece of that finding's message. */
  message: RegExp;
  run(rig: { port: number; db: string; teeB: () => TeeConnection | undefined }): Promise<void>;
}

export interface Run {
  name: string;
  kind: 'client' | 'fault';
  websocket: boolean;
  /** Why the client or fault did not complete (null when it did). */
  failure: string | null;
  /** Its connection on each side of the proxy (the index in tee A is also the recorded connection's rank). */
  a?: TeeConnection;
  b?: TeeConnection;
  oracle?: OracleConnection;
  recorded?: RecordedConnection;
  imported?: RecordedConnection;
}

export interface Results {
  runs: Map<string, Run>;
  proxyExit: { code: number | null; stderr: string };
  importExit: { code: number | null; stdout: string; stderr: string };
  /** Connections counted in the recording and in the import. */
  recordedConnections: number;
  importedConnections: number;
}

export interface RigOptions {
  name: string;
  broker: () => { host: string; port: number };
  /** For STOMP over WebSocket: the proxy's upstream for tee B's port. */
  upstream?: (teeBPort: number) => string;
  clients: ClientName[];
  faults: Fault[];
  before?: () => void;
}

export function usePrecisionRig(opts: RigOptions): { results: () => Promise<Results>; teed: TeedProxy } {
  const t = useTeedProxy({
    dirPrefix: 'stompscope-precision-',
    name: opts.name,
    before: opts.before,
    broker: opts.broker,
    upstream: opts.upstream,
    extraArgs: ['--quiet'],
  });
  let capture: RunningCapture | undefined;
  let captureFile = '';

  // After useTeedProxy's beforeAll (the proxy's port is known): tcpdump on the loopback, between tee A and the
  // proxy, and a probe proves it records before any client starts.
  beforeAll(async () => {
    const probe = await probeListener();
    captureFile = path.join(t.dir, 'precision.pcap');
    const spec = CAPTURES.find((c) => c.tool === 'tcpdump' && c.format === 'pcap' && c.args.includes('lo'))!;
    try {
      capture = await startCapture(spec, captureFile, `tcp port ${t.proxy.port} or tcp port ${probe.port}`);
      await waitUntilCapturing([capture], probe.port);
    } finally {
      await probe.close();
    }
  }, 60_000);

  afterAll(async () => {
    await capture?.stop();
  });

  let memo: Promise<Results> | undefined;
  const results = () => (memo ??= produce());

  async function produce(): Promise<Results> {
    const runs = new Map<string, Run>();
    const steps: Array<{ name: string; kind: Run['kind']; go: () => Promise<void> }> = [
      ...opts.clients.map((c) => ({ name: c, kind: 'client' as const, go: () => runClient(c, t.teeA.port) })),
      ...opts.faults.map((f) => ({
        name: f.name,
        kind: 'fault' as const,
        go: () => f.run({ port: t.teeA.port, db: t.db, teeB: () => t.teeB.connections[t.teeB.connections.length - 1] }),
      })),
    ];
    // In sequence: one connection at a time, so the n-th connection of tee A is the n-th the proxy recorded.
    for (const step of steps) {
      const before = t.teeA.connections.length;
      const run: Run = { name: step.name, kind: step.kind, websocket: step.name === 'stompjs (Web-STOMP)', failure: null };
      runs.set(step.name, run);
      try {
        await step.go();
      } catch (e) {
        run.failure = (e as Error).message;
      }
      run.a = t.teeA.connections[before];
      run.b = t.teeB.connections[before];
      if (t.teeA.connections.length !== before + 1) run.failure ??= `${t.teeA.connections.length - before} connections instead of 1`;
      try {
        if (run.a) await within(run.a.closed, 10_000, 'client-side close');
        if (run.b) await within(run.b.closed, 10_000, 'broker-side close');
      } catch (e) {
        run.failure ??= (e as Error).message;
      }
    }

    await capture?.stop().then((s) => {
      if (s.code !== 0) throw new Error(`tcpdump exited ${s.code}: ${s.stderr}`);
    });
    capture = undefined;
    const exit = await t.stopProxy(30_000);

    // Runs that opened a connection, in order: the n-th is the n-th connection the proxy recorded.
    const ordered = [...runs.values()].filter((r) => r.a);
    for (const run of ordered) {
      try {
        run.oracle = await oracleOf(run.a!, run.websocket);
      } catch (e) {
        run.failure ??= `the byte log does not split into frames: ${(e as Error).message}`;
      }
    }
    const lengths = ordered.map((r) => (r.oracle ? { client: r.oracle.client.stream.length, broker: r.oracle.broker.stream.length } : undefined));
    const recorded = readRecording(t.db, lengths);
    ordered.forEach((r, i) => (r.recorded = recorded[i]));

    const idb = path.join(t.dir, 'import.db');
    const imp = await runCli(['import', captureFile, '--db', idb, '--json'], 120_000);
    let importedConnections = 0;
    if (imp.code === 0) {
      // The capture names the same TCP connections as the proxy (tee A's side of the proxy): match by address.
      const byClient = new Map(recorded.map((r, i) => [r.info.client, i]));
      const all = readRecording(idb, []);
      importedConnections = all.length;
      const ranks = all.map((c) => byClient.get(c.info.client));
      const imported = readRecording(idb, ranks.map((i) => (i === undefined ? undefined : lengths[i])));
      imported.forEach((c, j) => {
        const i = ranks[j];
        if (i !== undefined && ordered[i]) ordered[i].imported = c;
      });
    }
    return {
      runs,
      proxyExit: { code: exit.code, stderr: exit.stderr },
      importExit: { code: imp.code, stdout: imp.stdout, stderr: imp.stderr },
      recordedConnections: recorded.length,
      importedConnections,
    };
  }

  return { results, teed: t };
}
