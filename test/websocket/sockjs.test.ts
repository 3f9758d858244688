// SockJS through the recording proxy: a real SockJS server (the `sockjs` npm package, the server half of
// sockjs-client) with a small STOMP-speaking peer behind it, and clients speaking its three ways:
// - SockJS framing over WebSocket (/prefix/server/session/websocket): o, h, a[...], c[...] from the server, JSON
//   arrays of strings from the client; StompScope unwraps the STOMP inside;
// - the raw WebSocket endpoint (/prefix/websocket): STOMP straight in the messages (stompjs over `ws`);
// - XHR polling (/prefix/server/session/xhr): reported as a transport StompScope does not decode.
import { Client, type IStompSocket } from '@stomp/stompjs';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sockjs, { type Connection } from 'sockjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { connectionJson, frameJson } from '../../src-main/core/read/frame-json.js';
import { within } from '../support/checks.js';
import { once } from '../support/once.js';

/** A STOMP peer that needs no broker: CONNECTED, MESSAGE for each SEND to a subscribed destination, RECEIPT. */
function stompPeer(conn: Connection, closeAfterReceipt: boolean): void {
  const subs = new Map<string, string>(); // destination -> subscription id
  let n = 0;
  let pending = ''; // a frame may come across several SockJS messages
  conn.on('data', (data: string) => {
    const parts = (pending + data).split('\0');
    pending = parts.pop()!;
    for (const raw of parts) {
      const text = raw.replace(/^\n+/, '');
      if (!text) continue;
      const [head, body = ''] = text.split('\n\n');
      const [command, ...lines] = head.split('\n');
      const h = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
      if (command === 'CONNECT' || command === 'STOMP') conn.write('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
      else if (command === 'SUBSCRIBE') subs.set(h.destination, h.id);
      else if (command === 'SEND' && subs.has(h.destination)) {
        conn.write(`MESSAGE\ndestination:${h.destination}\nsubscription:${subs.get(h.destination)}\nmessage-id:m-${++n}\n\n${body}\0`);
      }
      if (h.receipt) {
        conn.write(`RECEIPT\nreceipt-id:${h.receipt}\n\n\0`);
        if (command === 'DISCONNECT' && closeAfterReceipt) conn.close(3000, 'Go away!');
      }
    }
  });
}

describe('SockJS through the proxy (sockjs npm server)', () => {
  let dir = '';
  let db = '';
  let server: http.Server;
  let recorder: Recorder;
  let proxy: StompProxy;
  let base = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sockjs-'));
    db = path.join(dir, 's.db');
    const sj = sockjs.createServer({ prefix: '/stomp', heartbeat_delay: 150, log: () => {} });
    sj.on('connection', (conn) => stompPeer(conn, true));
    server = http.createServer();
    sj.installHandlers(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'sockjs', batchMs: 20 });
    const port = (server.address() as { port: number }).port;
    proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port }, recorder });
    base = `127.0.0.1:${proxy.address.port}`;
  });

  afterAll(async () => {
    await proxy?.stop();
    await recorder?.end();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Each exchange is a step done once: its own test checks what the client saw, and the recording test awaits all
  // three (in this order, the order of the recorded connections) before it stops the proxy, so each test runs alone.
  const framed = once(async () => {
    const ws = new WebSocket(`ws://${base}/stomp/123/abcdefgh/websocket`);
    const got: string[] = [];
    let pings = 0;
    // sockjs-node keeps a WebSocket session alive with WebSocket pings (its "h" frames are for the other transports).
    ws.on('ping', () => {
      if (++pings === 1) ws.send(JSON.stringify(['DISCONNECT\nreceipt:bye\n\n\0']));
    });
    const closed = new Promise<{ code: number }>((resolve) => ws.on('close', (code) => resolve({ code })));
    ws.on('message', (m: Buffer) => {
      const t = m.toString();
      got.push(t);
      if (t === 'o') ws.send(JSON.stringify(['CONNECT\naccept-version:1.2\nhost:/\n\n\0']));
      else if (t.startsWith('a') && t.includes('CONNECTED')) {
        // Two frames in one SockJS message, and one frame across two strings of the next.
        ws.send(JSON.stringify(['SUBSCRIBE\nid:0\ndestination:/queue/sj\n\n\0', 'SEND\ndestination:/queue/sj\n\nhello ']));
        ws.send(JSON.stringify(['sockjs é\0']));
      }
    });
    const { code } = await within(closed, 10_000, 'SockJS session end').catch((e: Error) => {
      throw new Error(`${e.message}; the client got ${JSON.stringify(got)}`);
    });
    return { code, got };
  });
  const raw = once(async () => {
    let resolveMsg!: (body: string) => void;
    const message = new Promise<string>((r) => (resolveMsg = r));
    const client = new Client({
      webSocketFactory: () => new WebSocket(`ws://${base}/stomp/websocket`) as unknown as IStompSocket,
      heartbeatIncoming: 0, heartbeatOutgoing: 0, reconnectDelay: 0, debug: () => {},
    });
    client.onConnect = () => {
      client.subscribe('/queue/raw', (m) => resolveMsg(m.body));
      client.publish({ destination: '/queue/raw', body: 'raw endpoint' });
    };
    client.activate();
    try {
      return await within(message, 10_000, 'MESSAGE over the raw endpoint');
    } finally {
      await client.deactivate();
    }
  });
  const xhr = once(() => new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.address.port, method: 'POST', path: '/stomp/123/xyz12345/xhr', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  }));
  const recorded = once(async () => {
    await framed();
    await raw();
    await xhr();
    await proxy.stop();
    await recorder.end();
  });

  it('SockJS framing over WebSocket: the client gets its MESSAGE and RECEIPT through the proxy', async () => {
    const { code, got } = await framed();
    expect(code).toBe(1000);
    expect(got[0]).toBe('o');
    expect(got.join('|')).toContain('MESSAGE\\ndestination:/queue/sj');
    expect(got).toContain('c[3000,"Go away!"]');
  });

  it('the raw WebSocket endpoint (…/websocket): stompjs over ws, STOMP straight in the messages', async () => {
    expect(await raw()).toBe('raw endpoint');
  });

  it('XHR polling goes through untouched', async () => {
    expect(await xhr()).toBe(200); // the open frame "o\n"
  });

  it('records each one: sockjs transport and unwrapped STOMP; websocket; an unsupported-transport issue', async () => {
    await recorded();
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const conns = reader.connections().map(connectionJson);
      expect(conns.map((c) => c.transport)).toEqual(['sockjs', 'websocket', 'tcp']);
      const framesOf = (id: number) => [...reader.frames()].filter((f) => f.connectionId === id)
        .map((f) => frameJson(reader, { ...f, issues: [] }, reader.connection(f.connectionId)));
      const issuesOf = (id: number) => reader.db.prepare('SELECT code, message FROM issues WHERE connection_id = ? ORDER BY id').all(id) as Array<{ code: string; message: string }>;

      // SockJS framing: the STOMP inside a[...] and the client's JSON arrays, as frames.
      const [framed, raw, xhr] = conns;
      expect(framed.handshake).toMatchObject({ transport: 'sockjs', request: { method: 'GET', target: '/stomp/123/abcdefgh/websocket' }, response: { status: 101 } });
      const f = framesOf(framed.connection);
      expect(f.map((x) => `${x.from} ${x.command}`)).toEqual([
        'client CONNECT', 'broker CONNECTED', 'client SUBSCRIBE', 'client SEND', 'broker MESSAGE', 'client DISCONNECT', 'broker RECEIPT',
      ]);
      expect(f.find((x) => x.command === 'MESSAGE')!.body).toBe('hello sockjs é');
      expect(f.find((x) => x.command === 'SEND')!.body).toBe('hello sockjs é');
      const fi = issuesOf(framed.connection);
      expect(fi.map((i) => i.code)).toEqual(expect.arrayContaining(['websocket-upgrade', 'websocket-ping', 'websocket-pong', 'sockjs-close', 'websocket-close']));
      expect(fi.find((i) => i.code === 'sockjs-close')!.message).toBe('the broker closed the SockJS session: 3000 "Go away!"');
      expect(fi.filter((i) => /error/.test(i.code))).toEqual([]);

      // The raw endpoint: plain STOMP over WebSocket.
      expect(raw.handshake).toMatchObject({ transport: 'websocket', request: { target: '/stomp/websocket' } });
      const r = framesOf(raw.connection);
      expect(r.map((x) => `${x.from} ${x.command}`)).toEqual(expect.arrayContaining(['client CONNECT', 'broker CONNECTED', 'client SEND', 'broker MESSAGE']));
      expect(r.find((x) => x.command === 'MESSAGE')!.body).toBe('raw endpoint');

      // XHR: forwarded, not decoded, said so.
      expect(xhr.handshake).toBeNull();
      expect(framesOf(xhr.connection)).toEqual([]);
      expect(issuesOf(xhr.connection).map((i) => [i.code, i.message])).toEqual([
        ['sockjs-unsupported-transport', 'POST /stomp/123/xyz12345/xhr: SockJS over the "xhr" transport, not WebSocket; not decoded'],
      ]);
    } finally {
      reader.close();
    }
  });
});
