// Real TLS for capture tests: a TLS terminator in front of RabbitMQ's plain STOMP port (each listener forces one
// version and cipher suite), and two real clients that log their secrets: Node's `tls` (the 'keylog' event) and
// Python's `ssl` (keylog_filename, as SSLKEYLOGFILE). Each client runs the same STOMP conversation and returns
// the exact bytes it sent and received. Every wait is bounded.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { PYTHON } from '../../support/clients/stomppy.js';

export interface TlsProfile {
  name: string;
  /** The IANA name the ServerHello must carry. */
  suite: string;
  version: 'TLS 1.2' | 'TLS 1.3';
  server: tls.TlsOptions;
}

export const TLS_PROFILES: TlsProfile[] = [
  { name: 'TLS 1.3 AES-128-GCM', suite: 'TLS_AES_128_GCM_SHA256', version: 'TLS 1.3', server: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' } },
  { name: 'TLS 1.3 AES-256-GCM', suite: 'TLS_AES_256_GCM_SHA384', version: 'TLS 1.3', server: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' } },
  { name: 'TLS 1.3 ChaCha20-Poly1305', suite: 'TLS_CHACHA20_POLY1305_SHA256', version: 'TLS 1.3', server: { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' } },
  { name: 'TLS 1.2 ECDHE AES-128-GCM', suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', version: 'TLS 1.2', server: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' } },
  { name: 'TLS 1.2 ECDHE AES-256-GCM', suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', version: 'TLS 1.2', server: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' } },
  { name: 'TLS 1.2 ECDHE ChaCha20-Poly1305', suite: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', version: 'TLS 1.2', server: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' } },
];

/** A TLS listener that pipes each connection to the broker's plain STOMP port. */
export async function startTlsTerminator(pair: { cert: string; key: string }, profile: TlsProfile, brokerPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ ...pair, ...profile.server }, (client) => {
    const broker = net.connect(brokerPort, '127.0.0.1');
    sockets.add(client).add(broker);
    client.pipe(broker);
    broker.pipe(client);
    const done = () => {
      client.destroy();
      broker.destroy();
    };
    client.on('error', done);
    broker.on('error', done);
    client.on('close', done);
    broker.on('close', done);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface TlsClientRun {
  client: 'node' | 'python';
  profile: string;
  sent: Buffer;
  received: Buffer;
  localPort: number;
  /** The body the client sent, for the readable-body check. */
  body: Buffer;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);

/** The conversation with Node's tls client, its secrets appended to `keylog`. */
export async function runNodeTlsClient(port: number, keylog: string, tag: string, profile: string): Promise<TlsClientRun> {
  const q = `/queue/tls-node-${tag}`;
  const body = Buffer.concat([Buffer.from(`node over TLS ${tag}: héllo`), Buffer.from(Array.from({ length: 199 }, (_, i) => i + 1))]);
  const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  sock.on('keylog', (line) => fs.appendFileSync(keylog, line));
  const sent: Buffer[] = [];
  let received = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  sock.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<void>((r) => sock.once('close', () => r()));
  await withTimeout(new Promise<void>((r, rej) => { sock.once('secureConnect', () => r()); sock.once('error', rej); }), 20_000, 'TLS handshake');
  const localPort = sock.localPort!;
  const send = (b: Buffer) => {
    sent.push(b);
    sock.write(b);
  };
  const waitFor = async (marker: string | Buffer) => {
    const deadline = Date.now() + 20_000;
    while (!received.includes(marker)) {
      if (Date.now() > deadline) throw new Error(`node TLS client: no ${String(marker)} from the broker`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200).unref();
      });
    }
  };
  send(Buffer.from('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0'));
  await waitFor('CONNECTED');
  send(Buffer.from(`SUBSCRIBE\nid:0\ndestination:${q}\nreceipt:sub\n\n\0`));
  await waitFor('receipt-id:sub');
  send(Buffer.concat([Buffer.from(`SEND\ndestination:${q}\ncontent-type:application/octet-stream\ncontent-length:${body.length}\nreceipt:sent\n\n`), body, Buffer.from([0])]));
  await waitFor(body);
  await waitFor('receipt-id:sent');
  send(Buffer.from('DISCONNECT\nreceipt:bye\n\n\0'));
  await waitFor('receipt-id:bye');
  // The broker closes after the DISCONNECT receipt.
  await withTimeout(ended, 20_000, 'the broker closing after DISCONNECT');
  return { client: 'node', profile, sent: Buffer.concat(sent), received, localPort, body };
}

const PY_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls_stomp_client.py');

/** The conversation with Python's ssl client, its secrets written to `keylog` by Python itself. */
export async function runPythonTlsClient(port: number, keylog: string, tag: string, profile: string, maxVersion: '1.2' | '1.3'): Promise<TlsClientRun> {
  const child = spawn(PYTHON, [PY_SCRIPT, '--port', String(port), '--keylog', keylog, '--tag', tag, '--max-version', maxVersion], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`python TLS client exited ${code}: ${err}`);
  const r = JSON.parse(out.trim()) as { sent: string; received: string; localPort: number };
  const body = Buffer.concat([Buffer.from(`python over TLS ${tag}: héllo`), Buffer.from(Array.from({ length: 199 }, (_, i) => i + 1))]);
  return { client: 'python', profile, sent: Buffer.from(r.sent, 'hex'), received: Buffer.from(r.received, 'hex'), localPort: r.localPort, body };
}
