// A fake broker for tests about transport (TLS, IPv6, concurrency), not about brokers: it answers CONNECT with
// CONNECTED and SUBSCRIBE with one MESSAGE. Real brokers are used wherever the broker's behaviour matters.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';

export const CONNECTED = 'CONNECTED\nversion:1.2\n\n\0';
export const MESSAGE = 'MESSAGE\ndestination:/queue/tls\nmessage-id:1\nsubscription:0\n\nsecret payload\0';

/** A throwaway self-signed certificate for 127.0.0.1 made with Debian's openssl (PEM text of both parts). */
export function makeCert(dir: string, name = 'test'): { cert: string; key: string } {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}-cert.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
}

/** The broker side: use as a net or tls server's connection listener. */
export function fakeBroker(socket: net.Socket): void {
  let seen = '';
  socket.on('data', (d) => {
    seen += d.toString();
    if (seen.includes('CONNECT\n') && !seen.includes('#c')) {
      seen += '#c';
      socket.write(CONNECTED);
    }
    if (seen.includes('SUBSCRIBE\n') && !seen.includes('#s')) {
      seen += '#s';
      socket.write(MESSAGE);
    }
  });
  socket.on('error', () => {});
}

/** The client side: CONNECT and SUBSCRIBE, then everything received until the MESSAGE (at most 5 s). */
export async function converse(socket: net.Socket): Promise<string> {
  let got = '';
  socket.on('data', (d) => (got += d.toString()));
  socket.on('error', () => {});
  socket.write('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
  socket.write('SUBSCRIBE\nid:0\ndestination:/queue/tls\n\n\0');
  const deadline = Date.now() + 5000;
  while (!got.includes('secret payload') && !socket.destroyed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  socket.end();
  return got;
}
