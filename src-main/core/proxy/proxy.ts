// The transparent recording proxy: it owns the listening socket, one client and one broker socket per connection,
// and forwarding between them. Every byte read is written to the other side at once, unchanged; the recorder gets
// a copy afterwards and never holds forwarding up. It also owns the connection's lifecycle (a client that hangs up
// before the broker answers, resets, TLS on either side) and, for injectable proxies, the injector per connection.
import net from 'node:net';
import tls from 'node:tls';
import type { Recorder } from '../record/recorder.js';
import { ClientInjector, type FrameInjector } from './injector.js';
import { RulesConnection, type ProxyRules } from './rules-engine.js';
import type { Direction } from '../../../shared/stomp/types.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface UpstreamTls {
  /** PEM of the CA(s) to trust instead of the system's. */
  ca?: string | Buffer;
  /** Accept any certificate (test brokers with self-signed certificates). */
  insecure?: boolean;
  servername?: string;
}

export interface ProxyOptions {
  listen: Endpoint;
  upstream: Endpoint;
  /** Where forwarded bytes are recorded; null forwards only. */
  recorder: Recorder | null;
  upstreamTls?: UpstreamTls | null;
  /** Accept TLS from clients with this certificate and key (PEM). */
  serverTls?: { cert: string | Buffer; key: string | Buffer } | null;
  connectTimeoutMs?: number;
  /** Told about connection-level trouble (unreachable upstream…) for the console. */
  onNotice?: (message: string) => void;
  /**
   * Frames may be injected into the client → broker stream (`injector()`): that side's reads are then scanned for
   * frame boundaries (shared/stomp/boundary.ts). Off by default, so other proxies forward each read unscanned.
   */
  injectable?: boolean;
  /**
   * The proxy's rules (swappable while it runs). A connection accepted while some rule is enabled goes through the
   * rules path (rules-engine.ts) for its whole life; one accepted with none takes the plain path.
   */
  rules?: ProxyRules | null;
}

