// "Copy as code": what a generated client script does, independent of the language. Built from the same plan
// as a replay (core/replay/plan.ts): the recorded client frames in order, what the original had received before
// each (CONNECTED, RECEIPTs, MESSAGEs per subscription) as waits, and each ACK/NACK as "the n-th MESSAGE of
// subscription S", because a broker hands out new message ids every time.
//
// Credentials become constants at the top of the script: masked by default (the user fills them in; the
// script refuses to run with a masked value, like replay), the recorded values with --reveal-secrets.
import { ApiError, CODE_LANGUAGES, type CodeLanguageDto } from '../../../shared/api/index.js';
import { headerValue } from '../../../shared/stomp/escape.js';
import { isSecretHeader, MASK } from '../../../shared/stomp/secrets.js';
import { isConnectCommand } from '../../../shared/stomp/spec.js';
import type { StompVersion } from '../../../shared/stomp/types.js';
import { parseHeartBeat } from '../../../shared/stomp/version.js';
import { storedHandshake } from '../../../shared/websocket/handshake.js';
import { loadFrames, planReplay, type Condition, type RecordedFrame } from '../replay/plan.js';
import type { ConnectionInfo, StoreReader } from '../store/reader.js';
import { splitEndpoint } from './pcapng.js';

export type CodeLanguage = CodeLanguageDto;
export { CODE_LANGUAGES };

/** A header value in generated code: a literal, or the name of a constant declared at the top. */
export type Value = { lit: string } | { constant: string };

export interface Constant {
  name: string;
  /** The recorded value, or MASK when it is masked. */
  value: string;
  masked: boolean;
  comment: string;
}

export interface CodeStep {
  seq: number;
  command: string;
  /** Interpreted headers in wire order, first of each name only; credentials as constants. */
  headers: Array<[string, Value]>;
  /** Later repeats of a header name, left out (the first one wins, STOMP 1.2 §Repeated Header Entries). */
  droppedRepeats: string[];
  body: Buffer;
  /** Answers to wait for before sending this frame. */
  wait: Condition[];
  /** ACK/NACK: the MESSAGE it named. */
  ackOf: { subscription: string; n: number } | 'unknown' | null;
}

export interface CodeModel {
  session: number;
  connection: number;
  /** The recorded frame, when one frame was exported. */
  frame: number | null;
  /** That frame's number within the session, and the connection's (`#k`): how the comments name them. */
  frameNumber: number | null;
  connectionNumber: number;
  client: string;
  broker: string;
  host: string;
  port: number;
  version: StompVersion;
  connect: {
    /** CONNECT or STOMP, as recorded (CONNECT when none was recorded). */
    command: 'CONNECT' | 'STOMP';
    recorded: boolean;
    vhost: string | null;
    login: Value | null;
    passcode: Value | null;
    heartbeat: [number, number];
    /** Every other CONNECT header (accept-version, host, login, passcode and heart-beat are set by the library). */
    headers: Array<[string, Value]>;
  };
  /**
   * The connection went over STOMP over WebSocket (or SockJS): its endpoint as recorded in the upgrade
   * request (the query left out unless revealed: it may carry a token); null for TCP and TLS.
   */
  webSocket: { url: string; sockjs: boolean; queryLeftOut: boolean } | null;
  constants: Constant[];
  steps: CodeStep[];
  /** Client frames left out (not STOMP client commands, or a second CONNECT), as "seq COMMAND". */
  skipped: string[];
  /** Answers the original received after its last frame. */
  finalWait: Condition[];
}

const CONNECT_SET = new Set(['accept-version', 'host', 'login', 'passcode', 'heart-beat']);

function highestVersion(acceptVersion: string | undefined): StompVersion {
  const v = (acceptVersion ?? '').split(',').map((s) => s.trim());
  return v.includes('1.2') ? '1.2' : v.includes('1.1') ? '1.1' : '1.0';
}

class Constants {
  readonly list: Constant[] = [];
  private readonly byKey = new Map<string, Constant>();
  /** Names the scripts use for themselves. */
  private readonly names = new Set(['HOST', 'PORT', 'VHOST', 'TIMEOUT', 'MASK', 'BROKER_URL', 'TCP_HOST', 'TCP_PORT', 'VERSION']);

