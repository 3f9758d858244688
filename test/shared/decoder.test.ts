// The decoder as conversations: bytes in, frames / heart-beats / issues out.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, StompDecoder } from '../../shared/stomp/decoder.js';
import { headerValue } from '../../shared/stomp/escape.js';
import type { DecodeEvent, DecodedFrame, DecoderLimits } from '../../shared/stomp/types.js';
import { brief, bytes, decode, frames, issueCodes, text, untimed } from './stomp-helpers.js';

/** Decodes with one chunk, 1-byte chunks and 7-byte chunks, checks all three agree, returns the first. */
function conversation(input: string | Uint8Array): DecodeEvent[] {
  const whole = decode(input);
  expect(untimed(decode(input, { chunks: 1 }))).toEqual(untimed(whole));
  expect(untimed(decode(input, { chunks: 7 }))).toEqual(untimed(whole));
  return whole;
}

describe('STOMP 1.2 specification examples', () => {
  it('CONNECT from the client, CONNECTED from the broker', () => {
    const client = conversation('CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0');
    expect(client).toHaveLength(1);
    expect(brief(client[0] as DecodedFrame)).toEqual({
      command: 'CONNECT',
      headers: [
        ['accept-version', '1.2'],
        ['host', 'stomp.github.org'],
      ],
      body: '',
    });
    const broker = conversation('CONNECTED\nversion:1.2\n\n\0');
    expect(brief(broker[0] as DecodedFrame)).toEqual({ command: 'CONNECTED', headers: [['version', '1.2']], body: '' });
  });

  it('SEND whose body ends with the LF before the NUL', () => {
    const [f] = frames(conversation('SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n\0'));
    expect(brief(f)).toEqual({
      command: 'SEND',
      headers: [
        ['destination', '/queue/a'],
        ['content-type', 'text/plain'],
      ],
      body: 'hello queue a\n',
    });
    expect(f.issues).toEqual([]);
  });

  it('MESSAGE from the broker, then RECEIPT and ERROR', () => {
    const events = conversation(
      'MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0' +
        'RECEIPT\nreceipt-id:77\n\n\0' +
        'ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\nmessage:malformed frame received\n\n' +
        'The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n-----\nDid not contain a destination header, which is REQUIRED\nfor message propagation.\n\0',
    );
    expect(frames(events).map((f) => f.command)).toEqual(['MESSAGE', 'RECEIPT', 'ERROR']);
    const error = frames(events)[2];
    expect(error.bodyLength).toBe(170);
    expect(text(error.body)).toMatch(/^The message:\n-----\nMESSAGE\n/);
    expect(issueCodes(events)).toEqual([]);
  });

  it('lines may end with CRLF (1.2): the frame says so and CRs stay out of the headers', () => {
    const [f] = frames(conversation('SEND\r\ndestination:/queue/a\r\nreceipt:1\r\n\r\nhi\0'));
    expect(f.crlf).toBe(true);
    expect(f.headers).toEqual([
      ['destination', '/queue/a'],
      ['receipt', '1'],
    ]);
    expect(text(f.body)).toBe('hi');
    expect(f.issues).toEqual([]);
  });
});

describe('STOMP 1.0 and 1.1', () => {
  it('1.0 CONNECT: the space after the colon is part of the value (never trimmed)', () => {
    const [f] = frames(conversation('CONNECT\nlogin: <username>\npasscode:<passcode>\n\n\0'));
    expect(f.headers).toEqual([
      ['login', ' <username>'],
      ['passcode', '<passcode>'],
    ]);
  });

  it('1.1 MESSAGE keeps escapes raw (unescaping is a view)', () => {
    const [f] = frames(conversation('MESSAGE\nmessage-id:a\\cb\ndestination:/queue/a\\\\b\nfoo\\nbar:x\n\n\0'));
    expect(f.headers).toEqual([
      ['message-id', 'a\\cb'],
      ['destination', '/queue/a\\\\b'],
      ['foo\\nbar', 'x'],
    ]);
  });

  it('1.0 values with colons split at the first colon', () => {
    const [f] = frames(conversation('SEND\ndestination:/queue/a:b\ntime:12:30:00\n\n\0'));
    expect(f.headers).toEqual([
      ['destination', '/queue/a:b'],
      ['time', '12:30:00'],
    ]);
  });
});

