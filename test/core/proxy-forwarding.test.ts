// The proxy's forwarding guarantees, with fake peers on loopback: these are about TCP behaviour (slow readers,
// half-close, resets, refused upstreams) that a real broker cannot be made to produce on demand.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { tmpDb } from '../support/tmp-db.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function server(onSocket: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, onSocket);
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
}

async function proxyTo(port: number): Promise<StompProxy> {
  const p = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port }, recorder: null });
  cleanups.push(() => p.stop());
  return p;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => s.destroy());
  });
}

function collect(s: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (d) => parts.push(d));
  return new Promise((resolve) => s.once('end', () => resolve(Buffer.concat(parts))));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('proxy forwarding', () => {
  it('forwards bytes unchanged both ways and mirrors half-close', async () => {
    const fromClient = randomBytes(3 * 1024 * 1024);
    const fromBroker = randomBytes(2 * 1024 * 1024 + 17);
    let brokerGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const port = await server((s) => {
      brokerGot = collect(s);
      s.end(fromBroker);
    });
    const proxy = await proxyTo(port);
    const c = await connect(proxy.address.port);
    const clientGot = collect(c);
    // Write in odd-sized pieces: framing must not matter to forwarding.
    for (let off = 0; off < fromClient.length; off += 7919) c.write(fromClient.subarray(off, off + 7919));
    c.end();
    expect(sha(await clientGot)).toBe(sha(fromBroker));
    expect(sha(await brokerGot)).toBe(sha(fromClient));
  });

  it('lets the broker keep sending after the client half-closed', async () => {
    const port = await server((s) => {
      s.on('end', () => {
        // The client said it has nothing more to send; the broker still answers.
        s.end('RECEIPT\nreceipt-id:77\n\n\0');
      });
      s.resume();
    });
    const proxy = await proxyTo(port);
    const c = await connect(proxy.address.port);
    const got = collect(c);
    c.end('DISCONNECT\nreceipt:77\n\n\0');
    expect((await got).toString()).toBe('RECEIPT\nreceipt-id:77\n\n\0');
  });

  it('does not buffer without bound when the client reads slowly', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let brokerSock: net.Socket | null = null;
    const port = await server((s) => {
      brokerSock = s;
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const proxy = await proxyTo(port);
    const c = await connect(proxy.address.port);
    c.pause();
    // The client reads nothing for a while: the broker must be held back by backpressure through the proxy.
    await new Promise((r) => setTimeout(r, 500));
    const heldBack = written;
    expect(brokerSock).not.toBeNull();
    expect(heldBack).toBeLessThan(total / 2);
    // Then the client reads everything, and nothing is lost.
    let got = 0;
    c.on('data', (d) => (got += d.length));
    c.resume();
    await new Promise((r) => c.once('end', r));
    expect(got).toBe(total);
  });

  it('forwards and records every byte exactly while the broker reads slowly (reads queued behind a full socket, and reads written through)', async () => {
    // 16 MiB of SEND frames with 64 KiB bodies of a fixed pattern (no random data: the test must not depend on
    // it), sent in 64 KiB writes.
    const body = Buffer.alloc(65_536);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 9)) & 0xff;
    const frame = Buffer.concat([Buffer.from(`SEND\ndestination:/queue/slow\ncontent-length:${body.length}\n\n`), body, Buffer.from('\0')]);
    const data = Buffer.concat(Array.from({ length: Math.ceil((16 << 20) / frame.length) }, () => frame));
    let brokerGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    let brokerSocket: net.Socket | null = null;
    const port = await server((s) => {
      brokerSocket = s;
      // Reads nothing at first: the proxy's writes to it queue up meanwhile.
      s.pause();
      brokerGot = collect(s);
      s.pause();
      s.once('end', () => s.end());
    });
    const db = tmpDb('stompscope-fwd-');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'slow broker' });
    const p = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port }, recorder });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : p.stop()));
    cleanups.push(() => recorder.end());
    const c = await connect(p.address.port);
    for (let off = 0; off < data.length; off += 65_536) c.write(data.subarray(off, off + 65_536));
    // Meanwhile the path fills up (a few MiB of socket buffers on loopback), and the proxy's writes to the broker
    // queue behind it. Only how much of the test runs queued depends on this wait, never its outcome.
    await new Promise((r) => setTimeout(r, 300));
    brokerSocket!.resume();
    c.end();
    expect(sha(await brokerGot)).toBe(sha(data));
    stopped = true;
    await p.stop();
    await recorder.end();
    const reader = new StoreReader(openDb(db, { readonly: true }));
    const [conn] = reader.connections();
    expect(sha(reader.readBytes(conn.id, 'client', 0, data.length) ?? Buffer.alloc(0))).toBe(sha(data));
  });

  it('mirrors a reset from the client to the broker', async () => {
    let brokerClosed: Promise<string> = Promise.resolve('');
    const port = await server((s) => {
      brokerClosed = new Promise((resolve) => {
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        s.on('end', () => resolve('end'));
      });
      s.resume();
    });
    const proxy = await proxyTo(port);
    const c = await connect(proxy.address.port);
    c.write('CONNECT\naccept-version:1.2\n\n\0');
    await new Promise((r) => setTimeout(r, 100));
    c.resetAndDestroy();
    expect(await brokerClosed).toBe('ECONNRESET');
  });

  it('closes a client whose upstream is unreachable and keeps serving others', async () => {
    // A port that was just free: nothing listens there.
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: free }, recorder: null });
    cleanups.push(() => proxy.stop());
    for (let i = 0; i < 3; i++) {
      const c = await connect(proxy.address.port);
      const closed = await new Promise<string>((resolve) => {
        c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        c.on('close', () => resolve('close'));
        c.resume();
      });
      expect(['ECONNRESET', 'close']).toContain(closed);
    }
    expect(proxy.accepted).toBe(3);
  });

  it('serves hundreds of concurrent connections', async () => {
    const port = await server((s) => s.pipe(s));
    const proxy = await proxyTo(port);
    const n = 300;
    const results = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const c = await connect(proxy.address.port);
      const got = collect(c);
      c.end(`SEND\ndestination:/queue/${i}\n\nmessage ${i}\0`);
      return (await got).toString();
    }));
    results.forEach((r, i) => expect(r).toBe(`SEND\ndestination:/queue/${i}\n\nmessage ${i}\0`));
  });
});
