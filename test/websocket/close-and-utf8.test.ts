// STOMP over WebSocket, two things the same bytes must say the same way through the proxy's recording path and
// through a capture import: a text message whose payload is not UTF-8 (RabbitMQ Web STOMP sending a binary
// body in a text message: a strict client such as `ws` fails the connection with 1007), and a closing
// handshake the client started, after which the server closes TCP first (RFC 6455 §7.1.1): the client closed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Direction } from '../../shared/stomp/types.js';
import { WebSocketConnection } from '../../shared/websocket/upgrade.js';
import { Utf8Validator } from '../../shared/websocket/utf8.js';
import { encodeFrame, OPCODE } from '../../shared/websocket/websocket.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { nodeInflater } from '../../src-main/core/record/transport-tap.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { connectionJson, frameJson } from '../../src-main/core/read/frame-json.js';
import { importBytes, tempDir } from '../capture/support/import-helper.js';
import { Conversation, pcapFile } from '../capture/support/synth.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const enc = (s: string) => Buffer.from(s, 'latin1');
const MASK = new Uint8Array([1, 2, 3, 4]);
const REQUEST = 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1:15674\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n';
const RESPONSE = (extra = '') => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v12.stomp\r\n${extra}\r\n`;
const close1000 = (mask?: Uint8Array) => encodeFrame(OPCODE.close, new Uint8Array([0x03, 0xe8]), mask ? { mask } : {});

describe('Utf8Validator', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const valid = (b: Uint8Array) => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  /** Every way of cutting `b` in two gives the answer TextDecoder gives for the whole. */
  const check = (b: Uint8Array) => {
    const want = valid(b);
    for (let cut = 0; cut <= b.length; cut++) {
      const v = new Utf8Validator();
      v.push(b.subarray(0, cut));
      v.push(b.subarray(cut));
      expect(v.end() < 0, `${Buffer.from(b).toString('hex')} cut at ${cut}`).toBe(want);
    }
  };
  it('agrees with a strict decoder on every 1- and 2-byte input, and on the boundary values of 3- and 4-byte sequences', () => {
    for (let a = 0; a < 256; a++) {
      check(new Uint8Array([a]));
      for (let b = 0; b < 256; b++) check(new Uint8Array([a, b]));
    }
    const edges = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
    for (let lead = 0xe0; lead <= 0xf7; lead++) {
      for (const x of edges) for (const y of edges) {
        check(new Uint8Array([lead, x, y]));
        for (const z of edges) if (lead >= 0xf0) check(new Uint8Array([lead, x, y, z]));
      }
    }
  });
  it('says where the first bad byte is, and where a sequence cut off by the end started', () => {
    const v = new Utf8Validator();
    expect(v.push(enc('ab\xc3'))).toBe(-1);
    expect(v.push(enc('\xa9cd\xff\xfe'))).toBe(6);
    const w = new Utf8Validator();
    w.push(enc('abc\xe2\x82'));
    expect(w.end()).toBe(3);
  });
});

interface Out {
  events: Array<{ dir: Direction | null; code: string; message: string; offset?: number }>;
  stream: Record<Direction, number>;
}

/** Wire bytes in per direction, in pieces of `piece` bytes (0: whole); the events out. */
function run(wire: Array<[Direction, Uint8Array]>, piece = 0): Out {
  const out: Out = { events: [], stream: { client: 0, broker: 0 } };
  const c = new WebSocketConnection({
    payload: (dir, b) => void (out.stream[dir] += b.length),
    gap: () => {},
    event: (dir, _t, code, message, offset) => out.events.push(offset === undefined ? { dir, code, message } : { dir, code, message, offset }),
    handshake: () => {},
  }, nodeInflater);
  for (const [dir, bytes] of wire) {
    const size = piece || bytes.length;
    for (let i = 0; i < bytes.length; i += size) c.push(dir, bytes.subarray(i, i + size), 0);
  }
  c.end(1);
  return out;
}
const utf8Issues = (o: Out) => o.events.filter((e) => e.code === 'websocket-invalid-utf8');

const CONNECTED = 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0';
const BINARY_MESSAGE = 'MESSAGE\nsubscription:0\nmessage-id:m1\ndestination:/queue/a\ncontent-length:4\n\n\xff\xfe\x00\x01\0';

describe('websocket-invalid-utf8', () => {
  const opening: Array<[Direction, Uint8Array]> = [['client', enc(REQUEST)], ['broker', enc(RESPONSE())], ['broker', encodeFrame(OPCODE.text, enc(CONNECTED))]];

  it('a binary body in a text message: one warning, at the stream offset of the bad byte; none in a binary message', () => {
    for (const piece of [0, 1, 5]) {
      const o = run([...opening, ['broker', encodeFrame(OPCODE.text, enc(BINARY_MESSAGE))]], piece);
      const at = CONNECTED.length + BINARY_MESSAGE.indexOf('\xff');
      expect(utf8Issues(o), `pieces of ${piece}`).toEqual([{ dir: 'broker', code: 'websocket-invalid-utf8', offset: at,
        message: 'a text message (opcode 1) from the broker is not valid UTF-8: byte 0xff at byte 76 of its payload; a receiver must fail the connection (close code 1007)' }]);
      expect(utf8Issues(run([...opening, ['broker', encodeFrame(OPCODE.binary, enc(BINARY_MESSAGE))]], piece))).toEqual([]);
    }
  });

  it('multi-byte characters split across fragments and reads are valid; a sequence broken across fragments is not', () => {
    const text = 'SEND\ndestination:/queue/é\n\nprix 5 € 😀\0';
    const bytes = Buffer.from(text, 'utf8');
    // Cut inside "é", inside "€" and inside "😀": three fragments (text, continuation, continuation).
    const cuts = [bytes.indexOf(0xc3) + 1, bytes.indexOf(0xe2) + 2, bytes.indexOf(0xf0) + 3];
    const parts = [bytes.subarray(0, cuts[0]), bytes.subarray(cuts[0], cuts[1]), bytes.subarray(cuts[1], cuts[2]), bytes.subarray(cuts[2])];
    const frames = parts.map((p, i) => encodeFrame(i === 0 ? OPCODE.text : OPCODE.continuation, p, { fin: i === parts.length - 1, mask: MASK }));
    for (const piece of [0, 1, 3]) expect(utf8Issues(run([...opening, ['client', Buffer.concat(frames)]], piece))).toEqual([]);
    // "é" cut between two fragments, but the second does not continue it.
    const broken = [encodeFrame(OPCODE.text, enc('SEND\ndestination:/q\n\n\xc3'), { fin: false, mask: MASK }), encodeFrame(OPCODE.continuation, enc('A\0'), { mask: MASK })];
    expect(utf8Issues(run([...opening, ['client', Buffer.concat(broken)]], 1))).toEqual([expect.objectContaining({ dir: 'client', offset: 'SEND\ndestination:/q\n\n\xc3'.length })]);
    // A message that ends inside a sequence.
    const cut = run([...opening, ['client', encodeFrame(OPCODE.text, enc('SEND\ndestination:/q\n\n\xe2\x82'), { mask: MASK })]]);
    expect(utf8Issues(cut)).toEqual([expect.objectContaining({ dir: 'client', message: expect.stringContaining('a UTF-8 sequence cut off by the end of the message') })]);
  });

  it('checked after permessage-deflate', () => {
    const z = zlib.deflateRawSync(enc(BINARY_MESSAGE), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const o = run([['client', enc(REQUEST)], ['broker', enc(RESPONSE('Sec-WebSocket-Extensions: permessage-deflate\r\n'))],
      ['broker', encodeFrame(OPCODE.text, z.subarray(0, z.length - 4), { rsv1: true })]]);
    expect(utf8Issues(o)).toEqual([expect.objectContaining({ dir: 'broker', offset: BINARY_MESSAGE.indexOf('\xff') })]);
  });
});

/**
 * A RabbitMQ Web STOMP session: a MESSAGE with a binary body in a text message, then the client closes the
 * WebSocket, the server echoes the close and closes TCP first.
 */
function session(): Array<[Direction, Uint8Array]> {
  return [
    ['client', enc(REQUEST)],
    ['broker', enc(RESPONSE())],
    ['client', encodeFrame(OPCODE.text, enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), { mask: MASK })],
    ['broker', encodeFrame(OPCODE.text, enc(CONNECTED))],
    ['client', encodeFrame(OPCODE.text, enc('SUBSCRIBE\nid:0\ndestination:/queue/a\n\n\0'), { mask: MASK })],
    ['broker', encodeFrame(OPCODE.text, enc(BINARY_MESSAGE))],
    ['client', close1000(MASK)],
    ['broker', close1000()],
  ];
}

async function viaRecorder(wire: Array<[Direction, Uint8Array]>, reason: string) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-wsclose-'));
  dirs.push(d);
  const db = path.join(d, 'rec.db');
  const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'ws' });
  const key = rec.openConnection('127.0.0.1:50000', '127.0.0.1:15674');
  for (const [dir, bytes] of wire) rec.data(key, dir, bytes);
  rec.closeConnection(key, reason);
  await rec.end();
  return read(db);
}

function read(db: string) {
  const reader = new StoreReader(openDb(db, { readonly: true }));
  const conn = reader.connections()[0];
  const frames = [...reader.frames()].map((f) => frameJson(reader, f, reader.connection(f.connectionId), { base64: true }));
  const issues = reader.db.prepare('SELECT code, severity, frame_id FROM issues WHERE connection_id = ? ORDER BY id').all(conn.id) as
    Array<{ code: string; severity: string; frame_id: number | null }>;
  return { conn: connectionJson(conn), frames, issues };
}

describe('the same WebSocket bytes through the proxy recording and the import', () => {
  it('a closing handshake the client started is "client closed", with no broker-closed warning, even though the server closed TCP first', async () => {
    // The proxy saw the broker's side close first.
    const proxied = await viaRecorder(session(), 'broker closed');
    const d = tempDir();
    dirs.push(d);
    const c = new Conversation({ ip: '10.0.0.1', port: 50000 }, { ip: '10.0.0.2', port: 15674 }).handshake();
    for (const [dir, bytes] of session()) c.send(dir === 'client' ? 'c' : 'b', bytes);
    const imported = await importBytes(d, pcapFile(c.fin('b').fin('c').captured(), { linkType: 1 }));
    const db = path.join(d, fs.readdirSync(d).find((f) => f.endsWith('.db'))!);
    const fromImport = read(db);

    for (const [what, r] of [['proxy', proxied], ['import', fromImport]] as const) {
      expect(r.conn.closeReason, what).toBe('client closed');
      expect(r.issues.filter((i) => i.severity !== 'note').map((i) => i.code), what).toEqual(['websocket-invalid-utf8']);
      // On the MESSAGE frame that carried the bytes.
      const message = r.frames.find((f) => f.command === 'MESSAGE')!;
      expect((message.issues as Array<{ code: string }>).map((i) => i.code), what).toEqual(['websocket-invalid-utf8']);
    }
    // The same findings, the capture's own TCP notes aside.
    const codes = (r: typeof proxied) => r.issues.map((i) => `${i.severity} ${i.code}`).filter((c) => !/ tcp-/.test(c));
    expect(codes(fromImport)).toEqual(codes(proxied));
    expect(imported.result.error).toBeUndefined();
  });

  it('a close the broker started is still the broker closing', async () => {
    const wire = session().slice(0, -2);
    wire.push(['broker', close1000()], ['client', close1000(MASK)]);
    const r = await viaRecorder(wire, 'broker closed');
    expect(r.conn.closeReason).toBe('broker closed');
    expect(r.issues.map((i) => i.code)).toContain('broker-closed');
  });
});