  constructor(private readonly reveal: boolean) {}

  /**
   * The constant for a credential header's value. Masked: one constant per header name (the values are not
   * known anyway); revealed: one per distinct value of that header.
   */
  of(header: string, value: string): Value {
    const base = header.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').replace(/^(\d)/, '_$1') || 'SECRET';
    const key = this.reveal ? `${base}\u0000${value}` : base;
    let c = this.byKey.get(key);
    if (!c) {
      let name = base;
      for (let i = 2; this.names.has(name); i++) name = `${base}_${i}`;
      c = {
        name, value: this.reveal ? value : MASK, masked: !this.reveal,
        comment: this.reveal ? `the '${header}' header as recorded` : `the '${header}' header: masked in the recording, fill it in`,
      };
      this.names.add(name);
      this.byKey.set(key, c);
      this.list.push(c);
    }
    return { constant: c.name };
  }
}

function valued(headers: readonly [string, string][], constants: Constants): { headers: Array<[string, Value]>; dropped: string[] } {
  const seen = new Set<string>();
  const out: Array<[string, Value]> = [];
  const dropped: string[] = [];
  for (const [name, value] of headers) {
    if (seen.has(name)) {
      dropped.push(name);
      continue;
    }
    seen.add(name);
    out.push([name, isSecretHeader(name) ? constants.of(name, value) : { lit: value }]);
  }
  return { headers: out, dropped };
}

function bodyOf(reader: StoreReader, conn: ConnectionInfo, f: RecordedFrame): Buffer {
  const b = reader.readBytes(conn.id, f.from, f.bodyOffset, f.bodyLength);
  if (!b) throw new ApiError('conflict', `frame seq ${f.seq} of connection ${conn.id}: its body was not recorded (a gap), so it cannot be reproduced`);
  return b;
}