describe('headers', () => {
  it('keeps repeated headers in order; the first one wins when read', () => {
    const [f] = frames(conversation('MESSAGE\nfoo:World\nfoo:Hello\nbar:1\nfoo:again\n\n\0'));
    expect(f.headers).toEqual([
      ['foo', 'World'],
      ['foo', 'Hello'],
      ['bar', '1'],
      ['foo', 'again'],
    ]);
    expect(headerValue(f.headers, 'foo')).toBe('World');
  });

  it('never trims names or values, and keeps empty values', () => {
    const [f] = frames(conversation('SEND\n key :  value \t\nempty:\n\n\0'));
    expect(f.headers).toEqual([
      [' key ', '  value \t'],
      ['empty', ''],
    ]);
  });

  it('decodes UTF-8 names and values', () => {
    const [f] = frames(conversation('SEND\ndestination:/queue/café\nnäme:日本語\n\n\0'));
    expect(f.headers).toEqual([
      ['destination', '/queue/café'],
      ['näme', '日本語'],
    ]);
    expect(f.issues).toEqual([]);
  });

  it('honours only the first content-length (repeated headers: first wins)', () => {
    const [f] = frames(conversation('SEND\ncontent-length:3\ncontent-length:1\n\na\0b\0'));
    expect(text(f.body)).toBe('a\0b');
    expect(f.issues).toEqual([]);
  });
});

describe('bodies', () => {
  it('content-length bodies may contain NULs', () => {
    const input = bytes('MESSAGE\ncontent-length:5\n\n', [0, 1, 0, 2, 0], [0], 'RECEIPT\nreceipt-id:1\n\n\0');
    const events = conversation(input);
    const [msg, receipt] = frames(events);
    expect(Array.from(msg.body!)).toEqual([0, 1, 0, 2, 0]);
    expect(msg.length).toBe(input.indexOf(82 /* R */));
    expect(receipt.command).toBe('RECEIPT');
    expect(issueCodes(events)).toEqual([]);
  });

  it('content-length 0 and no body at all', () => {
    const [a, b] = frames(conversation('SEND\ncontent-length:0\n\n\0SEND\n\n\0'));
    expect(a.bodyLength).toBe(0);
    expect(b.bodyLength).toBe(0);
    expect(text(a.body)).toBe('');
  });

  it('inside one chunk the body is a view of that chunk, not a copy', () => {
    const chunk = bytes('SEND\n\nhello\0SEND\ncontent-length:2\n\nhi\0');
    const seen: { sameBuffer: boolean; text: string | null }[] = [];
    new StompDecoder().push(chunk, 0, (e) => {
      if (e.kind === 'frame') seen.push({ sameBuffer: e.body!.buffer === chunk.buffer, text: text(e.body) });
    });
    expect(seen).toEqual([
      { sameBuffer: true, text: 'hello' },
      { sameBuffer: true, text: 'hi' },
    ]);
  });

  it('a body split over many chunks arrives whole', () => {
    const body = 'x'.repeat(10_000);
    for (const input of [`SEND\n\n${body}\0`, `SEND\ncontent-length:10000\n\n${body}\0`]) {
      const [f] = frames(decode(input, { chunks: 333 }));
      expect(text(f.body)).toBe(body);
    }
  });
});

describe('heart-beats', () => {
  it('EOLs between frames are heart-beats, with their offsets', () => {
    const events = conversation('\n\r\nCONNECTED\nversion:1.2\n\n\0\n\n\r\n');
    expect(untimed(events)).toEqual([
      { kind: 'heartbeat', offset: 0, length: 1 },
      { kind: 'heartbeat', offset: 1, length: 2 },
      expect.objectContaining({ kind: 'frame', command: 'CONNECTED', offset: 3, length: 24 }),
      { kind: 'heartbeat', offset: 27, length: 1 },
      { kind: 'heartbeat', offset: 28, length: 1 },
      { kind: 'heartbeat', offset: 29, length: 2 },
    ]);
  });

  it('a heart-beat carries the time of the chunk that held it', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    d.push(bytes('\n'), 1000, (e) => events.push(e));
    d.push(bytes('\r'), 2000, (e) => events.push(e));
    d.push(bytes('\n'), 3000, (e) => events.push(e));
    expect(events).toEqual([
      { kind: 'heartbeat', offset: 0, length: 1, time: 1000 },
      { kind: 'heartbeat', offset: 1, length: 2, time: 2000 },
    ]);
  });
});

