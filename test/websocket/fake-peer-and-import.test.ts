// What real brokers and clients cannot be made to send: a fake WebSocket server with malformed frames behind the
// real proxy (forwarded untouched, recorded as issues, decoding goes on); and synthetic captures of STOMP over
// WebSocket and SockJS on arbitrary ports, found by their HTTP upgrade, including one with a segment missing.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { connectionJson } from '../../src-main/core/read/frame-json.js';
import { encodeFrame, OPCODE } from '../../shared/websocket/websocket.js';
import { importBytes, tempDir } from '../capture/support/import-helper.js';
import { Conversation, pcapFile } from '../capture/support/synth.js';

const enc = (s: string) => Buffer.from(s, 'utf8');
const MASK = Buffer.from([9, 8, 7, 6]);
const REQUEST = 'GET /stomp HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\nAuthorization: Bearer abc.def\r\n\r\n';
const RESPONSE = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n';
const CONNECT = 'CONNECT\naccept-version:1.2\nhost:/\n\n\0';
const CONNECTED = 'CONNECTED\nversion:1.2\n\n\0';
const SEND = 'SEND\ndestination:/queue/x\n\nbody\0';

describe('a fake WebSocket server with malformed frames, behind the real proxy', () => {
  let dir = '';
  let server: net.Server;
  const serverGot: Buffer[] = [];
  // The server's bytes: the 101, a reserved opcode, a fragmented ping, CONNECTED (masked, which servers must not do), then a 64-bit length with the top bit set.
  const serverBytes = Buffer.concat([
    enc(RESPONSE),
    encodeFrame(5, enc('junk')),
    encodeFrame(OPCODE.ping, enc('p'), { fin: false }),
    encodeFrame(OPCODE.text, enc(CONNECTED), { mask: MASK }),
    Buffer.from([0x81, 0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0]),
    enc('MESSAGE\n\n\0'),
  ]);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-wsfake-'));
    server = net.createServer((s) => {
      s.on('data', (d) => {
        serverGot.push(Buffer.from(d));
        if (Buffer.concat(serverGot).includes('\r\n\r\n') && serverGot.length === 1) s.write(serverBytes);
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('forwards every byte unchanged and records the protocol errors next to the frames it could still decode', async () => {
    const db = path.join(dir, 's.db');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'fake', batchMs: 10 });
    const proxy = await StompProxy.start({
      listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, recorder,
    });
    const clientBytes = Buffer.concat([
      enc(REQUEST),
      encodeFrame(OPCODE.text, enc(CONNECT), { mask: MASK }),
      encodeFrame(OPCODE.text, enc(SEND)), // unmasked: clients must mask
    ]);
    const got: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(proxy.address.port, '127.0.0.1', () => c.write(clientBytes));
      c.on('data', (d) => {
        got.push(Buffer.from(d));
        if (Buffer.concat(got).length >= serverBytes.length) c.end();
      });
      c.on('close', () => resolve());
      c.on('error', reject);
      setTimeout(() => reject(new Error('timed out')), 5000);
    });
    await proxy.stop();
    await recorder.end();
    expect(Buffer.concat(got).equals(serverBytes)).toBe(true);
    expect(Buffer.concat(serverGot).equals(clientBytes)).toBe(true);

    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const [conn] = reader.connections().map(connectionJson);
      expect(conn.transport).toBe('websocket');
      // The Authorization header is masked in what the CLI and the UI show.
      expect(conn.handshake!.request!.headers).toContainEqual(['Authorization', '********']);
      const frames = [...reader.frames()];
      expect(frames.filter((f) => f.from === 'client').map((f) => f.command)).toEqual(['CONNECT', 'SEND']);
      expect(frames.filter((f) => f.from === 'broker').map((f) => f.command)).toEqual(['CONNECTED']);
      const issues = reader.db.prepare('SELECT code, message FROM issues WHERE connection_id = ? ORDER BY id').all(conn.connection) as Array<{ code: string; message: string }>;
      // Each direction's in order; how the two interleave depends on timing.
      expect(issues.filter((i) => i.code === 'websocket-protocol-error').map((i) => i.message).sort()).toEqual([
        'broker: a fragmented control frame (opcode 9): control frames must not be fragmented',
        'broker: a masked frame from the server (servers must not mask)',
        'broker: impossible 64-bit payload length (most significant bit set or beyond 2^53): frame boundaries lost',
        'broker: reserved data opcode 5: its payload is skipped',
        'client: an unmasked frame from the client (clients must mask every frame)',
      ]);
      expect(issues.map((i) => i.code)).toContain('websocket-ping');
    } finally {
      reader.close();
    }
  });
});

