// A tiny recording TCP relay: listens on 127.0.0.1, connects each accepted socket to an upstream, forwards
// bytes both ways unchanged (with backpressure and half-close), and keeps every byte it forwarded.
//
// Why: to prove the proxy forwards bytes unchanged, put one tee on each side of it,
//     client → tee A → proxy → tee B → broker
// Tee A sees exactly what the client sent and received; tee B exactly what the broker received and sent.
// Byte identity is then A.clientToServer == B.clientToServer and B.serverToClient == A.serverToClient. The tees
// are a few lines of plain net code with no STOMP knowledge, so they are trustworthy witnesses; the clients'
// own byte counts and SHA-256 of their socket traffic cross-check tee A.
import net from 'node:net';

export interface TeeConnection {
  index: number;
  /** Client-side peer port (as seen by the tee). */
  clientPort: number;
  clientToServer: Buffer[];
  serverToClient: Buffer[];
  /** Resolves when both sockets are closed. */
  closed: Promise<void>;
  c2s(): Buffer;
  s2c(): Buffer;
  /**
   * From now on, drop client→server bytes (neither forwarded nor recorded; a half-close still goes through): a
   * link that loses one way, for faults that need a broker that never hears a frame.
   */
  dropClientToServer(): void;
  /** From now on, drop server→client bytes the same way: a broker that falls silent, as its peer sees it. */
  dropServerToClient(): void;
}

export interface Tee {
  host: string;
  port: number;
  connections: TeeConnection[];
  close(): Promise<void>;
}

function pump(from: net.Socket, to: net.Socket, record: Buffer[], held: () => boolean = () => false) {
  from.on('data', (d: Buffer) => {
    if (held()) return;
    record.push(Buffer.from(d));
    if (!to.write(d)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
}

export async function startTee(upstreamHost: string, upstreamPort: number): Promise<Tee> {
  const connections: TeeConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = net.connect({ host: upstreamHost, port: upstreamPort, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    let open = 2;
    let held = false;
    let heldBack = false;
    let done!: () => void;
    const conn: TeeConnection = {
      index: connections.length,
      clientPort: client.remotePort ?? 0,
      clientToServer: [],
      serverToClient: [],
      closed: new Promise<void>((r) => (done = r)),
      c2s: () => Buffer.concat(conn.clientToServer),
      s2c: () => Buffer.concat(conn.serverToClient),
      dropClientToServer: () => {
        held = true;
      },
      dropServerToClient: () => {
        heldBack = true;
      },
    };
    connections.push(conn);
    const onClose = (s: net.Socket) => () => {
      sockets.delete(s);
      if (--open === 0) done();
    };
    client.on('close', onClose(client));
    upstream.on('close', onClose(upstream));
    // An error or reset on one side tears down the other (like a real peer would see).
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', (hadError) => hadError && upstream.destroy());
    upstream.on('close', (hadError) => hadError && client.destroy());
    pump(client, upstream, conn.clientToServer, () => held);
    pump(upstream, client, conn.serverToClient, () => heldBack);
    upstream.once('connect', () => client.resume());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** First differing byte offset of two buffers, or -1 when equal. For readable failure messages. */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
