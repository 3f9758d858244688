// Recording proxies: one operation, startRecordingProxy(), starts every proxy, whether the UI asked for it
// (proxy.start, through ProxyManager) or the command line did (`stompscope proxy`). So a proxy is checked,
// recorded and named the same way wherever it was started; only what a caller may choose differs, and that is
// typed: listening beyond loopback is a field of the in-process options, never of the API's ProxyOptionsDto
// (the CLI's --allow-remote is a deliberate choice; a click in the UI is not).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import tls from 'node:tls';
import { ApiError, type EditedFrameDto, type HeldFrameDto, type ProxyDto, type ProxyOptionsDto, type ProxyRulesDto } from '../../../shared/api/index.js';
import { checkRules } from '../../../shared/rules/rules.js';
import { buildFrame } from '../../../shared/stomp/encoder.js';
import { StompDecoder } from '../../../shared/stomp/decoder.js';
import { interpretHeaders } from '../../../shared/stomp/escape.js';
import type { DecodedFrame } from '../../../shared/stomp/types.js';
import { formatAddress, StompProxy, type Endpoint, type UpstreamTls } from '../proxy/proxy.js';
import { Recorder } from '../record/recorder.js';
import { isWebSocketUrl, parseWebSocketUrl, type WebSocketUpstream } from '../../../shared/websocket/url.js';
import { isProfileName, type ProfileName } from '../../../shared/analysis/profiles.js';
import type { ConnectionInfo } from '../store/reader.js';
import { ProxyRules, type HeldFrame } from '../proxy/rules-engine.js';

/** Addresses that only this machine can reach: 127.0.0.0/8, ::1 and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseHostPort(text: string, what: string, defaultPort?: number): Endpoint {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { host: '127.0.0.1', port: checkPort(Number(t), what) };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:\s]+)(?::(\d+))?$/.exec(t);
  if (!m) throw new ApiError('bad-request', `${what}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  if (m[2] === undefined && defaultPort === undefined) throw new ApiError('bad-request', `${what}: a port is needed (HOST:PORT)`);
  return { host: m[1], port: checkPort(m[2] === undefined ? defaultPort! : Number(m[2]), what) };
}

function checkPort(p: number, what: string): number {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ApiError('bad-request', `${what}: port ${p} is out of range`);
  return p;
}

/**
 * Loads the PEM texts the way the proxy will, before a session is created for it: text that only looks like PEM
 * (a truncated file, a certificate that does not belong to the key) is refused with OpenSSL's reason instead of
 * failing later as "cannot listen", or on the first client's connection.
 */
