// shared/correlate: MESSAGE ↔ ACK identity per version, and the broker-frame diff, on synthetic frames.
import { describe, expect, it } from 'vitest';
import { ackFrameKey, ackIdentityFor, messageAckKey, MessageOrdinals } from '../../shared/correlate/ack.js';
import { correlationKeys, diffBrokerFrames, VOLATILE_HEADERS, type DiffFrame } from '../../shared/correlate/broker-diff.js';

type H = Array<[string, string]>;
let seq = 0;
const f = (command: string, headers: H, body = '', digest: string | null = body): DiffFrame => ({
  seq: seq++, command, headers, bodyLength: body.length, bodyDigest: digest, bodyText: body,
});
const msg = (sub: string, id: string, body: string, extra: H = []) =>
  f('MESSAGE', [['subscription', sub], ['message-id', id], ['ack', `a-${id}`], ['destination', '/queue/q'], ...extra], body);

describe('ACK identity by version (STOMP 1.0 / 1.1 / 1.2 §ACK)', () => {
  const message: H = [['subscription', 's1'], ['message-id', 'm7'], ['ack', 'k7']];
  it('1.2: the ACK id is the MESSAGE ack header', () => {
    expect(ackFrameKey('1.2', [['id', 'k7']])).toBe(messageAckKey('1.2', message));
    expect(ackFrameKey('1.2', [['message-id', 'm7']])).toBeNull();
    expect(ackIdentityFor('1.2', message, 's1')).toEqual([['id', 'k7']]);
    expect(messageAckKey('1.2', [['message-id', 'm7']])).toBeNull(); // ack:auto subscription: nothing to ACK
  });
  it('1.1: message-id and subscription, both', () => {
    expect(ackFrameKey('1.1', [['message-id', 'm7'], ['subscription', 's1']])).toBe(messageAckKey('1.1', message));
    expect(ackFrameKey('1.1', [['message-id', 'm7'], ['subscription', 's2']])).not.toBe(messageAckKey('1.1', message));
    expect(ackFrameKey('1.1', [['message-id', 'm7']])).toBeNull();
    expect(ackIdentityFor('1.1', message, 's1')).toEqual([['message-id', 'm7'], ['subscription', 's1']]);
  });
  it('1.0: message-id alone', () => {
    expect(ackFrameKey('1.0', [['message-id', 'm7']])).toBe(messageAckKey('1.0', message));
    expect(ackIdentityFor('1.0', message, 's1')).toEqual([['message-id', 'm7']]);
    expect(ackIdentityFor(null, message, 's1')).toEqual([['message-id', 'm7']]);
  });
  it('MessageOrdinals: ordinals per subscription, resolution of ACKs, first key wins', () => {
    const o = new MessageOrdinals('1.2');
    expect(o.add([['subscription', 'a'], ['ack', 'x1']])).toEqual({ subscription: 'a', n: 1 });
    expect(o.add([['subscription', 'b'], ['ack', 'y1']])).toEqual({ subscription: 'b', n: 1 });
    expect(o.add([['subscription', 'a'], ['ack', 'x2']])).toEqual({ subscription: 'a', n: 2 });
    expect(o.resolve([['id', 'x2']])).toEqual({ subscription: 'a', n: 2 });
    expect(o.resolve([['id', 'nope']])).toBeNull();
    expect(o.count('a')).toBe(2);
    expect(o.nth('b', 1)).toEqual([['subscription', 'b'], ['ack', 'y1']]);
    // 1.0 MESSAGEs without a subscription header form one stream; a redelivered message-id keeps its first place.
    const o10 = new MessageOrdinals('1.0');
    o10.add([['message-id', 'm1']]);
    o10.add([['message-id', 'm1'], ['redelivered', 'true']]);
    expect(o10.resolve([['message-id', 'm1']])).toEqual({ subscription: '', n: 1 });
    expect(o10.count('')).toBe(2);
  });
});

