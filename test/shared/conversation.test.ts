// The conversation stage as conversations, without SQLite: bytes per direction in, the event stream out
// (frames with their header view, heart-beats, issues, links, findings, the negotiated state).
import { describe, expect, it } from 'vitest';
import { Conversation } from '../../shared/conversation/conversation.js';
import type { ConnectionEvent, ConversationOptions, ConversationSink, Negotiated } from '../../shared/conversation/types.js';
import type { Direction } from '../../shared/stomp/types.js';
import { encodeFrame, OPCODE } from '../../shared/websocket/websocket.js';

/** 2026-01-01T00:00:00Z in µs; steps are ms after it. */
const T0 = Date.UTC(2026, 0, 1) * 1000;
const enc = (s: string) => new TextEncoder().encode(s);
const ms = (n: number) => T0 + n * 1000;

interface FrameOut {
  id: number;
  dir: Direction;
  seq: number;
  command: string;
  offset: number;
  length: number;
  raw: Array<[string, string]>;
  view: Array<[string, string]>;
  destination: string | null;
  issues: string[];
}

/** A sink that keeps every event, in order, as plain data (copies: the stage reuses its frame object). */
function recorder() {
  const events: string[] = [];
  const frames: FrameOut[] = [];
  const heartbeats: Array<[Direction, number]> = [];
  const issues: Array<{ code: string; dir: Direction | null; offset: number | null; frameId: number | null }> = [];
  const links: Array<[string, number, number]> = [];
  const findings: string[] = [];
  const negotiated: Negotiated[] = [];
  const stream: Record<Direction, number[]> = { client: [], broker: [] };
  const gaps: Array<[Direction, number]> = [];
  const transports: string[] = [];
  let nextId = 100;
  const sink: ConversationSink = {
    stream: (dir, bytes) => stream[dir].push(...bytes),
    streamGap: (dir, n) => gaps.push([dir, n]),
    frame: (f) => {
      const id = nextId++;
      frames.push({
        id, dir: f.dir, seq: f.seq, command: f.frame.command, offset: f.frame.offset, length: f.frame.length,
        raw: f.frame.headers.map(([k, v]) => [k, v]), view: f.headers.map(([k, v]) => [k, v]), destination: f.destination,
        issues: f.issues.map((i) => i.code),
      });
      events.push(`frame ${f.dir} ${f.frame.command}`);
      return id;
    },
    heartbeat: (dir, _time, offset) => {
      heartbeats.push([dir, offset]);
      events.push(`heartbeat ${dir}`);
    },
    issue: (i) => {
      issues.push({ code: i.code, dir: i.dir, offset: i.offset, frameId: i.frameId });
      events.push(`issue ${i.code}`);
    },
    link: (l) => links.push([l.kind, l.fromFrameId, l.toFrameId]),
    finding: (f) => findings.push(f.code),
    profile: (name) => events.push(`profile ${name}`),
    transport: (kind) => transports.push(kind),
    negotiated: (n) => {
      negotiated.push(structuredClone(n));
      events.push('negotiated');
    },
  };
  return { sink, events, frames, heartbeats, issues, links, findings, negotiated, stream, gaps, transports };
}

type Step = [Direction, string | Uint8Array, number];

function converse(steps: Step[], opts: ConversationOptions = {}, closeAt = 10_000, split = 0) {
  const out = recorder();
  const c = new Conversation(out.sink, opts);
  for (const [dir, data, at] of steps) {
    const bytes = typeof data === 'string' ? enc(data) : data;
    if (split > 0) for (let i = 0; i < bytes.length; i += split) c.push(dir, bytes.subarray(i, i + split), ms(at));
    else c.push(dir, bytes, ms(at));
  }
  const reason = c.close(ms(closeAt), 'client closed');
  return { ...out, conversation: c, reason };
}

