// TLS on either side of the proxy, and IPv6 loopback: frames are decoded inside TLS, and addresses are
// recorded as the contract says ("[addr]:port" for IPv6). The broker here is a fake TLS peer: no broker in
// Debian's packages is set up for TLS on loopback without configuration a test would have to write anyway.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { frameJson } from '../../src-main/core/read/frame-json.js';
import { CONNECTED, converse, fakeBroker, makeCert, MESSAGE } from '../support/fake-broker.js';

let dir: string;
let cert: string;
let key: string;
const cleanups: Array<() => unknown> = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-tls-'));
  ({ cert, key } = makeCert(dir));
  return () => fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  cleanups.push(() => new Promise((r) => server.close(r)));
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)));
}

async function recorded(db: string) {
  const reader = new StoreReader(openDb(db, { readonly: true }));
  const conn = reader.connections()[0];
  const frames = [...reader.frames()].map((f) => frameJson(reader, f, conn));
  reader.close();
  return { conn, frames };
}

describe('TLS and IPv6', () => {
  it('reaches a TLS broker and accepts TLS clients, decoding the frames inside', async () => {
    const brokerPort = await listen(tls.createServer({ cert, key }, fakeBroker));
    const db = path.join(dir, 'tls.db');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'tls' });
    const proxy = await StompProxy.start({
      listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: brokerPort }, recorder,
      upstreamTls: { ca: cert }, serverTls: { cert, key },
    });
    const client = tls.connect({ host: '127.0.0.1', port: proxy.address.port, ca: cert });
    await new Promise((r) => client.once('secureConnect', r));
    const got = await converse(client);
    expect(got).toBe(CONNECTED + MESSAGE);
    await new Promise((r) => setTimeout(r, 100));
    await proxy.stop();
    await recorder.end();
    const { conn, frames } = await recorded(db);
    expect(conn.transport).toBe('tls');
    // The client sends SUBSCRIBE without waiting for CONNECTED, so only each direction's order is fixed.
    expect(frames.filter((f) => f.from === 'client').map((f) => f.command)).toEqual(['CONNECT', 'SUBSCRIBE']);
    expect(frames.filter((f) => f.from === 'broker').map((f) => f.command)).toEqual(['CONNECTED', 'MESSAGE']);
    expect(frames.find((f) => f.command === 'MESSAGE')!.body).toBe('secret payload');
  });

  it('refuses a broker whose certificate it cannot verify, unless told --insecure', async () => {
    const brokerPort = await listen(tls.createServer({ cert, key }, fakeBroker));
    const notices: string[] = [];
    const strict = await StompProxy.start({
      listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: brokerPort }, recorder: null,
      upstreamTls: {}, onNotice: (m) => notices.push(m),
    });
    cleanups.push(() => strict.stop());
    const c1 = net.connect(strict.address.port, '127.0.0.1');
    c1.on('error', () => {});
    await new Promise((r) => c1.once('close', r));
    expect(notices.join('\n')).toMatch(/unreachable: .*(SELF_SIGNED|self-signed|DEPTH_ZERO)/i);

    const insecure = await StompProxy.start({
      listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: brokerPort }, recorder: null,
      upstreamTls: { insecure: true },
    });
    cleanups.push(() => insecure.stop());
    const c2 = net.connect(insecure.address.port, '127.0.0.1');
    await new Promise((r) => c2.once('connect', r));
    expect(await converse(c2)).toBe(CONNECTED + MESSAGE);
  });

  it('listens and connects on IPv6 loopback, recording [addr]:port', async () => {
    const brokerPort = await listen(net.createServer(fakeBroker), '::1');
    const db = path.join(dir, 'v6.db');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'v6' });
    const proxy = await StompProxy.start({ listen: { host: '::1', port: 0 }, upstream: { host: '::1', port: brokerPort }, recorder });
    const client = net.connect(proxy.address.port, '::1');
    await new Promise((r) => client.once('connect', r));
    expect(await converse(client)).toBe(CONNECTED + MESSAGE);
    await new Promise((r) => setTimeout(r, 100));
    await proxy.stop();
    await recorder.end();
    const { conn } = await recorded(db);
    expect(conn.client).toMatch(/^\[::1\]:\d+$/);
    expect(conn.broker).toBe(`[::1]:${brokerPort}`);
  });

  it('records hundreds of concurrent connections, each whole', async () => {
    const brokerPort = await listen(net.createServer(fakeBroker));
    const db = path.join(dir, 'many.db');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'many' });
    const proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: brokerPort }, recorder });
    const n = 300;
    const answers = await Promise.all(Array.from({ length: n }, async () => {
      const c = net.connect(proxy.address.port, '127.0.0.1');
      await new Promise((r) => c.once('connect', r));
      return converse(c);
    }));
    expect(answers.every((a) => a === CONNECTED + MESSAGE)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    await proxy.stop();
    const summary = await recorder.end();
    expect(summary).toMatchObject({ connections: n, frames: 4 * n, issues: 0 });
  });
});