describe('broker-frame diff', () => {
  it('keys frames by correlation: CONNECTED, RECEIPT by id, MESSAGE by subscription and order, the rest by order', () => {
    const keys = correlationKeys([
      f('CONNECTED', [['version', '1.2']]), msg('s1', '1', 'a'), msg('s2', '2', 'b'), msg('s1', '3', 'c'),
      f('RECEIPT', [['receipt-id', 'r1']]), f('RECEIPT', [['receipt-id', 'r1']]), f('ERROR', [['message', 'x']]), f('RECEIPT', []),
    ]).map(([, label]) => label);
    expect(keys).toEqual(['CONNECTED', 'MESSAGE s1 #1', 'MESSAGE s2 #1', 'MESSAGE s1 #2', 'RECEIPT r1', 'RECEIPT r1 (2)', 'ERROR #1', 'RECEIPT #1']);
  });

  it('the same conversation with other volatile values and another interleaving is no difference', () => {
    const a = [
      f('CONNECTED', [['version', '1.2'], ['session', 'S1'], ['server', 'RabbitMQ/3.12'], ['heart-beat', '0,0']]),
      f('RECEIPT', [['receipt-id', 'r-sub']]),
      msg('s1', '1', 'one'), msg('s2', '2', 'two'), msg('s1', '3', 'three'),
      f('RECEIPT', [['receipt-id', 'r-d']]),
    ];
    const b = [
      f('CONNECTED', [['version', '1.2'], ['session', 'S2'], ['server', 'RabbitMQ/3.13'], ['heart-beat', '0,0']]),
      f('RECEIPT', [['receipt-id', 'r-sub']]),
      // s2 first this time, and other ids and timestamps
      msg('s2', '20', 'two', [['timestamp', '5']]), msg('s1', '10', 'one', [['timestamp', '6']]), msg('s1', '30', 'three'),
      f('RECEIPT', [['receipt-id', 'r-d']]),
    ];
    const d = diffBrokerFrames(a, b);
    expect(d).toMatchObject({ matched: 6, missing: 0, extra: 0, changed: 0, differences: [] });
    expect(d.ignoredHeaders).toEqual([...VOLATILE_HEADERS]);
    // With the volatile headers compared, every frame that carries one differs.
    const all = diffBrokerFrames(a, b, { includeVolatile: true });
    expect(all.ignoredHeaders).toEqual([]);
    expect(all.differences.map((x) => x.key)).toEqual(['CONNECTED', 'MESSAGE s1 #1', 'MESSAGE s2 #1', 'MESSAGE s1 #2']);
    expect(all.differences[0].headers).toEqual([{ name: 'session', a: 'S1', b: 'S2' }, { name: 'server', a: 'RabbitMQ/3.12', b: 'RabbitMQ/3.13' }]);
  });

  it('reports missing, extra and changed frames with header and body changes, in A order with extras in place', () => {
    const a = [f('CONNECTED', [['version', '1.2']]), f('RECEIPT', [['receipt-id', 'r1']]), msg('s1', '1', 'one'), msg('s1', '2', 'two'), f('RECEIPT', [['receipt-id', 'r2']])];
    const b = [
      f('CONNECTED', [['version', '1.1']]), f('RECEIPT', [['receipt-id', 'r1']]), f('ERROR', [['message', 'boom']]),
      f('MESSAGE', [['subscription', 's1'], ['message-id', 'x'], ['destination', '/queue/other'], ['x-new', '1']], 'ONE'),
    ];
    const d = diffBrokerFrames(a, b);
    expect(d).toMatchObject({ matched: 3, missing: 2, extra: 1, changed: 2 });
    expect(d.differences.map((x) => [x.kind, x.key, x.a, x.b])).toEqual([
      ['changed', 'CONNECTED', a[0].seq, b[0].seq],
      ['extra', 'ERROR #1', null, b[2].seq],
      ['changed', 'MESSAGE s1 #1', a[2].seq, b[3].seq],
      ['missing', 'MESSAGE s1 #2', a[3].seq, null],
      ['missing', 'RECEIPT r2', a[4].seq, null],
    ]);
    expect(d.differences[0].headers).toEqual([{ name: 'version', a: '1.2', b: '1.1' }]);
    const m = d.differences[2];
    // ack differs too but is volatile; destination changed; x-new is new in B.
    expect(m.headers).toEqual([{ name: 'destination', a: '/queue/q', b: '/queue/other' }, { name: 'x-new', a: null, b: '1' }]);
    expect(m.body).toEqual({ a: { length: 3, digest: 'one', text: 'one' }, b: { length: 3, digest: 'ONE', text: 'ONE' } });
  });

  it('first header wins when comparing (STOMP 1.2 §Repeated Header Entries); unrecorded bodies compare by length', () => {
    const a = [f('RECEIPT', [['receipt-id', 'r'], ['x', '1'], ['x', '2']])];
    const b = [f('RECEIPT', [['receipt-id', 'r'], ['x', '1'], ['x', '3']])];
    expect(diffBrokerFrames(a, b).differences).toEqual([]);
    const c = [f('MESSAGE', [['subscription', 's']], 'abc', null)];
    const e = [f('MESSAGE', [['subscription', 's']], 'xyz', 'digest')];
    expect(diffBrokerFrames(c, e).differences).toEqual([]);
  });

  it('extra frames before any match come first', () => {
    const d = diffBrokerFrames([f('RECEIPT', [['receipt-id', 'r']])], [f('ERROR', []), f('RECEIPT', [['receipt-id', 'r']])]);
    expect(d.differences.map((x) => [x.kind, x.key])).toEqual([['extra', 'ERROR #1']]);
    expect(diffBrokerFrames([], []).differences).toEqual([]);
  });
});