describe('offsets, lengths and times', () => {
  it('frames know where they are in the stream', () => {
    const input = 'SEND\ndestination:/q\n\nab\0\nSEND\r\ncontent-length:2\r\n\r\ncd\0';
    const [a, b] = frames(conversation(input));
    // 'SEND\n' 5 + 'destination:/q\n' 15 + '\n' 1 = 21 bytes of head, then 'ab', then the NUL.
    expect(a).toMatchObject({ offset: 0, length: 24, bodyOffset: 21, bodyLength: 2 });
    expect(input.slice(a.bodyOffset, a.bodyOffset + a.bodyLength)).toBe('ab');
    // One heart-beat at 24; then 'SEND\r\n' 6 + 'content-length:2\r\n' 18 + '\r\n' 2 = 26 bytes of head.
    expect(b).toMatchObject({ offset: 25, bodyOffset: 25 + 26, bodyLength: 2, crlf: true });
    expect(b.offset + b.length).toBe(input.length);
    expect(input.slice(b.bodyOffset, b.bodyOffset + 2)).toBe('cd');
  });

  it('time is the chunk of the first byte, endTime the chunk of the NUL; offset counts all bytes', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    const sink = (e: DecodeEvent): void => void events.push(e);
    d.push(bytes('SEN'), 10, sink);
    d.push(bytes('D\n\nbody'), 20, sink);
    expect(d.offset).toBe(10);
    d.push(bytes('\0'), 30, sink);
    expect(events).toMatchObject([{ kind: 'frame', command: 'SEND', time: 10, endTime: 30, offset: 0, length: 11 }]);
    expect(d.offset).toBe(11);
  });
});

describe('end of stream', () => {
  it('a frame without its NUL is delivered as far as it got, flagged truncated', () => {
    const events = conversation('SEND\ndestination:/q\n\nhalf a bo');
    expect(events).toHaveLength(1);
    const f = events[0] as DecodedFrame;
    expect(text(f.body)).toBe('half a bo');
    expect(f.length).toBe(30);
    expect(f.issues.map((i) => i.code)).toEqual(['truncated-frame']);
  });

  it('ends cleanly at a frame boundary, and after end() starts afresh', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    d.push(bytes('SEND\n\n\0'), 0, (e) => events.push(e));
    d.end(1, (e) => events.push(e));
    expect(events).toHaveLength(1);
  });
});

describe('capture gaps', () => {
  it('drops the frame cut by a gap, reports both, and resynchronises at the next frame', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    const sink = (e: DecodeEvent): void => void events.push(e.kind === 'frame' ? { ...e, body: e.body!.slice() } : e);
    d.push(bytes('SEND\ndestination:/q\n\nfirst half'), 1, sink);
    d.gap(100, 2, sink);
    d.push(bytes('second half\0SEND\ndestination:/q\n\nnext\0'), 3, sink);
    d.end(4, sink);
    expect(events.map((e) => (e.kind === 'frame' ? `frame ${text(e.body)}` : `${e.kind} ${e.kind === 'issue' ? e.code : ''}`))).toEqual([
      'issue truncated-frame',
      'issue tcp-gap',
      'issue garbage',
      'frame next',
    ]);
    expect(events[1]).toMatchObject({ offset: 31, length: 100 });
    expect(events[2]).toMatchObject({ offset: 131, length: 12 });
    expect(events[3]).toMatchObject({ offset: 143 });
    expect(d.offset).toBe(131 + 12 + 26);
  });

  it('after a gap, an unknown token line is not taken for a frame', () => {
    const d = new StompDecoder();
    const events: DecodeEvent[] = [];
    d.gap(10, 0, (e) => events.push(e));
    d.push(bytes('abc\n\ndef\0\nSEND\n\n\0'), 1, (e) => events.push(e));
    expect(issueCodes(events)).toEqual(['tcp-gap', 'garbage']);
    expect(events.filter((e) => e.kind === 'heartbeat')).toHaveLength(1);
    expect(frames(events).map((f) => f.command)).toEqual(['SEND']);
  });
});

