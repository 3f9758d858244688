// The rules engine of the forwarding thread (src-main/core/proxy/rules-engine.ts), driven without sockets: bytes in
// per direction, and what each peer would get and what would be recorded out. Time is vitest's fake clock, so
// delays and hold timeouts are steps, not waits.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_QUEUED_BYTES, ProxyRules, RulesConnection, type HeldFrame } from '../../src-main/core/proxy/rules-engine.js';
import { checkRules, type Rule } from '../../shared/rules/rules.js';
import type { FrameMark } from '../../shared/conversation/types.js';
import type { Direction } from '../../shared/stomp/types.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

interface Recorded {
  dir: Direction;
  text: string;
  mark: FrameMark | null;
}

function setup(rules: Rule[], version: '1.2' | null = '1.2') {
  const check = checkRules(rules);
  expect(check.errors).toEqual([]);
  const held: HeldFrame[] = [];
  const released: string[] = [];
  const pr = new ProxyRules({ held: (h) => held.push(h), released: (_, how) => released.push(how) }, () => 0);
  pr.set(check.rules);
  const got: Record<Direction, string> = { client: '', broker: '' }; // what the receiving peer of each direction got
  const recorded: Recorded[] = [];
  const ended: string[] = [];
  const paused = new Set<Direction>();
  const c = new RulesConnection(pr, 1, '127.0.0.1:5000', {
    // `dir` is the stream's: the broker's bytes go to the client.
    write: (dir, bytes) => {
      got[dir === 'broker' ? 'client' : 'broker'] += text(bytes);
      return true;
    },
    pause: (dir) => paused.add(dir),
    resume: (dir) => paused.delete(dir),
    record: (dir, bytes, _injected, mark) => recorded.push({ dir, text: text(bytes), mark }),
    end: (dir) => ended.push(`end ${dir}`),
    terminate: (kind, why) => ended.push(`${kind}: ${why}`),
  });
  const feed = (dir: Direction, s: string, pieces = 1) => {
    const b = Buffer.from(s, 'latin1');
    const step = Math.ceil(b.length / pieces);
    for (let i = 0; i < b.length; i += step) c.pipes[dir].feed(b.subarray(i, i + step));
  };
  if (version) {
    feed('client', 'CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    feed('broker', `CONNECTED\nversion:${version}\nheart-beat:0,0\n\n\0`);
    got.client = got.broker = '';
    recorded.length = 0;
  }
  return { c, feed, got, recorded, held, released, ended, rules: pr, paused };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const MSG = (id: string, dest = '/queue/a') => `MESSAGE\ndestination:${dest}\nmessage-id:${id}\nsubscription:0\n\nbody ${id}\0`;

describe('rules engine', () => {
  it('delay: the frame and everything after it in that direction (heart-beats too) wait, in order; the other direction does not', () => {
    const t = setup([{ name: 'slow', when: 'command == "MESSAGE" and destination == "/queue/slow"', do: 'delay', ms: 500 }]);
    t.feed('broker', MSG('1') + MSG('2', '/queue/slow') + '\n' + MSG('3'));
    t.feed('client', 'SEND\ndestination:/queue/x\n\nhi\0');
    expect(t.got.client).toBe(MSG('1'));
    expect(t.got.broker).toBe('SEND\ndestination:/queue/x\n\nhi\0');
    vi.advanceTimersByTime(499);
    expect(t.got.client).toBe(MSG('1'));
    vi.advanceTimersByTime(1);
    expect(t.got.client).toBe(MSG('1') + MSG('2', '/queue/slow') + '\n' + MSG('3'));
    const broker = t.recorded.filter((r) => r.dir === 'broker');
    expect(broker.map((r) => r.text).join('')).toBe(t.got.client);
    expect(broker.find((r) => r.mark)?.mark).toEqual({ rule: 'slow', action: 'delay' });
  });

  it('the same frames cut at every byte give the same result', () => {
    const a = setup([{ name: 'drop 2', when: 'header["message-id"] == "2"', do: 'drop' }]);
    const b = setup([{ name: 'drop 2', when: 'header["message-id"] == "2"', do: 'drop' }]);
    const s = MSG('1') + '\n\r\n' + MSG('2') + MSG('3');
    a.feed('broker', s);
    b.feed('broker', s, s.length);
    expect(a.got.client).toBe(MSG('1') + '\n\r\n' + MSG('3'));
    expect(b.got.client).toBe(a.got.client);
    expect(b.recorded.map((r) => r.mark)).toEqual(expect.arrayContaining([{ rule: 'drop 2', action: 'drop', forwarded: false }]));
    expect(b.recorded.map((r) => r.text).join('')).toBe(s);
  });

  it('set-header escapes for the version, replace-body keeps content-length true, remove-header and map-destination rewrite', () => {
    const t = setup([
      { name: 'tag', when: 'header["t"] == "1"', do: 'set-header', header: 'x:trace', value: 'a:b\nc' },
      { name: 'body', when: 'header["t"] == "2"', do: 'replace-body', body: 'new\0body' },
      { name: 'strip', when: 'header["t"] == "3"', do: 'remove-header', header: 'secret' },
      { name: 'map', when: 'header["t"] == "4"', do: 'map-destination', to: '/queue/b' },
    ]);
    t.feed('client', 'SEND\ndestination:/queue/a\nt:1\n\n\0');
    t.feed('client', 'SEND\ndestination:/queue/a\nt:2\ncontent-length:3\n\nold\0');
    t.feed('client', 'SEND\ndestination:/queue/a\nsecret:s\nt:3\nsecret:again\n\n\0');
    t.feed('client', 'SEND\ndestination:/queue/a\nt:4\ndestination:/queue/c\n\n\0');
    expect(t.got.broker).toBe([
      'SEND\ndestination:/queue/a\nt:1\nx\\ctrace:a\\cb\\nc\n\n\0',
      'SEND\ndestination:/queue/a\nt:2\ncontent-length:8\n\nnew\0body\0',
      'SEND\ndestination:/queue/a\nt:3\n\n\0',
      'SEND\ndestination:/queue/b\nt:4\n\n\0',
    ].join(''));
    const marks = t.recorded.map((r) => r.mark);
    expect(marks.map((m) => [m?.rule, text(m!.original!)])).toEqual([
      ['tag', 'SEND\ndestination:/queue/a\nt:1\n\n\0'],
      ['body', 'SEND\ndestination:/queue/a\nt:2\ncontent-length:3\n\nold\0'],
      ['strip', 'SEND\ndestination:/queue/a\nsecret:s\nt:3\nsecret:again\n\n\0'],
      ['map', 'SEND\ndestination:/queue/a\nt:4\ndestination:/queue/c\n\n\0'],
    ]);
  });

  it('reply: the sender gets the answer at its next frame boundary, the frame is recorded as not forwarded, and an ERROR closes after it', () => {
    const t = setup([{ name: 'no', when: 'command == "SEND"', do: 'reply', command: 'ERROR', headers: [['message', 'no: really']], body: 'no' }]);
    // The broker is in the middle of a MESSAGE when the client's SEND comes.
    t.feed('broker', 'MESSAGE\ndestination:/queue/a\nmessage-id:1\n');
    t.feed('client', 'SEND\ndestination:/queue/admin\n\nsecret\0');
    expect(t.got.broker).toBe('');
    expect(t.got.client).toBe('MESSAGE\ndestination:/queue/a\nmessage-id:1\n');
    expect(t.ended).toEqual([]);
    t.feed('broker', 'subscription:0\n\nx\0');
    expect(t.got.client).toBe('MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\n\nx\0ERROR\nmessage:no\\c really\ncontent-length:2\n\nno\0');
    expect(t.ended).toEqual(['close: closed by rule "no"']);
    expect(t.recorded.filter((r) => r.mark).map((r) => [r.dir, r.mark])).toEqual([
      ['client', { rule: 'no', action: 'reply', forwarded: false }],
      ['broker', { rule: 'no', action: 'reply', synthesized: true }],
    ]);
  });

  it('inject sends a made-up frame after the matched one; times limits the matches acted on', () => {
    const t = setup([{ name: 'twice', when: 'command == "RECEIPT"', do: 'inject', command: 'MESSAGE', headers: [['destination', '/queue/x']], body: 'extra', times: 1 }]);
    t.feed('broker', 'RECEIPT\nreceipt-id:1\n\n\0RECEIPT\nreceipt-id:2\n\n\0');
    expect(t.got.client).toBe('RECEIPT\nreceipt-id:1\n\n\0MESSAGE\ndestination:/queue/x\ncontent-length:5\n\nextra\0RECEIPT\nreceipt-id:2\n\n\0');
    expect(t.recorded.filter((r) => r.mark).map((r) => r.mark)).toEqual([{ rule: 'twice', action: 'inject' }, { rule: 'twice', action: 'inject', synthesized: true }]);
  });

  it('break holds the frame and what follows until decided: forward edited, drop, or its timeout forwards it', () => {
    const t = setup([{ name: 'hold', when: 'command == "SEND"', do: 'break' }]);
    t.rules.holdTimeoutMs = 10_000;
    t.feed('client', 'SEND\ndestination:/queue/a\n\none\0\n');
    expect(t.held.map((h) => [h.rule, h.dir, text(h.bytes)])).toEqual([['hold', 'client', 'SEND\ndestination:/queue/a\n\none\0']]);
    expect(t.got.broker).toBe('');
    expect(t.held[0].decide({ do: 'edit', bytes: Buffer.from('SEND\ndestination:/queue/b\n\none\0') })).toBe(true);
    expect(t.held[0].decide({ do: 'drop' })).toBe(false); // decided once
    expect(t.got.broker).toBe('SEND\ndestination:/queue/b\n\none\0\n');
    t.feed('client', 'SEND\ndestination:/queue/a\n\ntwo\0');
    t.held[1].decide({ do: 'drop' });
    t.feed('client', 'SEND\ndestination:/queue/a\n\nthree\0');
    vi.advanceTimersByTime(10_000);
    expect(t.got.broker).toBe('SEND\ndestination:/queue/b\n\none\0\nSEND\ndestination:/queue/a\n\nthree\0');
    expect(t.released).toEqual(['edit', 'drop', 'timeout']);
    expect(t.recorded.filter((r) => r.mark).map((r) => [r.mark!.forwarded, r.mark!.original ? text(r.mark!.original) : null])).toEqual([
      [undefined, 'SEND\ndestination:/queue/a\n\none\0'], [false, null], [undefined, null],
    ]);
  });

  it('stall-heartbeats drops heart-beat EOLs of that direction for its time, frames still pass', () => {
    const t = setup([{ name: 'silent', when: 'command == "RECEIPT"', do: 'stall-heartbeats', ms: 1000 }]);
    t.feed('broker', '\nRECEIPT\nreceipt-id:1\n\n\0\n\r\n');
    t.feed('broker', MSG('1') + '\n');
    vi.advanceTimersByTime(1000);
    t.feed('broker', '\n');
    expect(t.got.client).toBe('\nRECEIPT\nreceipt-id:1\n\n\0' + MSG('1') + '\n');
  });

  it('close and reset end the connection after what came before; what waits behind is recorded as not forwarded', () => {
    const t = setup([
      { name: 'later', when: 'header["message-id"] == "1"', do: 'delay', ms: 100 },
      { name: 'cut', when: 'header["message-id"] == "2"', do: 'reset' },
    ]);
    t.feed('broker', MSG('1') + MSG('2') + MSG('3'));
    expect(t.ended).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(t.got.client).toBe(MSG('1'));
    expect(t.ended).toEqual(['reset: reset by rule "cut"']);
    expect(t.recorded.map((r) => [r.text.slice(0, 30), r.mark?.forwarded])).toEqual([
      [MSG('1').slice(0, 30), undefined], [MSG('2').slice(0, 30), false], [MSG('3').slice(0, 30), false],
    ]);
  });

  it('edit and resend into a connection with rules: the injected frame waits for the client\'s frame to end, and is recorded where the broker got it', () => {
    const t = setup([{ name: 'hold acks', when: 'command == "ACK"', do: 'break' }]);
    const done: Array<[boolean, number]> = [];
    t.feed('client', 'SEND\ndestination:/queue/a\n');
    t.c.pipes.client.injectFrame({ bytes: Buffer.from('SEND\ndestination:/queue/x\n\ninjected\0'), done: (w, o) => done.push([w, o]), failed: () => done.push([false, -1]) });
    expect(done).toEqual([]);
    t.feed('client', '\nmine\0');
    expect(t.got.broker).toBe('SEND\ndestination:/queue/a\n\nmine\0SEND\ndestination:/queue/x\n\ninjected\0');
    // The offset is in the client stream as recorded: after the CONNECT of setup() and the client's SEND.
    expect(done).toEqual([[true, 'CONNECT\naccept-version:1.2\nhost:/\n\n\0'.length + 'SEND\ndestination:/queue/a\n\nmine\0'.length]]);
    expect(t.recorded.at(-1)!.mark).toEqual({ injected: true });
    // The connection closes before a second one can go: it fails.
    t.feed('client', 'SEND\ndestination:/queue/a\n');
    let failed = '';
    t.c.pipes.client.injectFrame({ bytes: Buffer.from('SEND\n\n\0'), done: () => {}, failed: (why) => (failed = why) });
    t.c.abort('client closed');
    expect(failed).toBe('client closed');
  });

  it('a delay on a busy direction pauses its sender past MAX_QUEUED_BYTES, and reads again once half of it went out', () => {
    const t = setup([{ name: 'slow', when: 'command == "MESSAGE"', do: 'delay', ms: 1000 }]);
    const body = 'x'.repeat(1024 * 1024);
    const frame = (i: number) => `MESSAGE\ndestination:/queue/a\nmessage-id:${i}\nsubscription:0\n\n${body}\0`;
    let i = 0;
    let fed = 0;
    while (!t.paused.has('broker') && i < 200) {
      const f = frame(i++);
      t.feed('broker', f);
      fed += f.length;
    }
    expect(t.paused.has('broker')).toBe(true);
    expect([fed > MAX_QUEUED_BYTES, fed - frame(i - 1).length <= MAX_QUEUED_BYTES]).toEqual([true, true]);
    expect(t.got.client).toBe('');
    vi.advanceTimersByTime(1000);
    expect(t.paused.has('broker')).toBe(false);
    expect(t.got.client.length).toBe(fed);
  });
});