describe('capture import: STOMP over WebSocket and SockJS on any port', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const wsConversation = (port: number, clientPort: number, sockjs = false) => {
    const c = new Conversation({ ip: '10.0.0.1', port: clientPort }, { ip: '10.0.0.2', port }, { time: 1_700_000_000_000_000 });
    const req = sockjs ? REQUEST.replace('GET /stomp ', 'GET /stomp/000/sess1234/websocket ') : REQUEST;
    c.handshake().send('c', enc(req)).send('b', enc(RESPONSE));
    if (sockjs) {
      c.send('b', encodeFrame(OPCODE.text, enc('o')))
        .send('c', encodeFrame(OPCODE.text, enc(JSON.stringify([CONNECT])), { mask: MASK }))
        .send('b', encodeFrame(OPCODE.text, enc('a' + JSON.stringify([CONNECTED]))))
        .send('b', encodeFrame(OPCODE.text, enc('h')));
    } else {
      c.send('c', encodeFrame(OPCODE.text, enc(CONNECT), { mask: MASK })).send('b', encodeFrame(OPCODE.text, enc(CONNECTED)));
    }
    // A 5,000-byte SEND in 1,460-byte segments: the frame crosses TCP segments.
    const big = `SEND\ndestination:/queue/big\n\n${'z'.repeat(5000)}\0`;
    c.send('c', sockjs ? encodeFrame(OPCODE.text, enc(JSON.stringify([big])), { mask: MASK }) : encodeFrame(OPCODE.binary, enc(big), { mask: MASK }));
    return c;
  };

  it('finds WebSocket and SockJS flows by their upgrade on unusual ports and decodes the STOMP inside', async () => {
    const flows = [wsConversation(8443, 40001).close(), wsConversation(15674, 40002, true).close(), wsConversation(80, 40003).close()];
    const got = await importBytes(dir, pcapFile(flows.flatMap((f) => f.captured()).sort((a, b) => a.time - b.time), { linkType: 1 }));
    expect(got.connections.map((c) => [c.broker, c.transport])).toEqual([
      ['10.0.0.2:8443', 'websocket'], ['10.0.0.2:15674', 'sockjs'], ['10.0.0.2:80', 'websocket'],
    ]);
    for (const c of got.connections) {
      const frames = got.frames.filter((f) => f.connection === c.connection);
      expect(frames.map((f) => `${f.from} ${f.command}`)).toEqual(['client CONNECT', 'broker CONNECTED', 'client SEND']);
      expect(frames[2].bodyLength).toBe(5000);
      expect(c.handshake!.subprotocol).toBe('v12.stomp');
    }
    expect(got.result.warnings).toEqual([]);
  });

  it('a TCP segment missing inside a WebSocket payload is a gap of the STOMP stream; decoding goes on', async () => {
    const conv = wsConversation(9000, 40010);
    conv.send('c', encodeFrame(OPCODE.text, enc(SEND), { mask: MASK })).close();
    // Drop the second segment of the big SEND (a data packet, somewhere inside its payload).
    const packets = conv.captured();
    const dataPackets = conv.packets.map((p, i) => ({ i, p })).filter(({ p }) => p.spec.payload && p.spec.payload.length === 1460);
    const drop = dataPackets[1].i;
    const got = await importBytes(dir, pcapFile(packets.filter((_, i) => i !== drop), { linkType: 1 }));
    const frames = got.frames.map((f) => `${f.from} ${f.command}`);
    expect(frames).toEqual(['client CONNECT', 'broker CONNECTED', 'client SEND']);
    expect(got.issues.map((i) => i.code)).toEqual(expect.arrayContaining(['tcp-segments-missing', 'truncated-frame']));
    expect(got.issues.map((i) => i.code)).not.toContain('websocket-protocol-error');
  });

  it('plain HTTP and SockJS over XHR are not STOMP flows, and the import says why', async () => {
    const c = new Conversation({ ip: '10.0.0.1', port: 40020 }, { ip: '10.0.0.2', port: 8080 }, { time: 1_700_000_000_000_000 })
      .handshake().send('c', enc('POST /stomp/000/abc/xhr_streaming HTTP/1.1\r\nHost: x\r\n\r\n')).send('b', enc('HTTP/1.1 200 OK\r\n\r\nhhhh')).close();
    const got = await importBytes(dir, pcapFile(c.captured(), { linkType: 1 }));
    expect(got.connections).toEqual([]);
    expect(got.result.warnings.join('\n')).toContain('SockJS over "xhr_streaming"');
  });
});