/** "ip:port", with IPv6 in brackets and IPv4-mapped IPv6 shown as IPv4. */
export function formatAddress(address: string | undefined, port: number | undefined): string {
  let a = address ?? '?';
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

/**
 * The transparent recording proxy. Every byte is written to the other side as soon as it is read, unchanged;
 * the recorder gets a copy afterwards and never holds forwarding up. Backpressure is the sockets' own: a
 * side that reads slowly pauses the side that writes to it, so the proxy never buffers without bound.
 */
export class StompProxy {
  private readonly server: net.Server;
  private readonly live = new Set<net.Socket>();
  /** Injectable proxies only: the injector of each open connection, by client address ("ip:port"). */
  private readonly injectors = new Map<string, FrameInjector>();
  private stopping = false;
  /** Connections accepted since start. */
  accepted = 0;

  private constructor(private readonly opts: ProxyOptions) {
    const onSocket = (client: net.Socket) => this.accept(client);
    this.server = opts.serverTls
      ? tls.createServer({ cert: opts.serverTls.cert, key: opts.serverTls.key, allowHalfOpen: true }, onSocket)
      : net.createServer({ allowHalfOpen: true }, onSocket);
    // A client whose TLS handshake fails never reaches us as a connection; keep serving the others.
    this.server.on('tlsClientError', (e: Error) => opts.onNotice?.(`TLS handshake with a client failed: ${e.message}`));
  }

  static start(opts: ProxyOptions): Promise<StompProxy> {
    const p = new StompProxy(opts);
    return new Promise((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(opts.listen.port, opts.listen.host, () => {
        p.server.off('error', reject);
        p.server.on('error', (e) => opts.onNotice?.(`listener error: ${e.message}`));
        resolve(p);
      });
    });
  }

  get address(): Endpoint {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  get connections(): number {
    return this.live.size / 2;
  }

  /** The injector of the open connection from `client` ("ip:port"), if this proxy is injectable and it is open. */
  injector(client: string): FrameInjector | null {
    return this.injectors.get(client) ?? null;
  }

  /** Stops accepting, closes every proxied connection and waits until they are all closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.live) s.destroy();
    await closed;
  }

  private accept(client: net.Socket): void {
    if (this.stopping) {
      client.destroy();
      return;
    }
    this.accepted++;
    const { upstream, recorder } = this.opts;
    const clientAddr = formatAddress(client.remoteAddress, client.remotePort);
    const configured = formatAddress(upstream.host, upstream.port);
    const transport = this.opts.upstreamTls || this.opts.serverTls ? 'tls' : 'tcp';
    client.setNoDelay(true);
    client.on('error', () => {}); // handled by 'close' below; an unhandled 'error' would end the process
    // Until the broker answers nothing is forwarded, but the client is read: a client that hangs up meanwhile (a
    // port probe, a load balancer's TCP health check) is seen at once, not once the broker answers, if ever. Its
    // first read, if it sends anything, waits here and reading pauses: nothing more arrives than can be forwarded.
    const early: Buffer[] = [];
    const onEarlyData = (chunk: Buffer) => {
      early.push(chunk);
      client.pause();
    };
    client.on('data', onEarlyData);

    const upOpts = { host: upstream.host, port: upstream.port, allowHalfOpen: true };
    const broker: net.Socket = this.opts.upstreamTls
      ? tls.connect({
        ...upOpts, ca: this.opts.upstreamTls.ca, rejectUnauthorized: !this.opts.upstreamTls.insecure,
        servername: this.opts.upstreamTls.servername ?? (net.isIP(upstream.host) ? undefined : upstream.host),
      })
      : net.connect(upOpts);
    const connectEvent = this.opts.upstreamTls ? 'secureConnect' : 'connect';
    const timeout = setTimeout(() => broker.destroy(new Error(`no answer within ${this.opts.connectTimeoutMs ?? 10000} ms`)),
      this.opts.connectTimeoutMs ?? 10_000);
    this.live.add(client);
    this.live.add(broker);
    // The address dialled: the one a host name resolved to, else the configured one. A broker that resets right
    // after accepting leaves no peer address to ask the socket for by the time 'connect' is handled.
    let dialled = upstream.host;
    broker.once('lookup', (e: Error | null, address: string) => {
      if (!e) dialled = address;
    });

    let key = 0;
    let reason: string | null = null;
    let ruled: RulesConnection | null = null;
    const number = this.accepted;
    /** Closes both sides now, recording `why` as the reason (unless a reason was already found). */
    const hangUp = (why: string) => {
      reason ??= why;
      client.destroy();
      broker.destroy();
    };
    // A client that hangs up before it sent a byte (a probe) has nothing to wait for: both sides close now. Its
    // end is not passed on to the broker as a half-close, which a broker may leave open until a timer of its own.
    const onEarlyEnd = () => hangUp('client closed');
    client.once('end', onEarlyEnd);
    broker.once(connectEvent, () => {
      clearTimeout(timeout);
      broker.setNoDelay(true);
      client.off('data', onEarlyData);
      client.off('end', onEarlyEnd);
      const brokerAddr = formatAddress(broker.remoteAddress ?? dialled, broker.remotePort ?? upstream.port);
      key = recorder ? recorder.openConnection(clientAddr, brokerAddr, transport) : 0;
      const silentEnd = () => hangUp('client closed');
      if (this.opts.rules?.active) {
        ruled = this.pipeRules(client, broker, clientAddr, number, key, early, silentEnd, (kind, why) => {
          reason ??= why;
          if (kind === 'reset') {
            client.resetAndDestroy();
            broker.resetAndDestroy();
          } else {
            // A FIN each way after what was written; a peer that does not close its side in time is cut.
            client.end();
            broker.end();
            setTimeout(() => hangUp(why), 2000).unref();
          }
        });
        client.resume();
        return;
      }
      if (this.opts.injectable) this.pipeInjectable(client, broker, clientAddr, key, early, silentEnd);
      else this.pipe(client, broker, 'client', key, early, silentEnd);
      this.pipe(broker, client, 'broker', key, [], null);
      client.resume();
    });

    let closedSides = 0;
    const onClose = (side: Direction, sock: net.Socket, other: net.Socket) => (hadError: boolean) => {
      clearTimeout(timeout); // closed while connecting (a client that hung up): no connect timeout to wait for
      this.live.delete(sock);
      if (!reason) reason = this.stopping ? 'proxy stopped' : `${side} ${hadError ? 'reset' : 'closed'}`;
      this.closeInjector(clientAddr, reason);
      ruled?.abort(reason);
      // A reset is mirrored as a reset; an orderly close was already mirrored by end() in pipe().
      if (hadError && !other.destroyed) other.resetAndDestroy();
      if (++closedSides === 2 && recorder) {
        // Closed before the broker answered (a probe, a client that gave up): recorded all the same, with the
        // broker as configured, so that nothing happens on the proxy that the recording does not show.
        if (!key) key = recorder.openConnection(clientAddr, configured, transport);
        recorder.closeConnection(key, reason);
      }
    };
    client.once('close', onClose('client', client, broker));
    broker.once('close', onClose('broker', broker, client));
    broker.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timeout);
      if (key === 0 && !this.stopping) {
        // Never connected: tell the client the way a refused connection would, and record why.
        const message = `upstream ${configured} unreachable: ${e.code ?? e.message}`;
        this.opts.onNotice?.(`${clientAddr}: ${message}`);
        if (recorder) {
          key = recorder.openConnection(clientAddr, configured, transport);
          recorder.event(key, { code: 'upstream-unreachable', severity: 'error', message });
        }
        reason = 'upstream unreachable';
        if (!client.destroyed) client.resetAndDestroy();
      } else if (recorder && key) {
        recorder.event(key, { code: 'connection-error', severity: 'warning', message: `broker side: ${e.code ?? e.message}`, dir: 'broker' });
      }
    });
    client.on('error', (e: NodeJS.ErrnoException) => {
      if (recorder && key) recorder.event(key, { code: 'connection-error', severity: 'warning', message: `client side: ${e.code ?? e.message}`, dir: 'client' });
    });
  }

  /**
   * Client → broker of an injectable proxy: as pipe(), through an injector that may put frames between the
   * client's frames. Injected bytes are recorded in the client stream, marked, where the broker got them.
   */
  private pipeInjectable(client: net.Socket, broker: net.Socket, clientAddr: string, key: number, early: Buffer[], silentEnd: () => void): void {
    const recorder = this.opts.recorder;
    const injector = new ClientInjector((bytes, injected) => {
      if (!broker.write(bytes)) client.pause();
      if (recorder) recorder.data(key, 'client', bytes, injected);
    });
    this.injectors.set(clientAddr, injector);
    let read = 0;
    for (const chunk of early) {
      read += chunk.length;
      injector.forward(chunk);
    }
    client.on('data', (chunk: Buffer) => {
      read += chunk.length;
      injector.forward(chunk);
    });
    broker.on('drain', () => client.resume());
    client.on('end', () => {
      this.closeInjector(clientAddr, 'the client closed its side of the connection');
      if (read === 0) silentEnd();
      else if (!broker.destroyed) broker.end();
    });
  }

  /**
   * Both directions of a connection accepted while the proxy has rules: each read goes through its direction's
   * rules pipe (rules-engine.ts), which writes, queues and records. The client pipe is also the injector.
   */
  private pipeRules(client: net.Socket, broker: net.Socket, clientAddr: string, number: number, key: number, early: Buffer[], silentEnd: () => void,
    terminate: (kind: 'close' | 'reset', why: string) => void): RulesConnection {
    const recorder = this.opts.recorder;
    const sock = { client: broker, broker: client }; // where each direction's bytes go
    const src = { client, broker };
    const c = new RulesConnection(this.opts.rules!, number, clientAddr, {
      write: (dir, bytes) => sock[dir].write(bytes),
      pause: (dir) => src[dir].pause(),
      resume: (dir) => src[dir].resume(),
      record: (dir, bytes, injected, mark) => recorder?.data(key, dir, bytes, injected, mark),
      end: (dir) => {
        if (!sock[dir].destroyed) sock[dir].end();
      },
      terminate,
    });
    if (this.opts.injectable) {
      const pipe = c.pipes.client;
      this.injectors.set(clientAddr, {
        inject: (i) => pipe.injectFrame(i),
        cancel: (i) => pipe.cancelInjection(i),
        close: () => {},
      });
    }
    let read = 0;
    for (const chunk of early) {
      read += chunk.length;
      c.pipes.client.feed(chunk);
    }
    client.on('data', (chunk: Buffer) => {
      read += chunk.length;
      c.pipes.client.feed(chunk);
    });
    broker.on('data', (chunk: Buffer) => c.pipes.broker.feed(chunk));
    // A drained socket resumes its sender, unless that direction's queue is full (rules-engine.ts MAX_QUEUED_BYTES).
    broker.on('drain', () => {
      if (!c.pipes.client.holding) client.resume();
    });
    client.on('drain', () => {
      if (!c.pipes.broker.holding) broker.resume();
    });
    client.on('end', () => {
      this.closeInjector(clientAddr, 'the client closed its side of the connection');
      if (read === 0) silentEnd();
      else c.pipes.client.end();
    });
    broker.on('end', () => c.pipes.broker.end());
    return c;
  }

  private closeInjector(clientAddr: string, reason: string): void {
    const i = this.injectors.get(clientAddr);
    if (!i) return;
    this.injectors.delete(clientAddr);
    i.close(reason);
  }

  /**
   * Forwards src → dst at once; the recorder gets its copy after the write was issued. `early`: what src sent
   * before the pipe existed. `silentEnd`: called instead of passing the half-close on when src ends without having
   * sent a byte (null: always passed on).
   */
  private pipe(src: net.Socket, dst: net.Socket, dir: Direction, key: number, early: Buffer[], silentEnd: (() => void) | null): void {
    const recorder = this.opts.recorder;
    const plain = !(dst instanceof tls.TLSSocket);
    let read = 0;
    const forward = (chunk: Buffer) => {
      read += chunk.length;
      if (!dst.write(chunk)) src.pause();
      // Written through to the kernel already (nothing queued on a plain TCP dst, so neither the stream nor a
      // pending native write refers to the chunk): the recorder may take the read's memory instead of copying it.
      if (recorder) recorder.data(key, dir, chunk, false, null, plain && dst.writableLength === 0);
    };
    for (const chunk of early) forward(chunk);
    src.on('data', forward);
    dst.on('drain', () => src.resume());
    // Half-close is mirrored: the peer that stopped sending lets the other side finish.
    src.on('end', () => {
      if (read === 0 && silentEnd) silentEnd();
      else if (!dst.destroyed) dst.end();
    });
  }
}
