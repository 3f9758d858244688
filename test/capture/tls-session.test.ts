// The TLS reader on streams it must survive beyond what the real clients produce: the directions merged out of
// order (the client's protected records before the ServerHello), a KeyUpdate, a key log that is still being
// written, a handshake that is not in the capture.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GrowingKeyLog, KeyLog } from '../../src-main/core/capture/tls/keylog.js';
import { TlsSession, type Side } from '../../src-main/core/capture/tls/session.js';
import { tlsStreams } from './support/tls-synth.js';

const CLIENT = Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0SEND\ndestination:/q\n\nhello\0');
const BROKER = Buffer.concat([Buffer.from('CONNECTED\nversion:1.2\n\n\0'), Buffer.alloc(40_000, 'm')]);

function session(keys: KeyLog | GrowingKeyLog | null) {
  const got: Buffer[][] = [[], []];
  const events: string[] = [];
  const s = new TlsSession(keys, 0, {
    data: (side, bytes) => got[side].push(Buffer.from(bytes)),
    lost: (side, n, _t, code, message) => events.push(`${side} lost ${n} ${code}: ${message}`),
    issue: (side, _t, code, _sev, message) => events.push(`${side} ${code}: ${message}`),
    undecryptable: (reason) => events.push(`undecryptable: ${reason}`),
  });
  return { s, got: (side: Side) => Buffer.concat(got[side]), events };
}

const keyLogOf = (text: string) => {
  const k = new KeyLog();
  k.add(text);
  return k;
};

describe('TLS 1.3 reading beyond the ordinary', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-tls-session-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the client\'s protected records captured before the ServerHello wait for it, then decrypt', () => {
    const t = tlsStreams(1, CLIENT, BROKER);
    const { s, got, events } = session(keyLogOf(t.keylog));
    s.push(0, t.client, 1); // the whole client stream first, ServerHello after it
    s.push(1, t.broker, 2);
    s.end(0, 3);
    s.end(1, 3);
    expect(events).toEqual([]);
    expect(got(0).equals(CLIENT)).toBe(true);
    expect(got(1).equals(BROKER)).toBe(true);
    expect(s.info).toEqual({ version: 'TLS 1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256' });
  });

  it('a KeyUpdate: the records after it are read with the next traffic secret', () => {
    const t = tlsStreams(2, CLIENT, BROKER, { keyUpdate: true });
    const { s, got, events } = session(keyLogOf(t.keylog));
    s.push(0, t.client.subarray(0, t.clientHelloEnd), 1);
    s.push(1, t.broker, 2);
    s.push(0, t.client.subarray(t.clientHelloEnd), 3);
    expect(events).toEqual([]);
    expect(got(1).equals(BROKER)).toBe(true);
  });

  it('a key log still being written: records wait for their keys and decrypt once the lines appear', () => {
    const t = tlsStreams(3, CLIENT, BROKER);
    const file = path.join(dir, 'growing.log');
    appendFileSync(file, '# written as the handshake goes\n');
    const keys = new GrowingKeyLog(file);
    const { s, got, events } = session(keys);
    s.push(0, t.client.subarray(0, t.clientHelloEnd), 1);
    s.push(1, t.broker, 2);
    s.push(0, t.client.subarray(t.clientHelloEnd), 3);
    expect(got(1).length).toBe(0);
    appendFileSync(file, t.keylog);
    keys.refresh(true);
    s.retry(4);
    expect(events).toEqual([]);
    expect(got(0).equals(CLIENT)).toBe(true);
    expect(got(1).equals(BROKER)).toBe(true);
  });

  it('without the ClientHello (the capture began after it): not decrypted, saying so', () => {
    const t = tlsStreams(4, CLIENT, BROKER);
    const { s, events } = session(keyLogOf(t.keylog));
    s.push(1, t.broker, 1);
    s.push(0, t.client.subarray(t.clientHelloEnd), 2);
    s.end(0, 3);
    s.end(1, 3);
    s.finish(3);
    expect(events).toEqual(['undecryptable: the ClientHello is not in the capture (it started after the TLS handshake)']);
  });
});
