// Correlation links: CONNECT -> CONNECTED, receipt -> RECEIPT, SUBSCRIBE -> MESSAGE, MESSAGE -> ACK/NACK by
// version, BEGIN -> COMMIT/ABORT and the frames inside, SEND -> MESSAGE across the connections of a session.
import { describe, expect, it } from 'vitest';
import { DeliveryCorrelator } from '../../shared/analysis/delivery.js';
import { bodyFingerprint } from '../../shared/analysis/fingerprint.js';
import { analyze, conversation, handshake, type Analysis } from './analysis-helpers.js';

const kinds = (a: Analysis) => a.links.map((l) => [l.kind, a.frames.get(l.fromFrameId)!.command, a.frames.get(l.toFrameId)!.command]);

describe('links within a connection', () => {
  it('connect and receipt, with latencies in µs', () => {
    const a = analyze([
      ['client', 'CONNECT\naccept-version:1.2\nhost:/\n\n\0', 0], ['broker', 'CONNECTED\nversion:1.2\n\n\0', 4],
      ['client', 'SEND\ndestination:/q\nreceipt:r1\n\nx\0', 10], ['broker', 'RECEIPT\nreceipt-id:r1\n\n\0', 17],
    ]);
    expect(a.links).toEqual([
      { kind: 'connect', fromFrameId: a.id('CONNECT'), toFrameId: a.id('CONNECTED'), latencyUs: 4000 },
      { kind: 'receipt', fromFrameId: a.id('SEND'), toFrameId: a.id('RECEIPT'), latencyUs: 7000 },
    ]);
  });

  it('subscription and ack, per version', () => {
    const v12 = analyze([...handshake('1.2'), ['client', 'SUBSCRIBE\nid:s1\ndestination:/q\nack:client-individual\n\n\0'],
      ['broker', 'MESSAGE\nsubscription:s1\nmessage-id:m1\nack:k1\ndestination:/q\n\nx\0'], ['client', 'ACK\nid:k1\n\n\0']]);
    expect(kinds(v12)).toEqual([['connect', 'CONNECT', 'CONNECTED'], ['subscription', 'SUBSCRIBE', 'MESSAGE'], ['ack', 'MESSAGE', 'ACK']]);
    const v11 = analyze([...handshake('1.1'), ['client', 'SUBSCRIBE\nid:s1\ndestination:/q\nack:client\n\n\0'],
      ['broker', 'MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/q\n\nx\0'], ['client', 'NACK\nmessage-id:m1\nsubscription:s1\n\n\0']]);
    expect(kinds(v11).slice(1)).toEqual([['subscription', 'SUBSCRIBE', 'MESSAGE'], ['ack', 'MESSAGE', 'NACK']]);
    // 1.0: SUBSCRIBE without id; the MESSAGE is found by destination, the ACK by message-id.
    const v10 = analyze([...handshake('1.0'), ['client', 'SUBSCRIBE\ndestination:/q\nack:client\n\n\0'],
      ['broker', 'MESSAGE\ndestination:/q\nmessage-id:m1\n\nx\0'], ['client', 'ACK\nmessage-id:m1\n\n\0']]);
    expect(kinds(v10).slice(1)).toEqual([['subscription', 'SUBSCRIBE', 'MESSAGE'], ['ack', 'MESSAGE', 'ACK']]);
    // 1.2 ack is by the ack header, not message-id: a wrong ACK links nothing.
    const wrong = analyze([...handshake('1.2'), ['client', 'SUBSCRIBE\nid:s1\ndestination:/q\nack:client\n\n\0'],
      ['broker', 'MESSAGE\nsubscription:s1\nmessage-id:m1\nack:k1\ndestination:/q\n\nx\0'], ['client', 'ACK\nid:m1\n\n\0']]);
    expect(kinds(wrong).map(([k]) => k)).not.toContain('ack');
  });

  it('transaction and in-transaction', () => {
    const a = analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:t\n\n\0'], ['client', 'SEND\ndestination:/q\ntransaction:t\n\nx\0'],
      ['client', 'SUBSCRIBE\nid:s\ndestination:/q\nack:client\n\n\0'], ['broker', 'MESSAGE\nsubscription:s\nmessage-id:m\nack:k\ndestination:/q\n\nx\0'],
      ['client', 'ACK\nid:k\ntransaction:t\n\n\0'], ['client', 'COMMIT\ntransaction:t\n\n\0']]);
    expect(kinds(a).filter(([k]) => k.includes('transaction'))).toEqual([
      ['in-transaction', 'BEGIN', 'SEND'], ['in-transaction', 'BEGIN', 'ACK'], ['transaction', 'BEGIN', 'COMMIT'],
    ]);
  });
});

