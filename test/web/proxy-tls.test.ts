// Starting a proxy from the UI with the CLI's TLS options: the page sends the PEM text of the files the user
// picked (never a path) in `proxy.start`, over the web host's WebSocket as it would over Electron's IPC. The
// broker is a fake TLS peer with a throwaway openssl certificate (as in test/core/proxy-tls-ipv6.test.ts).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_PEM_LENGTH, pemProblem, type ConnectionDto, type FrameRowDto, type ProxyDto, type SessionSummaryDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { startWebHost, type WebHost } from '../../src-main/web/server.js';
import { buildRenderer } from '../support/renderer-build.js';
import { CONNECTED, converse, fakeBroker, makeCert, MESSAGE } from '../support/fake-broker.js';

describe('proxy.start with TLS options, from the page', () => {
  let dir = '';
  let core: Core;
  let host: WebHost;
  let ws: WebSocket;
  let broker: tls.Server;
  let brokerPort = 0;
  let pair: { cert: string; key: string };
  let other: { cert: string; key: string };
  let nextId = 1;

  /** One command over the WebSocket, the way the page's transport sends it. */
  function call(cmd: string, args: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${cmd}`)), 10_000);
      const on = (data: WebSocket.RawData) => {
        const m = JSON.parse(String(data));
        if (m.id !== id) return;
        clearTimeout(t);
        ws.off('message', on);
        resolve(m);
      };
      ws.on('message', on);
      ws.send(JSON.stringify({ id, cmd, args }));
    });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-ui-tls-'));
    pair = makeCert(dir, 'broker');
    other = makeCert(dir, 'other');
    broker = tls.createServer({ cert: pair.cert, key: pair.key }, fakeBroker);
    brokerPort = await new Promise((r) => broker.listen(0, '127.0.0.1', () => r((broker.address() as net.AddressInfo).port)));
    core = Core.open(path.join(dir, 'tls.db'));
    host = await startWebHost({ core, rendererDir: await buildRenderer() });
    ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { headers: { Origin: `http://127.0.0.1:${host.port}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  });
  afterAll(async () => {
    ws?.close();
    await host?.close();
    await core?.close();
    await new Promise((r) => broker?.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the picked CA towards the broker and accepts TLS clients with the picked certificate and key', async () => {
    const r = await call('proxy.start', {
      listen: '127.0.0.1:0', upstream: `127.0.0.1:${brokerPort}`, name: 'tls both ways',
      upstreamTls: true, ca: pair.cert, tlsCert: pair.cert, tlsKey: pair.key,
    });
    expect(r.error).toBeUndefined();
    const p = r.result as ProxyDto;
    expect(p).toMatchObject({ upstreamTls: true, clientTls: true, upstream: `127.0.0.1:${brokerPort}` });
    expect((await call('proxy.list', {})).result).toEqual([expect.objectContaining({ session: p.session, clientTls: true, upstreamTls: true })]);

    const port = Number(/:(\d+)$/.exec(p.listen)![1]);
    const client = tls.connect({ host: '127.0.0.1', port, ca: pair.cert });
    await new Promise((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
    expect(await converse(client)).toBe(CONNECTED + MESSAGE);

    expect((await call('proxy.stop', { session: p.session })).result).toEqual({ stopped: true });
    const conns = (await call('connections.list', { session: p.session })).result as ConnectionDto[];
    expect(conns.map((c) => c.transport)).toEqual(['tls']);
    const rows = (await call('frames.page', { session: p.session, after: 0, limit: 10 })).result as FrameRowDto[];
    expect(rows.filter((f) => f.from === 'broker').map((f) => f.command)).toEqual(['CONNECTED', 'MESSAGE']);
  });

  it('really uses the CA it was given: another CA refuses the broker, "accept any certificate" reaches it', async () => {
    const strict = (await call('proxy.start', { listen: '0', upstream: `127.0.0.1:${brokerPort}`, upstreamTls: true, ca: other.cert })).result as ProxyDto;
    const c1 = net.connect(Number(/:(\d+)$/.exec(strict.listen)![1]), '127.0.0.1');
    expect(await converse(c1)).toBe('');
    await call('proxy.stop', { session: strict.session });
    const rows = (await call('frames.page', { session: strict.session, after: 0, limit: 10 })).result as FrameRowDto[];
    expect(rows.map((f) => f.command)).not.toContain('CONNECTED');

    const loose = (await call('proxy.start', { listen: '0', upstream: `127.0.0.1:${brokerPort}`, upstreamTls: true, insecure: true })).result as ProxyDto;
    expect(loose).toMatchObject({ upstreamTls: true, clientTls: false });
    const c2 = net.connect(Number(/:(\d+)$/.exec(loose.listen)![1]), '127.0.0.1');
    expect(await converse(c2)).toBe(CONNECTED + MESSAGE);
    await call('proxy.stop', { session: loose.session });
  });

  it('refuses what is not usable PEM, or options that do not go together, before creating a session', async () => {
    const before = ((await call('sessions.list', {})).result as SessionSummaryDto[]).length;
    const base = { listen: '0', upstream: `127.0.0.1:${brokerPort}` };
    const refused = async (args: Record<string, unknown>, message: RegExp) => {
      const r = await call('proxy.start', { ...base, ...args });
      expect(r.ok).toBe(false);
      expect(r.error).toMatchObject({ code: 'bad-request' });
      expect(r.error!.message).toMatch(message);
    };
    await refused({ upstreamTls: true, ca: '/etc/ssl/certs/ca-certificates.crt' }, /CA file is not PEM/);
    await refused({ upstreamTls: true, ca: 42 }, /'ca' must be a string/);
    await refused({ upstreamTls: true, ca: pair.key }, /CA file holds no CERTIFICATE block \(found PRIVATE KEY\)/);
    await refused({ upstreamTls: true, ca: pair.cert + ' '.repeat(MAX_PEM_LENGTH) }, /at most 262144 characters/);
    await refused({ ca: pair.cert }, /needs TLS to the broker/);
    await refused({ insecure: true }, /needs TLS to the broker/);
    await refused({ tlsCert: pair.cert }, /go together/);
    await refused({ tlsCert: pair.cert, tlsKey: pair.cert }, /key file holds no PRIVATE KEY/);
    // PEM armour around garbage, and a certificate that is not the key's: OpenSSL's reasons, not "cannot listen".
    await refused({ upstreamTls: true, ca: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n' }, /^the CA file: /);
    await refused({ tlsCert: other.cert, tlsKey: pair.key }, /certificate and key for clients: .*(mismatch|KEY_VALUES)/i);
    expect(((await call('sessions.list', {})).result as SessionSummaryDto[]).length).toBe(before);
  });

  it('checks PEM armour without backtracking on hostile text', () => {
    const hostile = '-----BEGIN CERTIFICATE-----'.repeat(Math.floor(MAX_PEM_LENGTH / 28));
    const t = performance.now();
    expect(pemProblem(hostile, 'certificate')).toMatch(/is not PEM/);
    expect(performance.now() - t).toBeLessThan(500);
    expect(pemProblem(pair.cert, 'certificate')).toBeNull();
    expect(pemProblem(pair.key, 'key')).toBeNull();
  });
});