describe('limits', () => {
  it('has documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxLineBytes: 65536, maxHeaders: 1000, maxBodyBytes: 64 * 1024 * 1024 });
  });

  it('skips a body over maxBodyBytes but still says where it is', () => {
    for (const input of ['SEND\n\n0123456789\0', 'SEND\ncontent-length:10\n\n0123456789\0']) {
      for (const chunks of [undefined, 1, 4]) {
        const [f] = frames(decode(input, { limits: { maxBodyBytes: 9 }, chunks }));
        expect(f.body).toBeNull();
        expect(f.bodyLength).toBe(10);
        expect(f.length).toBe(input.length);
        expect(f.issues.map((i) => i.code)).toEqual(['body-too-large']);
      }
    }
  });

  it('a body of exactly maxBodyBytes is kept', () => {
    const [f] = frames(decode('SEND\n\n0123456789\0', { limits: { maxBodyBytes: 10 }, chunks: 3 }));
    expect(text(f.body)).toBe('0123456789');
  });

  it('skips header lines over maxLineBytes and keeps decoding the frame', () => {
    const input = `SEND\nshort:ok\nlong:${'x'.repeat(100)}\nafter:ok\n\nbody\0`;
    for (const chunks of [undefined, 1, 10]) {
      const [f] = frames(decode(input, { limits: { maxLineBytes: 32 }, chunks }));
      expect(f.headers).toEqual([
        ['short', 'ok'],
        ['after', 'ok'],
      ]);
      expect(text(f.body)).toBe('body');
      expect(f.issues).toMatchObject([{ code: 'line-too-long', offset: 14 }]);
    }
  });

  it('a line of exactly maxLineBytes is fine, with LF or CRLF', () => {
    const line = `k:${'v'.repeat(30)}`; // 32 bytes
    for (const eol of ['\n', '\r\n']) {
      const [f] = frames(decode(`SEND${eol}${line}${eol}${eol}\0`, { limits: { maxLineBytes: 32 }, chunks: 1 }));
      expect(f.issues).toEqual([]);
      expect(f.headers).toEqual([['k', 'v'.repeat(30)]]);
    }
  });

  it('keeps at most maxHeaders headers but still honours a later content-length', () => {
    const input = 'SEND\na:1\nb:2\nc:3\ncontent-length:3\n\nx\0y\0';
    const [f] = frames(conversationWith(input, { maxHeaders: 2 }));
    expect(f.headers).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(text(f.body)).toBe('x\0y');
    expect(f.issues.map((i) => i.code)).toEqual(['too-many-headers']);
  });
});

function conversationWith(input: string, limits: Partial<DecoderLimits>): DecodeEvent[] {
  const whole = decode(input, { limits });
  expect(untimed(decode(input, { limits, chunks: 1 }))).toEqual(untimed(whole));
  return whole;
}

describe('notes on well-formed but unusual frames', () => {
  it('a body on a frame that must not have one', () => {
    const [f] = frames(conversation('ACK\nid:1\n\noops\0'));
    expect(f.issues).toMatchObject([{ code: 'unexpected-body', severity: 'warning', offset: 10, length: 4 }]);
  });

  it('mixed line endings', () => {
    const [f] = frames(conversation('SEND\r\na:1\n\r\n\0'));
    expect(f.crlf).toBe(true);
    expect(f.issues.map((i) => i.code)).toEqual(['mixed-line-endings']);
  });

  it('issues carry severity and a message', () => {
    const [f] = frames(conversation('FOO\n\n\0'));
    expect(f.issues).toEqual([{ code: 'unknown-command', severity: 'warning', message: 'unknown command "FOO"', offset: 0 }]);
  });
});
