// The WebSocket / SockJS layer as a conversation: wire bytes in per direction (an HTTP upgrade, frames built
// here byte by byte), the STOMP stream and the events out. Any chunking gives the same result.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Direction } from '../../shared/stomp/types.js';
import { looksLikeHttpRequest } from '../../shared/websocket/http.js';
import { parseClientFrame, parseServerFrame } from '../../shared/websocket/sockjs.js';
import { WebSocketConnection, type Handshake, type InflaterFactory } from '../../shared/websocket/upgrade.js';
import { maskTarget, storedHandshake } from '../../shared/websocket/handshake.js';
import { parseWebSocketUrl } from '../../shared/websocket/url.js';
import { encodeFrame, OPCODE } from '../../shared/websocket/websocket.js';
import { nodeInflater, TransportTap } from '../../src-main/core/record/transport-tap.js';

const enc = (s: string) => new TextEncoder().encode(s);
const MASK = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);

const REQUEST = 'GET /ws HTTP/1.1\r\nHost: broker.example:15674\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v10.stomp, v11.stomp, v12.stomp\r\n\r\n';
const RESPONSE = (extra = '') => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v12.stomp\r\n${extra}\r\n`;

const CONNECT = 'CONNECT\naccept-version:1.2\nhost:/\n\n\0';
const CONNECTED = 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0';
const SEND = 'SEND\ndestination:/queue/a\ncontent-length:5\n\nhello\0';

interface Out {
  stream: Record<Direction, number[]>;
  gaps: Array<[Direction, number]>;
  events: Array<[Direction | null, string, string]>;
  handshakes: Handshake[];
}

function run(wire: Array<[Direction, Uint8Array]>, inflate: InflaterFactory | null = null, split?: (b: Uint8Array) => Uint8Array[]): Out {
  const out: Out = { stream: { client: [], broker: [] }, gaps: [], events: [], handshakes: [] };
  const c = new WebSocketConnection({
    payload: (dir, bytes) => out.stream[dir].push(...bytes),
    gap: (dir, n) => out.gaps.push([dir, n]),
    event: (dir, _t, code, message) => out.events.push([dir, code, message]),
    handshake: (h) => out.handshakes.push(JSON.parse(JSON.stringify(h)) as Handshake),
  }, inflate);
  for (const [dir, bytes] of wire) for (const piece of split ? split(bytes) : [bytes]) c.push(dir, piece, 0);
  c.end(1);
  return out;
}

const text = (o: Out, dir: Direction) => Buffer.from(o.stream[dir]).toString('latin1');
const codes = (o: Out) => o.events.map((e) => e[1]);

/** A STOMP exchange over WebSocket with what RFC 6455 allows: fragments, 16- and 64-bit lengths, control frames between fragments. */
function exchange(): Array<[Direction, Uint8Array]> {
  const big = 'SEND\ndestination:/queue/big\n\n' + 'x'.repeat(70_000) + '\0';
  return [
    ['client', enc(REQUEST)],
    ['broker', enc(RESPONSE())],
    ['client', encodeFrame(OPCODE.text, enc(CONNECT), { mask: MASK })],
    ['broker', encodeFrame(OPCODE.text, enc(CONNECTED))],
    // One SEND in three fragments, a ping between them; then two frames in one message, one frame across two messages.
    ['client', cat(
      encodeFrame(OPCODE.text, enc(SEND.slice(0, 10)), { mask: MASK, fin: false }),
      encodeFrame(OPCODE.ping, enc('p1'), { mask: MASK }),
      encodeFrame(OPCODE.continuation, enc(SEND.slice(10, 30)), { mask: MASK, fin: false }),
      encodeFrame(OPCODE.continuation, enc(SEND.slice(30)), { mask: MASK }),
      encodeFrame(OPCODE.binary, enc(SEND + '\n' + SEND.slice(0, 7)), { mask: MASK }),
      encodeFrame(OPCODE.binary, enc(SEND.slice(7)), { mask: MASK }),
      encodeFrame(OPCODE.text, enc(big), { mask: MASK }),
    )],
    ['broker', cat(encodeFrame(OPCODE.pong, enc('p1')), encodeFrame(OPCODE.close, cat(Buffer.from([0x03, 0xe8]), enc('bye'))))],
    ['client', encodeFrame(OPCODE.close, Buffer.from([0x03, 0xe8]), { mask: MASK })],
  ];
}

describe('STOMP over WebSocket (RFC 6455)', () => {
  it('unwraps masked, fragmented, 16- and 64-bit-length messages into the STOMP streams, with the handshake and control frames', () => {
    const o = run(exchange());
    const big = 'SEND\ndestination:/queue/big\n\n' + 'x'.repeat(70_000) + '\0';
    expect(text(o, 'client')).toBe(CONNECT + SEND + SEND + '\n' + SEND + big);
    expect(text(o, 'broker')).toBe(CONNECTED);
    expect(o.gaps).toEqual([]);
    const h = o.handshakes.at(-1)!;
    expect(h).toMatchObject({ transport: 'websocket', subprotocol: 'v12.stomp', offeredSubprotocols: ['v10.stomp', 'v11.stomp', 'v12.stomp'], deflate: false });
    expect(h.request).toMatchObject({ method: 'GET', target: '/ws', version: 'HTTP/1.1' });
    expect(h.request!.headers[0]).toEqual(['Host', 'broker.example:15674']);
    expect(h.response).toMatchObject({ status: 101, reason: 'Switching Protocols' });
    expect(o.events).toEqual([
      ['broker', 'websocket-upgrade', 'upgraded to WebSocket at /ws, subprotocol v12.stomp'],
      ['client', 'websocket-ping', 'ping from the client (2 bytes "p1")'],
      ['broker', 'websocket-pong', 'pong from the broker (2 bytes "p1")'],
      ['broker', 'websocket-close', 'the broker closed the WebSocket: 1000 (normal closure) "bye"'],
      ['client', 'websocket-close', 'the client closed the WebSocket: 1000 (normal closure)'],
    ]);
  });

  it('64-bit lengths are read as such', () => {
    // A 70,000-byte payload needs the 64-bit form when encoded with len7 = 127 (encodeFrame uses 16 bits up to 65,535).
    const f = encodeFrame(OPCODE.binary, new Uint8Array(70_000));
    expect(f[1] & 0x7f).toBe(127);
    const o = run([['client', enc(REQUEST)], ['broker', enc(RESPONSE())], ['broker', f]]);
    expect(o.stream.broker.length).toBe(70_000);
  });

  it('gives the same streams and events for any chunking of the wire bytes', () => {
    const wire = exchange();
    const whole = run(wire);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }), (sizes) => {
      let k = 0;
      const split = (b: Uint8Array) => {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < b.length;) {
          const n = sizes[k++ % sizes.length];
          parts.push(b.subarray(i, i + n));
          i += n;
        }
        return parts;
      };
      const o = run(wire, null, split);
      expect(text(o, 'client')).toBe(text(whole, 'client'));
      expect(text(o, 'broker')).toBe(text(whole, 'broker'));
      expect(o.events).toEqual(whole.events);
    }), { numRuns: 60 });
  });

  it('reports protocol errors as events and goes on where the frame boundaries are still known', () => {
    const o = run([
      ['client', enc(REQUEST)],
      ['broker', enc(RESPONSE())],
      ['client', encodeFrame(OPCODE.text, enc(CONNECT))], // unmasked client frame
      ['client', encodeFrame(OPCODE.continuation, enc('junk'), { mask: MASK })], // nothing to continue
      ['client', encodeFrame(3, enc('reserved'), { mask: MASK })], // reserved opcode
      ['client', encodeFrame(OPCODE.ping, enc('x'), { mask: MASK, fin: false })], // fragmented control frame
      ['client', encodeFrame(OPCODE.text, enc(SEND), { mask: MASK })],
      ['broker', Uint8Array.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3])], // 64-bit length with the top bit set
      ['broker', encodeFrame(OPCODE.text, enc(CONNECTED))], // lost: the broker side's framing is gone
    ]);
    expect(text(o, 'client')).toBe(CONNECT + SEND);
    expect(o.stream.broker).toEqual([]);
    const errors = o.events.filter((e) => e[1] === 'websocket-protocol-error').map((e) => e[2]);
    expect(errors).toEqual([
      'client: an unmasked frame from the client (clients must mask every frame)',
      'client: a continuation frame without a message to continue: its payload is skipped',
      'client: reserved data opcode 3: its payload is skipped',
      'client: a fragmented control frame (opcode 9): control frames must not be fragmented',
      'broker: impossible 64-bit payload length (most significant bit set or beyond 2^53): frame boundaries lost',
    ]);
  });

  it('never throws on garbage, and reports a refused upgrade or plain HTTP', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), (a, b) => {
      run([['client', enc(REQUEST)], ['broker', enc(RESPONSE())], ['client', a], ['broker', b]]);
      run([['client', cat(enc('GET / HTTP/1.1\r\n'), a)], ['broker', b]]);
    }), { numRuns: 200 });
    const refused = run([['client', enc(REQUEST)], ['broker', enc('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')], ['client', enc('junk')]]);
    expect(codes(refused)).toEqual(['websocket-upgrade-refused']);
    expect(refused.events[0][2]).toBe('the server answered 404 Not Found to the upgrade of /ws: no WebSocket; not decoded');
    const plain = run([['client', enc('GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n')], ['broker', enc('HTTP/1.1 200 OK\r\n\r\nhello')]]);
    expect(codes(plain)).toEqual(['http-not-websocket']);
    const xhr = run([['client', enc('POST /stomp/123/abcd/xhr_streaming HTTP/1.1\r\nHost: x\r\n\r\n')]]);
    expect(codes(xhr)).toEqual(['sockjs-unsupported-transport']);
    expect(xhr.events[0][2]).toContain('the "xhr_streaming" transport');
    const noSub = run([['client', enc(REQUEST)], ['broker', enc(RESPONSE().replace('Sec-WebSocket-Protocol: v12.stomp\r\n', ''))]]);
    expect(codes(noSub)).toEqual(['websocket-upgrade', 'websocket-no-stomp-subprotocol']);
  });

  it('keeps step through a capture gap inside a payload; loses the direction on a gap in a header', () => {
    const out: Array<[string, unknown]> = [];
    const c = new WebSocketConnection({
      payload: (dir, b) => out.push(['payload', `${dir}:${Buffer.from(b).toString('latin1')}`]),
      gap: (dir, n) => out.push(['gap', `${dir}:${n}`]),
      event: (_d, _t, code) => out.push(['event', code]),
      handshake: () => {},
    });
    c.push('client', enc(REQUEST), 0);
    c.push('broker', enc(RESPONSE()), 0);
    const f = encodeFrame(OPCODE.text, enc(SEND), { mask: MASK });
    c.push('client', f.subarray(0, 10), 0); // header (6) + 4 payload bytes
    c.gap('client', 5, 0);
    c.push('client', f.subarray(15), 0);
    c.push('client', encodeFrame(OPCODE.text, enc(CONNECT), { mask: MASK }), 0);
    c.gap('client', 3, 0); // between frames: boundaries lost
    c.push('client', encodeFrame(OPCODE.text, enc(CONNECT), { mask: MASK }), 0);
    expect(out.filter((e) => e[0] !== 'event')).toEqual([
      ['payload', `client:${SEND.slice(0, 4)}`], ['gap', 'client:5'], ['payload', `client:${SEND.slice(9)}`], ['payload', `client:${CONNECT}`],
    ]);
    expect(out.filter((e) => e[0] === 'event').map((e) => e[1])).toEqual(['websocket-upgrade', 'websocket-protocol-error']);
  });

  it('decompresses permessage-deflate with context takeover, and says so when it cannot', () => {
    // Messages compressed the way a sender with context takeover does: each one with the previous output as its window.
    const messages = [CONNECT, SEND, SEND, SEND.replace('hello', 'world')];
    let windowText = '';
    const frames = messages.map((m) => {
      const z = zlib.deflateRawSync(Buffer.from(m), { finishFlush: zlib.constants.Z_SYNC_FLUSH, ...(windowText ? { dictionary: Buffer.from(windowText) } : {}) });
      windowText += m;
      expect([...z.subarray(-4)]).toEqual([0, 0, 0xff, 0xff]);
      return encodeFrame(OPCODE.text, z.subarray(0, -4), { mask: MASK, rsv1: true });
    });
    const wire: Array<[Direction, Uint8Array]> = [
      ['client', enc(REQUEST.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n'))],
      ['broker', enc(RESPONSE('Sec-WebSocket-Extensions: permessage-deflate\r\n'))],
      ...frames.map((f) => ['client', f] as [Direction, Uint8Array]),
    ];
    const o = run(wire, nodeInflater);
    expect(text(o, 'client')).toBe(messages.join(''));
    expect(o.handshakes.at(-1)).toMatchObject({ deflate: true, extensions: 'permessage-deflate' });
    expect(codes(o)).toEqual(['websocket-upgrade']);
    // Without an inflater: one clear issue, and each message is a gap of the STOMP stream.
    const without = run(wire, null);
    expect(codes(without)).toEqual(['websocket-upgrade', 'websocket-deflate-unsupported']);
    expect(without.events[1][2]).toBe('compressed messages from the client (permessage-deflate) cannot be decompressed here: not decoded');
    expect(without.gaps.length).toBe(messages.length);
    // A capture gap inside the second compressed message: with context takeover, the ones after it are lost too
    // (they refer back to it), said once, never decoded into garbage.
    const gapped: string[] = [];
    const gaps: number[] = [];
    const c = new WebSocketConnection({
      payload: (_d, b) => gapped.push(Buffer.from(b).toString()), gap: (_d, n) => gaps.push(n), handshake: () => {},
      event: (_d, _t, code, message) => gapped.push(`${code}: ${message}`),
    }, nodeInflater);
    for (const [dir, b] of wire.slice(0, 3)) c.push(dir, b, 0);
    const second = frames[1];
    c.push('client', second.subarray(0, 8), 0);
    c.gap('client', 2, 0);
    c.push('client', second.subarray(10), 0);
    for (const f of frames.slice(2)) c.push('client', f, 0);
    expect(gapped).toEqual([
      'websocket-upgrade: upgraded to WebSocket at /ws, subprotocol v12.stomp, permessage-deflate',
      CONNECT,
      'websocket-deflate-unsupported: a compressed message from the client lost bytes (a capture gap, or the stream ended inside it): not decoded',
      'websocket-deflate-unsupported: compressed messages from the client after a lost one cannot be decompressed (they refer back to it: context takeover): not decoded',
    ]);
    expect(gaps.length).toBe(3);
    // Corrupt compressed data is an issue, not an exception.
    const corrupt = run([wire[0], wire[1], ['client', encodeFrame(OPCODE.text, Uint8Array.from([0xff, 0xff, 0xff]), { mask: MASK, rsv1: true })]], nodeInflater);
    expect(codes(corrupt)).toEqual(['websocket-upgrade', 'websocket-deflate-unsupported']);
  });
});

describe('SockJS over WebSocket', () => {
  const sockjsRequest = REQUEST.replace('GET /ws ', 'GET /stomp/123/xyzabc/websocket ').replace('Sec-WebSocket-Protocol: v10.stomp, v11.stomp, v12.stomp\r\n', '');
  const sockjsResponse = RESPONSE().replace('Sec-WebSocket-Protocol: v12.stomp\r\n', '');

  it('unwraps o, h, a[...], c[...] from the server and JSON arrays from the client', () => {
    const o = run([
      ['client', enc(sockjsRequest)],
      ['broker', enc(sockjsResponse)],
      ['broker', encodeFrame(OPCODE.text, enc('o'))],
      ['client', encodeFrame(OPCODE.text, enc(JSON.stringify([CONNECT])), { mask: MASK })],
      ['broker', encodeFrame(OPCODE.text, enc('a' + JSON.stringify([CONNECTED])))],
      ['broker', encodeFrame(OPCODE.text, enc('h'))],
      ['client', encodeFrame(OPCODE.text, enc(JSON.stringify([SEND.slice(0, 12), SEND.slice(12) + '\n'])), { mask: MASK })],
      ['broker', encodeFrame(OPCODE.text, enc('h'))],
      ['broker', encodeFrame(OPCODE.text, enc('a' + JSON.stringify(['MESSAGE\ndestination:/queue/a\n\nhé\0', 'RECEIPT\nreceipt-id:1\n\n\0'])))],
      ['broker', encodeFrame(OPCODE.text, enc('not sockjs'))],
      ['broker', encodeFrame(OPCODE.text, enc('c[3000,"Go away!"]'))],
    ]);
    expect(text(o, 'client')).toBe(CONNECT + SEND + '\n');
    expect(Buffer.from(o.stream.broker).toString('utf8')).toBe(CONNECTED + 'MESSAGE\ndestination:/queue/a\n\nhé\0RECEIPT\nreceipt-id:1\n\n\0');
    expect(o.handshakes.at(-1)).toMatchObject({ transport: 'sockjs' });
    expect(o.events.map((e) => e.slice(1))).toEqual([
      ['websocket-upgrade', 'upgraded to WebSocket at /stomp/123/xyzabc/websocket, subprotocol none'],
      ['sockjs-heartbeat', 'SockJS heartbeat ("h") from the broker'],
      ['sockjs-protocol-error', 'broker: not a SockJS frame (o, h, a[…], m"…", c[…]): "not sockjs"'],
      ['sockjs-close', 'the broker closed the SockJS session: 3000 "Go away!"'],
      ['sockjs-heartbeat', '2 SockJS heartbeats from the broker in all'],
    ]);
  });

  it('a raw WebSocket endpoint of a SockJS server (…/websocket) is STOMP straight in the messages', () => {
    const o = run([
      ['client', enc(sockjsRequest.replace('/stomp/123/xyzabc/websocket', '/stomp/websocket'))],
      ['broker', enc(sockjsResponse)],
      ['client', encodeFrame(OPCODE.text, enc(CONNECT), { mask: MASK })],
      ['broker', encodeFrame(OPCODE.text, enc(CONNECTED))],
    ]);
    expect(o.handshakes.at(-1)!.transport).toBe('websocket');
    expect(text(o, 'client') + text(o, 'broker')).toBe(CONNECT + CONNECTED);
  });

  it('holds at most maxMessageBytes of a SockJS message: a larger one is said and skipped, the next decoded', () => {
    const events: string[] = [];
    const stream: string[] = [];
    const gaps: number[] = [];
    const c = new WebSocketConnection({
      payload: (_d, b) => stream.push(Buffer.from(b).toString()), gap: (_d, n) => gaps.push(n), handshake: () => {},
      event: (_d, _t, code) => events.push(code),
    }, null, { maxMessageBytes: 1000 });
    c.push('client', enc(sockjsRequest), 0);
    c.push('broker', enc(sockjsResponse), 0);
    c.push('broker', encodeFrame(OPCODE.text, enc('o')), 0);
    const big = 'a' + JSON.stringify([`MESSAGE\ndestination:/q\n\n${'x'.repeat(3000)}\0`]);
    // In fragments, so that the limit is crossed part way.
    c.push('broker', cat(encodeFrame(OPCODE.text, enc(big.slice(0, 800)), { fin: false }), encodeFrame(OPCODE.continuation, enc(big.slice(800)))), 0);
    c.push('broker', encodeFrame(OPCODE.text, enc('a' + JSON.stringify([CONNECTED]))), 0);
    expect(events).toEqual(['websocket-upgrade', 'websocket-message-too-large']);
    expect(gaps).toEqual([big.length]);
    expect(stream).toEqual([CONNECTED]);
  });

  it('parses each frame kind and refuses what is not one', () => {
    expect(parseServerFrame('a["x","y"]')).toEqual({ kind: 'messages', messages: ['x', 'y'] });
    expect(parseServerFrame('m"x"')).toEqual({ kind: 'messages', messages: ['x'] });
    expect(parseServerFrame('a[1]').kind).toBe('error');
    expect(parseServerFrame('a"x"').kind).toBe('error');
    expect(parseServerFrame('c[1002,"Broken framing."]')).toEqual({ kind: 'close', code: 1002, reason: 'Broken framing.' });
    expect(parseClientFrame('"x"')).toEqual({ kind: 'messages', messages: ['x'] });
    expect(parseClientFrame('[x').kind).toBe('error');
  });
});

describe('helpers', () => {
  it('tells an HTTP request from STOMP by its first bytes', () => {
    expect(looksLikeHttpRequest(enc('GET /ws'))).toBe('yes');
    expect(looksLikeHttpRequest(enc('GE'))).toBe('more');
    expect(looksLikeHttpRequest(enc('CONNEC'))).toBe('more');
    expect(looksLikeHttpRequest(enc('CONNECT\n'))).toBe('no');
    expect(looksLikeHttpRequest(enc('STOMP\n'))).toBe('no');
    expect(looksLikeHttpRequest(enc('\n'))).toBe('no');
  });

  it('masks credentials in a stored handshake unless revealed: token-like query values, Authorization, cookies', () => {
    expect(maskTarget('/ws?access_token=abc&room=1&passcode=x')).toBe('/ws?access_token=********&room=1&passcode=********');
    expect(maskTarget('/ws')).toBe('/ws');
    const json = JSON.stringify({
      transport: 'websocket', subprotocol: null, offeredSubprotocols: [], extensions: null, deflate: false,
      request: { method: 'GET', target: '/ws?token=t1', version: 'HTTP/1.1', headers: [['Cookie', 'JSESSIONID=1'], ['Authorization', 'Basic Zm9v'], ['Host', 'h']] },
      response: { version: 'HTTP/1.1', status: 101, reason: '', headers: [['Set-Cookie', 'a=b']] },
    });
    const masked = storedHandshake(json)!;
    expect(masked.request).toMatchObject({ target: '/ws?token=********', headers: [['Cookie', '********'], ['Authorization', '********'], ['Host', 'h']] });
    expect(masked.response!.headers).toEqual([['Set-Cookie', '********']]);
    expect(storedHandshake(json, true)!.request!.target).toBe('/ws?token=t1');
    expect(storedHandshake(null)).toBeNull();
    expect(storedHandshake('{not json')).toBeNull();
  });

  it('parses ws:// and wss:// upstream URLs', () => {
    expect(parseWebSocketUrl('ws://localhost:15674/ws')).toEqual({ secure: false, host: 'localhost', port: 15674, path: '/ws', url: 'ws://localhost:15674/ws' });
    expect(parseWebSocketUrl('wss://broker.example/stomp?x=1')).toMatchObject({ secure: true, port: 443, path: '/stomp?x=1' });
    expect(parseWebSocketUrl('ws://[::1]:8080')).toMatchObject({ host: '::1', port: 8080, path: '/', url: 'ws://[::1]:8080/' });
    expect(parseWebSocketUrl('ws://host:99999/x')).toMatch(/out of range/);
    expect(parseWebSocketUrl('http://host/x')).toMatch(/expected ws:/);
  });
});

describe('the recorder\'s tap (sniffing the first client bytes, then unwrapping)', () => {
  /** Wire bytes through a TransportTap, each push cut into pieces of the given sizes; what reaches the recorder. */
  function tap(wire: Array<[Direction, Uint8Array]>, sizes: number[] = [1 << 30]) {
    const out = { client: [] as number[], broker: [] as number[], events: [] as string[], transport: [] as string[] };
    const t = new TransportTap({
      payload: (dir, b) => out[dir].push(...b),
      streamGap: () => {},
      event: (_time, e) => out.events.push(`${e.dir}:${e.code}`),
      transport: (kind) => out.transport.push(kind),
    });
    let k = 0;
    for (const [dir, bytes] of wire) {
      for (let i = 0; i < bytes.length;) {
        const n = sizes[k++ % sizes.length];
        if (t.active) t.push(dir, bytes.subarray(i, i + n), 0);
        else out[dir].push(...bytes.subarray(i, i + n)); // the recorder bypasses a tap that stepped aside
        i += n;
      }
    }
    t.end(1);
    return out;
  }

  const sockjsWire: Array<[Direction, Uint8Array]> = [
    ['client', enc(REQUEST.replace('GET /ws ', 'GET /s/1/abc/websocket '))],
    ['broker', enc(RESPONSE())],
    ['broker', encodeFrame(OPCODE.text, enc('o'))],
    ['client', encodeFrame(OPCODE.text, enc(JSON.stringify([CONNECT, SEND.slice(0, 9)])), { mask: MASK })],
    ['client', encodeFrame(OPCODE.text, enc(JSON.stringify([SEND.slice(9)])), { mask: MASK })],
    ['broker', encodeFrame(OPCODE.text, enc('a' + JSON.stringify([CONNECTED])))],
  ];

  it('gives the same STOMP streams, events and transport for any chunking (plain STOMP, WebSocket, SockJS)', () => {
    const plain: Array<[Direction, Uint8Array]> = [['client', enc(CONNECT)], ['broker', enc(CONNECTED)], ['client', enc(SEND)]];
    for (const wire of [plain, exchange(), sockjsWire]) {
      const whole = tap(wire);
      fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const o = tap(wire, sizes);
        expect(o.client).toEqual(whole.client);
        expect(o.broker).toEqual(whole.broker);
        expect(o.events).toEqual(whole.events);
        expect(o.transport).toEqual(whole.transport);
      }), { numRuns: 40 });
    }
    expect(Buffer.from(tap(plain).client).toString()).toBe(CONNECT + SEND);
    expect(tap(plain).transport).toEqual([]);
    expect(Buffer.from(tap(sockjsWire).client).toString()).toBe(CONNECT + SEND);
    expect(tap(sockjsWire).transport.at(-1)).toBe('sockjs');
  });
});
