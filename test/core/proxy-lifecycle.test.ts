// The proxy's connection lifecycle at its edges: clients that hang up before saying anything (port probes, load
// balancers' and Kubernetes' TCP health checks), and a broker that resets right after accepting. The proxy and its
// recorder run in this process, so that their open sockets can be counted.
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmpDb(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-life-'));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return path.join(d, 'life.db');
}

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface ConnRow { client: string; broker: string; closed: number | null; close_reason: string | null }

/** The connections recorded so far (read while the recorder writes). */
function connections(db: string): ConnRow[] {
  if (!fs.existsSync(db)) return [];
  const d = openDb(db, { readonly: true });
  try {
    return d.prepare(`SELECT client, broker, closed, close_reason FROM connections ORDER BY id`).all() as ConnRow[];
  } finally {
    d.close();
  }
}

async function startProxy(upstream: { host: string; port: number }) {
  const db = tmpDb();
  const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'lifecycle' });
  const proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream, recorder });
  cleanup.push(async () => {
    await proxy.stop();
    await recorder.end();
  });
  return { db, proxy, recorder };
}

/**
 * Connects and hangs up at once, as `nc -z` does; resolves once the proxy closed its side too (the socket is then
 * fully closed here), or after 10 s (the proxy then kept it open: the checks below say so).
 */
function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: false }, () => s.end());
    const t = setTimeout(() => {
      s.destroy();
      resolve();
    }, 10_000);
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
    s.resume();
  });
}

const PROBES = 5;

describe('clients that hang up before saying anything', () => {
  const rabbit = inject('rabbitmq');

  it.skipIf(!rabbit)(`${PROBES} probes in front of RabbitMQ are ${PROBES} connections recorded closed by the client, and no socket stays open`, async () => {
    const { db, proxy } = await startProxy({ host: rabbit!.host, port: rabbit!.stompPort });
    await Promise.all(Array.from({ length: PROBES }, () => probe(proxy.address.port)));
    await waitFor(() => connections(db).filter((c) => c.closed !== null).length === PROBES && proxy.connections === 0,
      `${PROBES} connections recorded closed (now: ${JSON.stringify(connections(db))}, ${proxy.connections} open in the proxy)`);
    expect(connections(db).map((c) => c.close_reason)).toEqual(Array(PROBES).fill('client closed'));
  }, 60_000);

  it(`${PROBES} probes in front of a broker that never closes on its own are closed on both sides at once`, async () => {
    // Accepts and waits, as a broker does for a CONNECT (until a timer of its own, not relied on here).
    const accepted: net.Socket[] = [];
    const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
      accepted.push(s);
      s.on('error', () => {});
      s.resume();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cleanup.push(() => {
      for (const s of accepted) s.destroy();
      return new Promise((r) => upstream.close(r));
    });
    const { db, proxy } = await startProxy({ host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port });
    await Promise.all(Array.from({ length: PROBES }, () => probe(proxy.address.port)));
    await waitFor(() => connections(db).filter((c) => c.closed !== null).length === PROBES && proxy.connections === 0,
      `${PROBES} connections recorded closed (now: ${JSON.stringify(connections(db))}, ${proxy.connections} open in the proxy)`);
    expect(connections(db).map((c) => c.close_reason)).toEqual(Array(PROBES).fill('client closed'));
    // The broker side of each was closed by the proxy, not left half-open.
    await waitFor(() => accepted.length === PROBES && accepted.every((s) => s.readableEnded), 'the broker side of every probe to be closed');
  }, 60_000);
});

describe('a broker that resets right after accepting', () => {
  it('is recorded with the address that was dialled', async () => {
    // The broker runs on its own thread, so that it can reset the connection while this thread is held inside
    // the proxy's 'connect' handling (below): the race users hit now and then, made certain. flag[0]: this thread
    // is inside 'connect' (the connection is established); flag[1]: the broker has reset it.
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const broker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const net = require('node:net');
      const flag = new Int32Array(workerData);
      const srv = net.createServer((s) => {
        s.on('error', () => {});
        Atomics.wait(flag, 0, 0, 5000);
        s.resetAndDestroy(); // SO_LINGER 0: an RST, not a FIN
        Atomics.store(flag, 1, 1);
        Atomics.notify(flag, 1);
      });
      srv.listen(0, '127.0.0.1', () => parentPort.postMessage(srv.address().port));
      parentPort.on('message', () => srv.close(() => parentPort.close()));
    `, { eval: true, workerData: flag.buffer });
    cleanup.push(() => broker.terminate());
    const port = await new Promise<number>((r) => broker.once('message', r));

    // The proxy's upstream socket: before the proxy's own 'connect' listener runs, let the broker reset it and
    // wait until it has, then a moment for the reset to land.
    const connect = net.connect;
    vi.spyOn(net, 'connect').mockImplementation(((...args: Parameters<typeof net.connect>) => {
      const s = connect.apply(net, args);
      if ((args[0] as unknown as { port?: number }).port === port) {
        s.prependOnceListener('connect', () => {
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
          Atomics.wait(flag, 1, 0, 5000);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        });
      }
      return s;
    }) as typeof net.connect);

    const { db, proxy } = await startProxy({ host: '127.0.0.1', port });
    const c = net.connect({ host: '127.0.0.1', port: proxy.address.port });
    c.on('error', () => {});
    await waitFor(() => connections(db).some((r) => r.closed !== null), 'the connection to be recorded closed');
    c.destroy();
    expect(Atomics.load(flag, 1), 'the broker reset the connection').toBe(1);
    expect(connections(db)).toEqual([expect.objectContaining({ broker: `127.0.0.1:${port}`, close_reason: 'broker reset' })]);
  });
});
