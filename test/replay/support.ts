// Test support for replay: recordings made through the real recorder from scripted bytes, and a scripted fake
// broker on 127.0.0.1 that logs every frame it receives (split by the tests' own oracle, stomp-wire.ts).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { WireSplitter, type WireFrame } from '../support/stomp-wire.js';

export function tmpDir(prefix = 'stompscope-replay-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export type Item = { from: 'client' | 'broker'; data: string | Uint8Array; pauseMs?: number };

/** Records a scripted conversation as one proxy connection; returns its session and connection ids. */
export async function recordConversation(dbPath: string, items: Item[], name = 'scripted'): Promise<{ session: number; connection: number }> {
  const rec = await Recorder.start({ dbPath, kind: 'proxy', name });
  const key = rec.openConnection('127.0.0.1:50000', '127.0.0.1:61613');
  for (const it of items) {
    if (it.pauseMs) await new Promise((r) => setTimeout(r, it.pauseMs));
    rec.data(key, it.from, typeof it.data === 'string' ? Buffer.from(it.data, 'utf8') : it.data);
  }
  rec.closeConnection(key, 'client closed');
  const s = await rec.end();
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  try {
    return { session: s.session, connection: reader.connections(s.session)[0].id };
  } finally {
    reader.close();
  }
}

/** `CMD\nh:v\n…\n\nbody\0`: headers given in wire form. */
export const frame = (command: string, headers: Array<[string, string]>, body = '') =>
  `${command}\n${headers.map(([n, v]) => `${n}:${v}\n`).join('')}\n${body}\0`;

export interface Received {
  command: string;
  rawHeaders: [string, string][];
  body: Buffer;
}

export type Respond = (f: WireFrame, send: (data: string) => void, conn: net.Socket) => void;

export interface FakeBroker {
  port: number;
  /** Frames received, per accepted connection. */
  connections: Received[][];
  /** Every byte received, per connection. */
  bytes: Buffer[][];
  close(): Promise<void>;
}

export async function fakeBroker(respond: Respond): Promise<FakeBroker> {
  const connections: Received[][] = [];
  const bytes: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    const log: Received[] = [];
    const raw: Buffer[] = [];
    connections.push(log);
    bytes.push(raw);
    const splitter = new WireSplitter();
    sock.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      for (const ev of splitter.feed(chunk)) {
        if (ev.kind !== 'frame') continue;
        log.push({ command: ev.frame.command, rawHeaders: ev.frame.rawHeaders, body: ev.frame.body });
        respond(ev.frame, (d) => {
          if (!sock.destroyed) sock.write(d);
        }, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    bytes,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const hv = (f: { rawHeaders: [string, string][] }, name: string) => f.rawHeaders.find(([n]) => n === name)?.[1];