const SESSION_12: Step[] = [
  ['client', 'CONNECT\naccept-version:1.1,1.2\nhost:/\nheart-beat:1000,1000\n\n\0', 0],
  ['broker', 'CONNECTED\nversion:1.2\nheart-beat:1000,1000\nserver:RabbitMQ/3.13.0\n\n\0\n', 2],
  ['client', 'SUBSCRIBE\nid:0\ndestination:/queue/a\\cb\nack:auto\n\n\0', 3],
  // Only ends SUBSCRIBE (an EOL right after a frame's NUL, STOMP 1.2 §Augmented BNF): no heart-beat.
  ['client', '\n', 900],
  ['broker', '\n', 1000],
  ['client', '\n', 1400],
  ['client', 'SEND\ndestination:/queue/a\\cb\nreceipt:r1\ncontent-length:2\n\nhi\0', 1500],
  ['broker', 'RECEIPT\nreceipt-id:r1\n\n\0', 1501],
  ['broker', 'MESSAGE\nsubscription:0\nmessage-id:m1\ndestination:/queue/a\\cb\ncontent-length:2\n\nhi\0', 1502],
  ['broker', '\n', 2000],
  ['broker', '\n', 2050],
  ['client', 'DISCONNECT\nreceipt:bye\n\n\0', 2100],
  ['broker', 'RECEIPT\nreceipt-id:bye\n\n\0', 2101],
];

