// Proxies started from the UI: each one records into its own session of the core's database. The UI only
// gets to listen on loopback (the CLI's --allow-remote is a deliberate, typed choice; a click is not).
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { ApiError, type ProxyDto, type ProxyOptionsDto } from '../../../shared/api/index.js';
import { formatAddress, StompProxy, type Endpoint, type UpstreamTls } from '../proxy/proxy.js';
import { Recorder } from '../record/recorder.js';
import { isWebSocketUrl, parseWebSocketUrl } from '../../../shared/transport/url.js';
import type { ConnectionInfo } from '../store/reader.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

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
function checkTlsMaterial(upstream: UpstreamTls | null, server: { cert: string; key: string } | null): void {
  const load = (what: string, fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      throw new ApiError('bad-request', `${what}: ${(e as Error).message}`);
    }
  };
  // node:tls skips CA entries it cannot parse without a word, so each certificate block is parsed on its own.
  const certificates = (pem: string) => {
    for (const block of pem.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? []) new X509Certificate(block);
  };
  if (typeof upstream?.ca === 'string') {
    const ca = upstream.ca;
    load('the CA file', () => certificates(ca));
  }
  if (server) {
    load('the certificate file', () => certificates(server.cert));
    // Also refuses a certificate that does not belong to the key.
    load('the certificate and key for clients', () => tls.createSecureContext({ cert: server.cert, key: server.key }));
  }
}

interface Running {
  proxy: StompProxy;
  recorder: Recorder;
  dto: Omit<ProxyDto, 'connections'>;
  /** The recorder's latest warning (issue 7: database locked, disk full), shown with the proxy in the UI. */
  warning: string | null;
}

export class ProxyManager {
  private readonly running = new Map<number, Running>();

  /** `onWarning`: a recorder's warning changed (shown with its proxy): the UI should ask proxy.list again. */
  constructor(private readonly dbPath: string, private readonly onChange: () => void, private readonly onWarning: () => void = onChange) {}

  async start(o: ProxyOptionsDto): Promise<ProxyDto> {
    const listen = parseHostPort(o.listen || '0', 'listen');
    if (!LOOPBACK.has(listen.host)) {
      throw new ApiError('bad-request', `listen: ${listen.host} is not a loopback address; use the CLI with --allow-remote to listen beyond this machine`);
    }
    // ws://HOST:PORT/PATH (wss: TLS): STOMP over WebSocket, forwarded unchanged like any STOMP connection (issue 8).
    const ws = isWebSocketUrl(o.upstream) ? parseWebSocketUrl(o.upstream) : null;
    if (typeof ws === 'string') throw new ApiError('bad-request', `upstream: ${ws}`);
    const upstream = ws ? { host: ws.host, port: ws.port } : parseHostPort(o.upstream, 'upstream', 61613);
    const upstreamText = ws ? ws.url : formatAddress(upstream.host, upstream.port);
    const upstreamTls: UpstreamTls | null = o.upstreamTls || ws?.secure ? { ca: o.ca, insecure: !!o.insecure } : null;
    const serverTls = o.tlsCert !== undefined && o.tlsKey !== undefined ? { cert: o.tlsCert, key: o.tlsKey } : null;
    checkTlsMaterial(upstreamTls, serverTls);
    const recorder = await Recorder.start({
      dbPath: this.dbPath, kind: 'proxy', name: o.name?.trim() || `proxy to ${upstreamText}`,
      meta: { listen: formatAddress(listen.host, listen.port), upstream: upstreamText, upstreamTls: !!upstreamTls, clientTls: !!serverTls, startedBy: 'ui' },
      onWarning: (m) => {
        const r = this.running.get(recorder.sessionId);
        if (!r) return;
        r.warning = m;
        this.onWarning();
      },
    });
    let proxy: StompProxy;
    try {
      // Proxies run by the core take injected frames (edit and resend, issue 5); the CLI's proxy does not.
      proxy = await StompProxy.start({ listen, upstream, recorder, upstreamTls, serverTls, injectable: true });
    } catch (e) {
      await recorder.end('complete');
      this.onChange();
      throw new ApiError('conflict', `cannot listen on ${formatAddress(listen.host, listen.port)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const a = proxy.address;
    const dto = { session: recorder.sessionId, listen: formatAddress(a.host, a.port), upstream: upstreamText, upstreamTls: !!upstreamTls, clientTls: !!serverTls };
    this.running.set(recorder.sessionId, { proxy, recorder, dto, warning: null });
    this.onChange();
    return { ...dto, connections: 0 };
  }

  async stop(session: number): Promise<boolean> {
    const r = this.running.get(session);
    if (!r) return false;
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