function checkTlsMaterial(upstream: UpstreamTls | null, server: { cert: string | Buffer; key: string | Buffer } | null): void {
  const load = (what: string, fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      throw new ApiError('bad-request', `${what}: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  // node:tls skips CA entries it cannot parse without a word, so each certificate block is parsed on its own.
  const certificates = (pem: string | Buffer) => {
    const text = typeof pem === 'string' ? pem : pem.toString('latin1');
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? []) new X509Certificate(block);
  };
  const ca = upstream?.ca;
  if (typeof ca === 'string' || Buffer.isBuffer(ca)) load('the CA file', () => certificates(ca));
  if (server) {
    load('the certificate file', () => certificates(server.cert));
    load('the key file', () => createPrivateKey(server.key));
    // Also refuses a certificate that does not belong to the key.
    load('the certificate and key for clients', () => tls.createSecureContext({ cert: server.cert, key: server.key }));
  }
}

/** Where a proxy forwards to: a broker's STOMP port, or its STOMP over WebSocket endpoint. */
export type ProxyUpstream = { endpoint: Endpoint; ws: null } | { endpoint: Endpoint; ws: WebSocketUpstream };

/** `HOST:PORT` or `ws://HOST:PORT/PATH` (wss: TLS); `parseEndpoint` reads the first form in the caller's words. */
export function parseUpstream(text: string, what: string, parseEndpoint: (text: string) => Endpoint): ProxyUpstream {
  if (!isWebSocketUrl(text)) return { endpoint: parseEndpoint(text), ws: null };
  const ws = parseWebSocketUrl(text);
  if (typeof ws === 'string') throw new ApiError('bad-request', `${what}: ${ws}`);
  return { endpoint: { host: ws.host, port: ws.port }, ws };
}

/** How a recording proxy is started; fields the API never carries are marked so. */
export interface RecordingProxyOptions {
  dbPath: string;
  listen: Endpoint;
  upstream: ProxyUpstream;
  /** TLS to the broker (implied by a wss:// upstream); `ca` and `insecure` need it. */
  upstreamTls: boolean;
  ca?: string | Buffer;
  insecure?: boolean;
  /** Accept TLS from clients with this certificate and key (PEM). */
  serverTls: { cert: string | Buffer; key: string | Buffer } | null;
  name?: string;
  /** The broker profile for expert info; null: detected from CONNECTED's server header. */
  profile?: ProfileName | null;
  /** Recorded in the session's meta: who started the proxy. */
  startedBy: 'ui' | 'cli';
  /** In-process callers only (the CLI's --allow-remote): listen on an address other than loopback. */
  allowRemote?: boolean;
  /**
   * Frames may be injected (edit and resend): the client's reads are then scanned for frame boundaries. Only a
   * proxy whose owner can inject (the core's ProxyManager) pays for that scan.
   */
  injectable?: boolean;
  /**
   * The proxy's rules (rules-engine.ts), swappable while it runs; absent: a set with no rules, which the UI's Rules
   * panel or --rules-watch may fill later (connections accepted while it is empty take the plain path).
   */
  rules?: ProxyRules;
  /** One line per frame, for a console. */
  onLines?: (text: string) => void;
  /** The recorder's warnings (database locked, disk full); recording goes on. */
  onWarning?: (message: string) => void;
  /** Connection-level trouble (an unreachable upstream, a failed TLS handshake). */
  onNotice?: (message: string) => void;
}

export interface RecordingProxy {
  proxy: StompProxy;
  recorder: Recorder;
  /** The address listened on (the port chosen when 0 was asked for). */
  listen: string;
  /** The upstream as shown and stored: HOST:PORT or the normalised ws:// URL. */
  upstream: string;
  upstreamTls: boolean;
  clientTls: boolean;
  rules: ProxyRules;
}

/**
 * Starts a recording proxy into a new session of `dbPath`. Bad options are ApiError('bad-request'), refused
 * before a session exists; an address that cannot be listened on is ApiError('conflict') (its session is ended,
 * empty); a database that cannot be recorded into is the recorder's error.
 */
export async function startRecordingProxy(o: RecordingProxyOptions): Promise<RecordingProxy> {
  const { listen } = o;
  if (!isLoopbackHost(listen.host) && !o.allowRemote) {
    throw new ApiError('bad-request', `listen: ${listen.host} is not a loopback address; use the CLI with --allow-remote to listen beyond this machine`);
  }
  const ws = o.upstream.ws;
  if (ws && !ws.secure && o.upstreamTls) throw new ApiError('bad-request', `upstream: TLS to the broker with a ws:// upstream: write wss:// for TLS`);
  const tlsToBroker = o.upstreamTls || !!ws?.secure;
  if ((o.ca !== undefined || o.insecure) && !tlsToBroker) throw new ApiError('bad-request', 'a CA or insecure needs TLS to the broker');
  if (o.profile != null && !isProfileName(o.profile)) throw new ApiError('bad-request', `profile: unknown profile ${JSON.stringify(o.profile)}`);
  const upstreamTls: UpstreamTls | null = tlsToBroker ? { ca: o.ca, insecure: !!o.insecure } : null;
  checkTlsMaterial(upstreamTls, o.serverTls);
  const upstream = o.upstream.endpoint;
  const upstreamText = ws ? ws.url : formatAddress(upstream.host, upstream.port);
  const clientTls = !!o.serverTls;
  const recorder = await Recorder.start({
    dbPath: o.dbPath, kind: 'proxy', name: o.name?.trim() || `proxy to ${upstreamText}`,
    meta: {
      listen: formatAddress(listen.host, listen.port), upstream: upstreamText, upstreamTls: !!upstreamTls, clientTls,
      startedBy: o.startedBy, ...(o.profile ? { profile: o.profile } : {}),
    },
    onLines: o.onLines, onWarning: o.onWarning,
  });
  let proxy: StompProxy;
  const rules = o.rules ?? new ProxyRules({ notice: o.onNotice });
  try {
    proxy = await StompProxy.start({ listen, upstream, recorder, upstreamTls, serverTls: o.serverTls, onNotice: o.onNotice, injectable: !!o.injectable, rules });
  } catch (e) {
    await recorder.end('complete');
    throw new ApiError('conflict', `cannot listen on ${formatAddress(listen.host, listen.port)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const a = proxy.address;
  return { proxy, recorder, listen: formatAddress(a.host, a.port), upstream: upstreamText, upstreamTls: !!upstreamTls, clientTls, rules };
}

interface Running {
  proxy: StompProxy;
  recorder: Recorder;
  dto: Omit<ProxyDto, 'connections'>;
  /** The recorder's latest warning (database locked, disk full), shown with the proxy in the UI. */
  warning: string | null;
  rules: ProxyRules;
  /** The rules as the Rules panel wrote them, and their warnings. */
  written: Array<Record<string, unknown>>;
  warnings: string[];
}

export class ProxyManager {
  private readonly running = new Map<number, Running>();
  /** Frames held by `break` rules of every proxy, by id. */
  private readonly held = new Map<number, { session: number; h: HeldFrame }>();

  /**
   * `onWarning`: a recorder's warning changed (shown with its proxy): the UI should ask proxy.list again.
   * `onIntercept`: frames held by `break` rules changed.
   */
  constructor(private readonly dbPath: string, private readonly onChange: () => void, private readonly onWarning: () => void = onChange,
    private readonly onIntercept: (held: number) => void = () => {}) {}

  async start(o: ProxyOptionsDto): Promise<ProxyDto> {
    const serverTls = o.tlsCert !== undefined && o.tlsKey !== undefined ? { cert: o.tlsCert, key: o.tlsKey } : null;
    let session = 0;
    let started: RecordingProxy;
    const rules = new ProxyRules({
      held: (h) => {
        this.held.set(h.id, { session, h });
        this.onIntercept(this.held.size);
      },
      released: (h) => {
        if (this.held.delete(h.id)) this.onIntercept(this.held.size);
      },
    });
    try {
      started = await startRecordingProxy({
        dbPath: this.dbPath, listen: parseHostPort(o.listen || '0', 'listen'),
        upstream: parseUpstream(o.upstream, 'upstream', (t) => parseHostPort(t, 'upstream', 61613)),
        upstreamTls: !!o.upstreamTls, ca: o.ca, insecure: o.insecure, serverTls, name: o.name, profile: o.profile ?? null,
        startedBy: 'ui', injectable: true, rules,
        onWarning: (m) => {
          const r = this.running.get(session);
          if (!r) return;
          r.warning = m;
          this.onWarning();
        },
      });
    } catch (e) {
      // A proxy that could not listen leaves its (empty, ended) session behind: the session list changed.
      if (e instanceof ApiError && e.code === 'conflict') this.onChange();
      throw e;
    }
    const { proxy, recorder } = started;
    session = recorder.sessionId;
    const dto = { session, listen: started.listen, upstream: started.upstream, upstreamTls: started.upstreamTls, clientTls: started.clientTls };
    this.running.set(session, { proxy, recorder, dto, warning: null, rules, written: [], warnings: [] });
    this.onChange();
    return { ...dto, connections: 0 };
  }

  async stop(session: number): Promise<boolean> {
    const r = this.running.get(session);
    if (!r) return false;
    r.rules.set([]);
    this.running.delete(session);
    await r.proxy.stop();
    await r.recorder.end('complete');
    this.onChange();
    return true;
  }

  /** Why a frame cannot be injected into this recorded connection now, or null when it can. */
  whyNotInjectable(conn: ConnectionInfo): string | null {
    const r = this.running.get(conn.sessionId);
    if (!r) return `connection ${conn.id} is not open in a proxy of this StompScope (only a proxy started here, and still running, takes injected frames)`;
    if (conn.closed !== null || !r.proxy.injector(conn.client)) return `connection ${conn.id} is closed`;
    // The injector scans and writes plain STOMP bytes; inside another transport's framing they would be garbage.
    if (conn.transport !== 'tcp' && conn.transport !== 'tls') return `connection ${conn.id} carries STOMP over ${conn.transport}: frames are injected into plain STOMP over TCP or TLS only`;
    // Before CONNECTED the broker takes nothing but the client's CONNECT, and the escaping to use is not known.
    if (conn.version === null) return `connection ${conn.id} is not connected yet (no CONNECTED recorded)`;
    return null;
  }

  /**
   * Writes `bytes` (one whole client frame) into the live connection `conn`, at the next boundary between the
   * client's frames. Resolves once written; fails when the connection closes first, or when the client is still
   * inside a frame after `timeoutMs` (the frame is then taken back: nothing is written later).
   */
  inject(conn: ConnectionInfo, bytes: Uint8Array, timeoutMs: number): Promise<{ waited: boolean; offset: number }> {
    const why = this.whyNotInjectable(conn);
    if (why) return Promise.reject(new ApiError('conflict', why));
    const injector = this.running.get(conn.sessionId)!.proxy.injector(conn.client)!;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const i = {
        bytes,
        done: (waited: boolean, offset: number) => {
          clearTimeout(timer);
          resolve({ waited, offset });
        },
        failed: (reason: string) => {
          clearTimeout(timer);
          reject(new ApiError('conflict', `nothing injected: connection ${conn.id} closed (${reason})`));
        },
      };
      timer = setTimeout(() => {
        if (injector.cancel(i)) {
          reject(new ApiError('conflict', `nothing injected: the client of connection ${conn.id} stayed inside a frame for ${timeoutMs} ms`));
        }
      }, timeoutMs);
      injector.inject(i);
    });
  }

  private need(session: number): Running {
    const r = this.running.get(session);
    if (!r) throw new ApiError('not-found', `no proxy of session ${session} runs in this StompScope`);
    return r;
  }

  rulesOf(session: number): ProxyRulesDto {
    const r = this.need(session);
    return { session, rules: r.written, holdTimeoutMs: r.rules.holdTimeoutMs, warnings: r.warnings };
  }

  /** Replaces a proxy's rules, checked as a rules file is; a bad rule is ApiError('bad-request') naming it. */
  setRules(session: number, rules: Array<Record<string, unknown>>, holdTimeoutMs?: number): ProxyRulesDto {
    const r = this.need(session);
    if (isWebSocketUrl(r.dto.upstream) && rules.length) throw new ApiError('bad-request', 'rules act on plain STOMP over TCP or TLS, not on a ws:// or wss:// upstream');
    const check = checkRules(rules);
    if (check.errors.length) throw new ApiError('bad-request', check.errors[0]);
    r.rules.set(check.rules);
    if (holdTimeoutMs !== undefined) r.rules.holdTimeoutMs = holdTimeoutMs;
    r.written = rules;
    r.warnings = check.warnings;
    return this.rulesOf(session);
  }

  heldFrames(): HeldFrameDto[] {
    return [...this.held.values()].sort((a, b) => a.h.id - b.h.id).map(({ session, h }) => {
      let f: DecodedFrame | null = null;
      new StompDecoder().push(h.bytes, 0, (e) => {
        if (e.kind === 'frame') f ??= e;
      });
      const frame = f as DecodedFrame | null;
      const headers = frame ? interpretHeaders(frame.command, frame.headers, h.version).headers : [];
      return {
        id: h.id, session, conn: h.conn, client: h.client, from: h.dir, rule: h.rule, command: frame?.command ?? '', headers: headers.map(([n, v]) => [n, v]),
        bodyBase64: Buffer.from(frame?.body ?? new Uint8Array(0)).toString('base64'), rawBase64: Buffer.from(h.bytes).toString('base64'),
        version: h.version, heldAt: h.heldAt, timeoutAt: h.timeoutAt,
      };
    });
  }

  /** Forwards, drops or forwards edited a held frame; false when it was decided already. */
  decide(id: number, what: 'forward' | 'drop' | 'edit', frame?: EditedFrameDto): boolean {
    const e = this.held.get(id);
    if (!e) return false;
    if (what !== 'edit') return e.h.decide({ do: what });
    if (!frame) throw new ApiError('bad-request', "'frame' is needed to forward an edited frame");
    let bytes: Uint8Array;
    try {
      const body = Buffer.from(frame.bodyBase64, 'base64');
      // content-length is kept true: the edited body decides it when the held frame had one.
      const had = frame.headers.some(([n]) => n === 'content-length');
      const headers = frame.headers.filter(([n]) => n !== 'content-length');
      bytes = buildFrame(e.h.version, frame.command, headers, body, { contentLength: had || body.includes(0) });
    } catch (err) {
      throw new ApiError('bad-request', (err as Error).message);
    }
    return e.h.decide({ do: 'edit', bytes });
  }

  isRunning(session: number): boolean {
    return this.running.has(session);
  }

  list(): ProxyDto[] {
    return [...this.running.values()].map((r) => ({ ...r.dto, connections: r.proxy.connections, warning: r.warning }));
  }

  async stopAll(): Promise<void> {
    for (const s of [...this.running.keys()]) await this.stop(s);
  }
}