describe('delivery: SEND -> MESSAGE across the connections of a session', () => {
  it('pairs by destination and body, in order, once per consumer', () => {
    const delivery = new DeliveryCorrelator();
    const producer = conversation({ delivery, connectionKey: 1 }, 100);
    const consumerA = conversation({ delivery, connectionKey: 2 }, 200);
    const consumerB = conversation({ delivery, connectionKey: 3 }, 300);
    producer.feed([...handshake('1.2'), ['client', 'SEND\ndestination:/topic/t\n\nsame\0', 10], ['client', 'SEND\ndestination:/topic/t\n\nsame\0', 11],
      ['client', 'SEND\ndestination:/queue/other\n\nsame\0', 12]]);
    const m = (n: number, at: number): ['broker', string, number] => ['broker', `MESSAGE\nsubscription:s\nmessage-id:${n}\ndestination:/topic/t\n\nsame\0`, at];
    consumerA.feed([m(1, 20), m(2, 21), m(3, 22)]);
    consumerB.feed([m(1, 30)]);
    const p = producer.close();
    const a = consumerA.close();
    const b = consumerB.close();
    const deliveries = (x: Analysis) => x.links.filter((l) => l.kind === 'delivery').map((l) => [l.fromFrameId, l.toFrameId, l.latencyUs]);
    expect(deliveries(a)).toEqual([[p.id('SEND', 0), a.id('MESSAGE', 0), 10_000], [p.id('SEND', 1), a.id('MESSAGE', 1), 10_000]]);
    expect(deliveries(b)).toEqual([[p.id('SEND', 0), b.id('MESSAGE', 0), 20_000]]);
  });
  it('a different body or destination is not a delivery', () => {
    const delivery = new DeliveryCorrelator();
    const producer = conversation({ delivery, connectionKey: 1 }, 400);
    const consumer = conversation({ delivery, connectionKey: 2 }, 500);
    producer.feed([['client', 'SEND\ndestination:/q\n\nabc\0']]);
    consumer.feed([['broker', 'MESSAGE\nsubscription:s\nmessage-id:1\ndestination:/q\n\nabd\0'], ['broker', 'MESSAGE\nsubscription:s\nmessage-id:2\ndestination:/r\n\nabc\0']]);
    expect(consumer.close().links).toEqual([]);
  });
  it('forgets the oldest SENDs past its bound', () => {
    const d = new DeliveryCorrelator(3);
    for (let i = 1; i <= 5; i++) d.send(i, i, '/q', 1, 7);
    expect(d.message(10, 10, 'c', '/q', 1, 7)).toMatchObject({ fromFrameId: 3 });
    expect(d.message(11, 11, 'c', '/q', 1, 7)).toMatchObject({ fromFrameId: 4 });
  });
  it('fingerprints: whole small bodies; large ones by their ends and samples', () => {
    const big = new Uint8Array(100_000).fill(7);
    const other = big.slice();
    other[99_999] = 8;
    expect(bodyFingerprint(big)).not.toBe(bodyFingerprint(other));
    expect(bodyFingerprint(new TextEncoder().encode('abc'))).not.toBe(bodyFingerprint(new TextEncoder().encode('abd')));
  });
});
