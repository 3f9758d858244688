// `stompscope proxy --upstream wss://…` through the CLI: TLS to a real WebSocket server (the `ws` package's
// server on HTTPS with a throwaway certificate, answering STOMP) while the client speaks plain ws:// to the
// proxy; the connection is recorded as websocket+tls. And the URL's usage errors.
import { Client, type IStompSocket } from '@stomp/stompjs';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ProxyManager } from '../../src-main/core/jobs/proxies.js';
import { makeCert } from '../support/fake-broker.js';
import { readJsonl, runCli, startProxy, type ConnectionRow, type JsonlFrame } from '../support/proxy-cli.js';

describe('proxy --upstream wss://', () => {
  let dir = '';
  let server: https.Server;
  let wss: WebSocketServer;
  let certFile = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-wss-'));
    const { cert, key } = makeCert(dir);
    certFile = path.join(dir, 'test-cert.pem');
    server = https.createServer({ cert, key });
    // A STOMP peer over WebSocket that picks v12.stomp: CONNECTED, a MESSAGE for each SEND, RECEIPTs.
    wss = new WebSocketServer({ server, path: '/stomp', handleProtocols: (p) => (p.has('v12.stomp') ? 'v12.stomp' : false) });
    wss.on('connection', (sock) => {
      let sub = '';
      sock.on('message', (data) => {
        for (const f of data.toString().split('\0').filter((x) => x.trim())) {
          const [head, body = ''] = f.replace(/^\n+/, '').split('\n\n');
          const [command, ...lines] = head.split('\n');
          const h = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
          if (command === 'CONNECT' || command === 'STOMP') sock.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
          if (command === 'SUBSCRIBE') sub = h.id;
          if (command === 'SEND') sock.send(`MESSAGE\ndestination:${h.destination}\nsubscription:${sub}\nmessage-id:1\n\n${body}\0`);
          if (h.receipt) sock.send(`RECEIPT\nreceipt-id:${h.receipt}\n\n\0`);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    wss?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records STOMP over WebSocket over TLS as websocket+tls', async () => {
    const db = path.join(dir, 's.db');
    const port = (server.address() as { port: number }).port;
    const proxy = await startProxy({ upstream: `wss://127.0.0.1:${port}/stomp`, db, name: 'wss', extraArgs: ['--ca', certFile, '--quiet'] });
    try {
      let got!: (b: string) => void;
      const message = new Promise<string>((r) => (got = r));
      const client = new Client({
        webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${proxy.port}/stomp`, ['v12.stomp']) as unknown as IStompSocket,
        heartbeatIncoming: 0, heartbeatOutgoing: 0, reconnectDelay: 0, debug: () => {},
      });
      client.onConnect = () => {
        client.subscribe('/queue/tls', (m) => got(m.body));
        client.publish({ destination: '/queue/tls', body: 'over wss' });
      };
      client.activate();
      const body = await Promise.race([message, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no MESSAGE')), 10_000))]);
      expect(body).toBe('over wss');
      await client.deactivate();
    } finally {
      const exit = await proxy.stop(20_000);
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).toMatch(/upstream wss:\/\/127\.0\.0\.1:\d+\/stomp \(TLS\)/);
    }
    const conns = await readJsonl<ConnectionRow & { transport: string; handshake: { subprotocol: string; request: { target: string } } }>(['connections', '--db', db]);
    expect(conns.map((c) => c.transport)).toEqual(['websocket+tls']);
    expect(conns[0].handshake).toMatchObject({ subprotocol: 'v12.stomp', request: { target: '/stomp' } });
    const frames = await readJsonl<JsonlFrame>(['frames', '--db', db]);
    expect(frames.map((f) => `${f.from} ${f.command}`)).toEqual(expect.arrayContaining(['client CONNECT', 'broker CONNECTED', 'client SEND', 'broker MESSAGE']));
    const human = await runCli(['connections', '--db', db]);
    expect(human.stdout).toMatch(/ websocket\+tls \/stomp v12\.stomp {2}STOMP 1\.2 /);
  });

  it('refuses a bad WebSocket URL in one line, with status 2', async () => {
    for (const [args, message] of [
      [['--upstream', 'ws://host:99999/x'], /--upstream: port 99999 is out of range/],
      [['--upstream', 'ws://host/x', '--upstream-tls'], /write wss:\/\/ for TLS/],
      [['--upstream', 'ws://'], /--upstream: expected ws:\/\/HOST\[:PORT\]\/PATH/],
    ] as const) {
      const r = await runCli(['proxy', ...args, '--db', path.join(dir, 'x.db')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('the UI\'s proxies take the same URL (core ProxyManager): ws:// and wss:// upstreams, a bad one refused', async () => {
    const m = new ProxyManager(path.join(dir, 'ui.db'), () => {});
    try {
      const port = (server.address() as { port: number }).port;
      const p = await m.start({ listen: '127.0.0.1:0', upstream: `wss://127.0.0.1:${port}/stomp`, insecure: true });
      expect(p).toMatchObject({ upstream: `wss://127.0.0.1:${port}/stomp`, upstreamTls: true });
      await expect(m.start({ listen: '127.0.0.1:0', upstream: 'ws://127.0.0.1:0/x' })).rejects.toThrow(/upstream: port 0 is out of range/);
    } finally {
      await m.stopAll();
    }
  });
});