describe('the conversation stage', () => {
  it('a STOMP 1.2 session with heart-beats: frames with their unescaped view, heart-beats, links, the negotiated state once', () => {
    const r = converse(SESSION_12);
    expect(r.frames.map((f) => `${f.dir} ${f.command}`)).toEqual([
      'client CONNECT', 'broker CONNECTED', 'client SUBSCRIBE', 'client SEND', 'broker RECEIPT', 'broker MESSAGE', 'client DISCONNECT', 'broker RECEIPT',
    ]);
    expect(r.frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // STOMP 1.2 §Value Encoding: \c is a colon in the view; the raw header stays as on the wire.
    const send = r.frames.find((f) => f.command === 'SEND')!;
    expect(send.raw).toContainEqual(['destination', '/queue/a\\cb']);
    expect(send.view).toContainEqual(['destination', '/queue/a:b']);
    expect(send.destination).toBe('/queue/a:b');
    // The EOLs right after CONNECTED's, SUBSCRIBE's and MESSAGE's NUL only end them; the three others are heart-beats.
    expect(r.heartbeats.map((h) => h[0])).toEqual(['broker', 'client', 'broker']);
    expect(r.conversation.count('client').heartbeats).toBe(1);
    expect(r.conversation.count('broker').heartbeats).toBe(2);
    expect(r.negotiated).toEqual([{ version: '1.2', heartBeats: { clientToBroker: 1000, brokerToClient: 1000 }, profile: 'rabbitmq', transport: 'tcp' }]);
    // Negotiation comes right after CONNECTED (and the profile its server header named), before any later frame.
    expect(r.events.slice(0, 4)).toEqual(['frame client CONNECT', 'frame broker CONNECTED', 'profile rabbitmq', 'negotiated']);
    const id = (command: string, n = 0) => r.frames.filter((f) => f.command === command)[n].id;
    expect(r.links).toEqual(expect.arrayContaining([
      ['connect', id('CONNECT'), id('CONNECTED')],
      ['receipt', id('SEND'), id('RECEIPT')],
      ['subscription', id('SUBSCRIBE'), id('MESSAGE')],
      ['receipt', id('DISCONNECT'), id('RECEIPT', 1)],
    ]));
    expect(r.findings).toContain('heartbeat-negotiated');
    expect(r.issues).toEqual([]);
    expect(r.reason).toBe('client closed');
    // The sink got every byte of both STOMP streams, in order.
    expect(Buffer.from(r.stream.client).toString()).toBe(SESSION_12.filter((s) => s[0] === 'client').map((s) => s[1]).join(''));
  });

  it('gives the same events whatever the chunking of the bytes', () => {
    const whole = converse(SESSION_12);
    for (const split of [1, 2, 7]) {
      const cut = converse(SESSION_12, {}, 10_000, split);
      expect(cut.events).toEqual(whole.events);
      expect(cut.frames).toEqual(whole.frames);
      expect(cut.heartbeats).toEqual(whole.heartbeats);
      expect(cut.links).toEqual(whole.links);
    }
  });

  it('STOMP 1.0: no heart-beats negotiated, so an EOL is none; the stored negotiation says so', () => {
    const r = converse([
      ['client', 'CONNECT\nlogin:guest\n\n\0', 0],
      ['broker', 'CONNECTED\nsession:1\n\n\0', 1],
      ['broker', '\n', 500],
      ['broker', '\n', 1500],
    ]);
    expect(r.heartbeats).toEqual([]);
    expect(r.negotiated).toEqual([{ version: '1.0', heartBeats: { clientToBroker: 0, brokerToClient: 0 }, profile: null, transport: 'tcp' }]);
  });

  it('a WebSocket session: the STOMP stream inside the messages is decoded, the transport is in the negotiated state', () => {
    const request = 'GET /ws HTTP/1.1\r\nHost: broker.example:15674\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n';
    const response = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n';
    const mask = new Uint8Array([1, 2, 3, 4]);
    const connect = 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0';
    const steps: Step[] = [
      ['client', request, 0],
      ['broker', response, 1],
      ['client', encodeFrame(OPCODE.text, enc(connect), { mask }), 2],
      ['broker', encodeFrame(OPCODE.text, enc('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0')), 3],
      // One SEND across two WebSocket messages (STOMP over WebSocket does not tie frames to messages).
      ['client', encodeFrame(OPCODE.text, enc('SEND\ndestination:/queue/ws\n'), { mask }), 4],
      ['client', encodeFrame(OPCODE.text, enc('\nhello\0'), { mask }), 5],
    ];
    const r = converse(steps);
    expect(new Set(r.transports)).toEqual(new Set(['websocket']));
    expect(r.frames.map((f) => `${f.dir} ${f.command}`)).toEqual(['client CONNECT', 'broker CONNECTED', 'client SEND']);
    expect(r.frames[2].destination).toBe('/queue/ws');
    // Offsets are in the unwrapped STOMP stream, not in the wire bytes.
    expect(r.frames[0].offset).toBe(0);
    expect(r.frames[2].offset).toBe(enc(connect).length);
    expect(Buffer.from(r.stream.client).toString()).toBe(connect + 'SEND\ndestination:/queue/ws\n\nhello\0');
    expect(r.negotiated).toEqual([{ version: '1.2', heartBeats: { clientToBroker: 0, brokerToClient: 0 }, profile: null, transport: 'websocket' }]);
  });

  it('malformed bytes are data: garbage between frames and a bad heart-beat header become issues, the frames around them stay', () => {
    const r = converse([
      ['client', 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:fast\n\n\0', 0],
      ['broker', 'CONNECTED\nversion:1.2\n\n\0', 1],
      ['client', 'SEND\ndestination:/queue/a\n\nx\0', 2],
      ['client', 'hello?\n', 3],
      ['client', 'SEND\ndestination:/queue/b\\q\n\ny\0', 4],
    ]);
    expect(r.frames.map((f) => `${f.command} ${f.issues.join(',')}`)).toEqual([
      'CONNECT bad-heart-beat', 'CONNECTED ', 'SEND ', 'SEND undefined-escape',
    ]);
    // A malformed heart-beat header leaves the heart-beats unknown (STOMP 1.2 §Heart-beating: "x,y").
    expect(r.negotiated[0].heartBeats).toBeNull();
    // The bytes between the frames are no frame: one issue at their stream offset, on no frame.
    const before = ['CONNECT\naccept-version:1.2\nhost:/\nheart-beat:fast\n\n\0', 'SEND\ndestination:/queue/a\n\nx\0'].join('').length;
    expect(r.issues).toEqual([{ code: 'garbage', dir: 'client', offset: before, frameId: null }]);
    // \q is an undefined escape (STOMP 1.2 §Value Encoding): the raw header stays as sent.
    expect(r.frames.at(-1)!.raw).toContainEqual(['destination', '/queue/b\\q']);
  });

  it('a gap: its issue, the bytes counted in the stream offsets, and decoding resumes at the next frame', () => {
    const out = recorder();
    const c = new Conversation(out.sink);
    c.push('client', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), ms(0));
    c.push('broker', enc('CONNECTED\nversion:1.2\n\n\0'), ms(1));
    const first = enc('MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/queue/a\n\nbody-');
    c.push('broker', first, ms(2));
    const reason: ConnectionEvent = { code: 'capture-gap', severity: 'warning', message: '40 bytes missing from the capture' };
    c.gap('broker', 40, ms(3), reason);
    const afterGap = out.frames.length;
    const next = enc('MESSAGE\nsubscription:0\nmessage-id:2\ndestination:/queue/a\n\nok\0');
    c.push('broker', next, ms(4));
    c.close(ms(5), 'FIN from both sides');
    expect(out.gaps).toEqual([['broker', 40]]);
    expect(out.issues.map((i) => i.code)).toContain('capture-gap');
    expect(out.issues.find((i) => i.code === 'capture-gap')!.dir).toBe('broker');
    const resumed = out.frames.slice(afterGap).find((f) => f.command === 'MESSAGE' && f.raw.some(([k, v]) => k === 'message-id' && v === '2'));
    expect(resumed).toBeDefined();
    const connected = 'CONNECTED\nversion:1.2\n\n\0'.length;
    expect(resumed!.offset).toBe(connected + first.length + 40);
    expect(c.count('broker').bytes).toBe(connected + first.length + 40 + next.length);
  });

  it('an issue about bytes of a frame still being decoded waits for that frame and goes on it', () => {
    const out = recorder();
    const c = new Conversation(out.sink);
    c.push('client', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), ms(0));
    const connect = 'CONNECT\naccept-version:1.2\nhost:/\n\n\0'.length;
    c.push('client', enc('SEND\ndestination:/q\n\nab'), ms(1));
    c.event(ms(1), { code: 'injected-frame', severity: 'note', message: 'about the SEND', dir: 'client', offset: connect + 3 });
    expect(out.issues).toEqual([]);
    c.push('client', enc('c\0'), ms(2));
    const send = out.frames.find((f) => f.command === 'SEND')!;
    expect(out.issues).toEqual([{ code: 'injected-frame', dir: 'client', offset: connect + 3, frameId: send.id }]);
  });

  it('a broker closing before DISCONNECT is reported at close; after DISCONNECT it is expected', () => {
    const abrupt = recorder();
    const a = new Conversation(abrupt.sink);
    a.push('client', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), ms(0));
    a.close(ms(1), 'broker closed');
    expect(abrupt.issues.map((i) => i.code)).toEqual(['broker-closed']);
    const orderly = recorder();
    const o = new Conversation(orderly.sink);
    o.push('client', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0DISCONNECT\n\n\0'), ms(0));
    o.close(ms(1), 'broker closed');
    expect(orderly.issues).toEqual([]);
  });

  it('without analysis (the replay client) it still decodes and negotiates, and emits no links or findings', () => {
    const r = converse(SESSION_12, { analyze: false, unwrap: false });
    expect(r.frames).toHaveLength(8);
    expect(r.links).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.conversation.heartBeats).toEqual({ clientToBroker: 1000, brokerToClient: 1000 });
    expect(r.negotiated[0].profile).toBeNull();
  });
});