/** The model of a script reproducing a whole client connection, or one client frame of it (after its CONNECT). */
export function buildCodeModel(reader: StoreReader, target: { connection: number } | { frame: number }, reveal: boolean, maxFrames = Infinity): CodeModel {
  let conn: ConnectionInfo | null;
  let frameSeq: number | null = null;
  let frameId: number | null = null;
  if ('frame' in target) {
    const row = reader.db.prepare(`SELECT connection_id, seq, dir FROM frames WHERE id = ?`).get(target.frame) as
      { connection_id: number; seq: number; dir: number } | undefined;
    if (!row) throw new ApiError('not-found', `no frame ${target.frame}`);
    if (row.dir !== 0) throw new ApiError('bad-request', `frame ${target.frame} was sent by the broker; copy as code reproduces client frames`);
    conn = reader.connection(row.connection_id);
    frameSeq = row.seq;
    frameId = target.frame;
  } else {
    conn = reader.connection(target.connection);
    if (!conn) throw new ApiError('not-found', `no connection ${target.connection}`);
  }
  if (!conn) throw new ApiError('not-found', 'no such connection');
  if (frameSeq === null && Number.isFinite(maxFrames)) {
    // Counted before loading anything: a connection of a million frames is refused without reading them.
    const count = reader.db.prepare(`SELECT count(*) FROM frames WHERE connection_id = ? AND dir = 0 AND command NOT IN ('CONNECT', 'STOMP')`)
      .pluck().get(conn.id) as number;
    if (count > maxFrames) {
      throw new ApiError('bad-request', `connection ${conn.id} has ${count} client frames, more than ${maxFrames} to copy: ` +
        'write them to a file with `stompscope export --format stomp.py|stompjs`');
    }
  }
  const frames = loadFrames(reader, conn);
  const constants = new Constants(reveal);
  const connectFrame = frames.find((f) => f.from === 'client' && isConnectCommand(f.command));
  const ch = connectFrame?.headers ?? [];
  const version: StompVersion = conn.version ?? highestVersion(headerValue(ch, 'accept-version'));
  const hb = parseHeartBeat(headerValue(ch, 'heart-beat')) ?? [0, 0];
  const login = headerValue(ch, 'login');
  const passcode = headerValue(ch, 'passcode');
  const { host, port } = splitEndpoint(conn.broker);
  const webSocket = webSocketOf(conn, reveal);
  const model: CodeModel = {
    session: conn.sessionId, connection: conn.id, frame: frameId, connectionNumber: conn.number,
    frameNumber: frameSeq === null ? null : (frames.find((f) => f.seq === frameSeq)?.number ?? null), client: conn.client, broker: conn.broker,
    host, port: webSocket ? 61613 : (port ?? 61613), version, webSocket,
    connect: {
      command: connectFrame?.command === 'STOMP' ? 'STOMP' : 'CONNECT',
      recorded: !!connectFrame,
      vhost: headerValue(ch, 'host') ?? null,
      login: login === undefined ? null : constants.of('login', login),
      passcode: passcode === undefined ? null : constants.of('passcode', passcode),
      heartbeat: [hb[0], hb[1]],
      headers: valued(ch.filter(([n]) => !CONNECT_SET.has(n)), constants).headers,
    },
    constants: constants.list,
    steps: [],
    skipped: [],
    finalWait: [],
  };
  const plan = planReplay(conn, frames);
  model.skipped = plan.skipped.map((f) => `seq ${f.seq} ${f.command}`);
  let connects = 0;
  for (const s of plan.steps) {
    const f = s.frame;
    if (isConnectCommand(f.command)) {
      if (++connects > 1 && frameSeq === null) model.skipped.push(`seq ${f.seq} ${f.command} (a second CONNECT)`);
      continue;
    }
    if (frameSeq !== null && f.seq !== frameSeq) continue;
    const { headers, dropped } = valued(f.headers, constants);
    model.steps.push({
      seq: f.seq, command: f.command, headers, droppedRepeats: dropped, body: bodyOf(reader, conn, f),
      // One frame alone: nothing of the original conversation is awaited but CONNECTED.
      wait: frameSeq !== null ? [] : s.wait.filter((c) => c.kind !== 'connected'),
      ackOf: frameSeq !== null ? (s.ackOf === null ? null : 'unknown') : s.ackOf,
    });
  }
  if (frameSeq !== null) {
    const f = frames.find((x) => x.seq === frameSeq)!;
    if (!model.steps.length && f.command !== 'CONNECT' && f.command !== 'STOMP') {
      throw new ApiError('bad-request', `frame ${frameId} (${f.command}) is not a STOMP client command`);
    }
  } else {
    model.finalWait = plan.finalWait.filter((c) => c.kind !== 'connected');
  }
  return model;
}

function webSocketOf(conn: ConnectionInfo, reveal: boolean): CodeModel['webSocket'] {
  if (!/^(websocket|sockjs)/.test(conn.transport)) return null;
  const h = storedHandshake(conn.handshake, reveal);
  const tls = conn.transport.endsWith('+tls');
  const target = h?.request?.target ?? '/';
  const hostHeader = h?.request?.headers.find(([n]) => n.toLowerCase() === 'host')?.[1];
  const q = target.indexOf('?');
  const queryLeftOut = !reveal && q >= 0;
  const pathPart = queryLeftOut ? target.slice(0, q) : target;
  return { url: `${tls ? 'wss' : 'ws'}://${hostHeader ?? conn.broker}${pathPart}`, sockjs: conn.transport.startsWith('sockjs'), queryLeftOut };
}

/** The header's value as a literal string, when it is one. */
/** What a generated program reproduces, for its opening comment: one frame, or a connection's client side. */
export function subject(m: CodeModel): string {
  // Frames and connections by their numbers within the session, as the UI and `stompscope frames` show them.
  return m.frame !== null
    ? `frame ${m.frameNumber ?? m.frame} (seq ${m.steps[0]?.seq ?? '?'}) of connection #${m.connectionNumber}`
    : `the client side of connection #${m.connectionNumber}`;
}

export function literal(headers: Array<[string, Value]>, name: string): string | undefined {
  const h = headers.find(([n]) => n === name);
  return h && 'lit' in h[1] ? h[1].lit : undefined;
}

/** Is the body text we can write as a string literal (valid UTF-8)? */
export function textBody(body: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return null;
  }
}
