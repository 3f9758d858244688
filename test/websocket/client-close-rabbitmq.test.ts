// A WebSocket the client closes, through the real proxy to real RabbitMQ Web STOMP: the client (the `ws` package)
// sends a close frame, RabbitMQ answers with its own and then closes TCP first, as RFC 6455 §7.1.1 asks of a
// server. The proxy sees the broker's side close first; the recording must still say the client closed, with
// no broker-closed warning. And a binary body sent by RabbitMQ Web STOMP in a text message, which `ws` refuses
// with close code 1007: reported on the MESSAGE. (The same bytes through the import: close-and-utf8.test.ts.)
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { connectionJson } from '../../src-main/core/read/frame-json.js';

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('a WebSocket closed by the client, against RabbitMQ Web STOMP', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-wsclose-rmq-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is recorded as "client closed", with nothing worse than a note', async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    const db = path.join(dir, 's.db');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'ws client close', batchMs: 10 });
    const proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: rabbit.host, port: rabbit.webStompPort }, recorder });
    let closeCode = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), 10_000);
        const ws = new WebSocket(`ws://127.0.0.1:${proxy.address.port}/ws`, ['v12.stomp']);
        ws.on('open', () => ws.send('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0'));
        ws.on('message', (d) => {
          if (d.toString().startsWith('CONNECTED')) ws.close(1000, 'bye');
        });
        ws.on('close', (code) => {
          closeCode = code;
          clearTimeout(timer);
          resolve();
        });
        ws.on('error', reject);
      });
    } finally {
      await proxy.stop();
      await recorder.end();
    }
    expect(closeCode).toBe(1000);
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const [conn] = reader.connections().map(connectionJson);
      expect(conn.transport).toBe('websocket');
      expect(conn.closeReason).toBe('client closed');
      const issues = reader.db.prepare('SELECT code, severity, message FROM issues WHERE connection_id = ? ORDER BY id').all(conn.connection) as
        Array<{ code: string; severity: string; message: string }>;
      expect(issues.filter((i) => i.severity !== 'note')).toEqual([]);
      expect(issues.filter((i) => i.code === 'websocket-close').map((i) => i.message)).toEqual([
        'the client closed the WebSocket: 1000 (normal closure) "bye"', expect.stringMatching(/^the broker closed the WebSocket: 1000/),
      ]);
    } finally {
      reader.close();
    }
  });

  it('a binary body in a text message (RabbitMQ Web STOMP sends every frame as text): websocket-invalid-utf8 on the MESSAGE', async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    const db = path.join(dir, 'utf8.db');
    const queue = `/queue/stompscope-utf8-${process.pid}-${Date.now()}`;
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'ws invalid utf-8', batchMs: 10 });
    const proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: rabbit.host, port: rabbit.webStompPort }, recorder });
    let closeCode = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), 15_000);
        const ws = new WebSocket(`ws://127.0.0.1:${proxy.address.port}/ws`, ['v12.stomp']);
        ws.on('open', () => ws.send('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0'));
        ws.on('message', (d) => {
          const text = d.toString('latin1');
          if (text.startsWith('CONNECTED')) ws.send(`SUBSCRIBE\nid:0\ndestination:${queue}\nreceipt:sub\n\n\0`);
          if (text.startsWith('RECEIPT')) {
            // A producer straight to the broker's STOMP port: a 4-byte binary body.
            const p = net.connect(rabbit.stompPort, rabbit.host, () => p.write(Buffer.concat([
              Buffer.from(`CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0SEND\ndestination:${queue}\ncontent-length:4\n\n`),
              Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x00]), Buffer.from('DISCONNECT\n\n\0')])));
            p.on('error', () => {});
            p.resume();
          }
        });
        ws.on('error', () => { /* ws refuses the text message that is not UTF-8 */ });
        ws.on('close', (code) => {
          closeCode = code;
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      await proxy.stop();
      await recorder.end();
    }
    expect(closeCode).toBeGreaterThan(0);
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const [conn] = reader.connections().map(connectionJson);
      // ws failed the connection as RFC 6455 §8.1 says: its close frame carries 1007.
      const closes = reader.db.prepare(`SELECT message FROM issues WHERE connection_id = ? AND code = 'websocket-close'`).pluck().all(conn.connection);
      expect(closes).toContain('the client closed the WebSocket: 1007 (invalid payload data)');
      const rows = reader.db.prepare(`SELECT i.code, i.severity, f.command FROM issues i LEFT JOIN frames f ON f.id = i.frame_id
        WHERE i.connection_id = ? AND i.code = 'websocket-invalid-utf8'`).all(conn.connection);
      expect(rows).toEqual([{ code: 'websocket-invalid-utf8', severity: 'warning', command: 'MESSAGE' }]);
    } finally {
      reader.close();
    }
  });
});
