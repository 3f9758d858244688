// Expert info, protocol rules by version: for each rule, bytes that trigger it and bytes that must not.
import { describe, expect, it } from 'vitest';
import { ISSUES } from '../../shared/issues.js';
import { analyze, handshake, T0 } from './analysis-helpers.js';

const sub = (id: string, ack = 'auto', dest = '/queue/a') => `SUBSCRIBE\nid:${id}\ndestination:${dest}\nack:${ack}\n\n\0`;
const msg12 = (n: number, sub = 's1') => `MESSAGE\nsubscription:${sub}\nmessage-id:m${n}\nack:a${n}\ndestination:/queue/a\n\nbody ${n}\0`;
const msg11 = (n: number, sub = 's1') => `MESSAGE\nsubscription:${sub}\nmessage-id:m${n}\ndestination:/queue/a\n\nbody ${n}\0`;

describe('every finding carries its catalogue severity', () => {
  it('severity comes from shared/issues.ts', () => {
    const a = analyze([...handshake('1.2'), ['broker', 'ERROR\nmessage:boom\n\n\0']]);
    for (const f of a.findings) expect(f.severity).toBe(ISSUES[f.code].severity);
    expect(a.findings.length).toBeGreaterThan(0);
  });
});

describe('missing-accept-version', () => {
  it('a STOMP frame without accept-version (the STOMP command does not exist in 1.0)', () => {
    const a = analyze([['client', 'STOMP\nhost:/\n\n\0']]);
    expect(a.codes).toEqual(['missing-accept-version']);
    expect(a.findings[0]).toMatchObject({ frameId: a.id('STOMP'), dir: 'client', severity: 'warning' });
  });
  it('not for a STOMP 1.0 client with login, passcode and host (PHP stomp, Net::Stomp), in any header order', () => {
    for (const connect of ['CONNECT\nlogin:guest\npasscode:guest\nhost:/\n\n\0', 'CONNECT\nhost:/\npasscode:guest\nlogin:guest\n\n\0']) {
      const a = analyze([['client', connect], ['broker', 'CONNECTED\nsession:s1\nheart-beat:0,0\nserver:RabbitMQ/3.10.7\nversion:1.0\n\n\0']]);
      expect(a.findings.filter((f) => f.severity !== 'note')).toEqual([]);
      expect(a.codes).toEqual([]);
    }
  });
  it('a heart-beat header without accept-version: a note (1.0 defines no heart-beats), not a warning', () => {
    const a = analyze([['client', 'CONNECT\nheart-beat:0,1000\nhost:/\n\n\0'], ['broker', 'CONNECTED\nversion:1.0\n\n\0']]);
    expect(a.findings).toEqual([expect.objectContaining({ code: 'heartbeat-header-1-0', severity: 'note', frameId: null })]);
  });
  it('not for a plain 1.0 CONNECT, nor with accept-version', () => {
    expect(analyze([['client', 'CONNECT\nlogin:guest\n\n\0'], ['broker', 'CONNECTED\n\n\0']]).codes).toEqual([]);
    expect(analyze(handshake('1.1')).codes).toEqual([]);
  });
});

describe('missing-host', () => {
  it('1.2 negotiated, CONNECT without host (@stomp/stompjs by default): a note, since the broker accepted it', () => {
    const a = analyze([['client', 'CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:10000,10000\n\n\0'], ['broker', 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0']]);
    expect(a.codes).toEqual(['missing-host']);
    expect(a.findings[0]).toMatchObject({ frameId: a.id('CONNECT'), severity: 'note' });
  });
  it('not with host, nor on 1.1', () => {
    expect(analyze(handshake('1.2')).codes).toEqual([]);
    expect(analyze([['client', 'CONNECT\naccept-version:1.1\n\n\0'], ['broker', 'CONNECTED\nversion:1.1\n\n\0']]).codes).toEqual([]);
  });
});

describe('subscribe-without-id', () => {
  it('on 1.1 and 1.2', () => {
    for (const v of ['1.1', '1.2'] as const) {
      const a = analyze([...handshake(v), ['client', 'SUBSCRIBE\ndestination:/queue/a\n\n\0']]);
      expect(a.codes, v).toEqual(['subscribe-without-id']);
    }
  });
  it('not on 1.0, nor with an id', () => {
    expect(analyze([...handshake('1.0'), ['client', 'SUBSCRIBE\ndestination:/queue/a\n\n\0']]).codes).toEqual([]);
    expect(analyze([...handshake('1.2'), ['client', sub('s1')]]).codes).toEqual([]);
  });
});

describe('ack-without-id', () => {
  it('1.2 ACK with message-id instead of id; 1.1 ACK without subscription; 1.0 ACK without message-id', () => {
    const a12 = analyze([...handshake('1.2'), ['client', sub('s1', 'client-individual')], ['broker', msg12(1)], ['client', 'ACK\nmessage-id:m1\n\n\0']]);
    expect(a12.codes).toContain('ack-without-id');
    expect(a12.findings.find((f) => f.code === 'ack-without-id')!.message).toContain('without id');
    const a11 = analyze([...handshake('1.1'), ['client', sub('s1', 'client')], ['broker', msg11(1)], ['client', 'ACK\nmessage-id:m1\n\n\0']]);
    expect(a11.codes).toContain('ack-without-id');
    const a10 = analyze([...handshake('1.0'), ['client', 'ACK\nsubscription:x\n\n\0']]);
    expect(a10.codes).toEqual(['ack-without-id']);
  });
  it('not when the version\'s identity is there', () => {
    expect(analyze([...handshake('1.2'), ['client', sub('s1', 'client-individual')], ['broker', msg12(1)], ['client', 'ACK\nid:a1\n\n\0']]).codes).toEqual([]);
    expect(analyze([...handshake('1.1'), ['client', sub('s1', 'client')], ['broker', msg11(1)], ['client', 'ACK\nmessage-id:m1\nsubscription:s1\n\n\0']]).codes).toEqual([]);
  });
});

describe('nack-in-1-0', () => {
  it('NACK on a 1.0 connection', () => {
    const a = analyze([...handshake('1.0'), ['client', 'SUBSCRIBE\ndestination:/queue/a\nack:client\n\n\0'],
      ['broker', 'MESSAGE\ndestination:/queue/a\nmessage-id:m1\n\nx\0'], ['client', 'NACK\nmessage-id:m1\n\n\0']]);
    expect(a.codes).toEqual(['nack-in-1-0']);
  });
  it('not on 1.1', () => {
    expect(analyze([...handshake('1.1'), ['client', sub('s1', 'client')], ['broker', msg11(1)], ['client', 'NACK\nmessage-id:m1\nsubscription:s1\n\n\0']]).codes).toEqual([]);
  });
});

describe('frame-after-disconnect', () => {
  it('a client frame after DISCONNECT', () => {
    const a = analyze([...handshake('1.2'), ['client', 'DISCONNECT\n\n\0'], ['client', 'SEND\ndestination:/queue/a\n\nlate\0']]);
    expect(a.codes).toEqual(['frame-after-disconnect']);
    expect(a.findings[0].frameId).toBe(a.id('SEND'));
  });
  it('not for the broker\'s RECEIPT after DISCONNECT', () => {
    expect(analyze([...handshake('1.2'), ['client', 'DISCONNECT\nreceipt:bye\n\n\0'], ['broker', 'RECEIPT\nreceipt-id:bye\n\n\0']]).codes).toEqual([]);
  });
});

describe('receipt-missing', () => {
  it('a receipt never answered is reported at close, on the asking frame', () => {
    const a = analyze([...handshake('1.2'), ['client', 'SEND\ndestination:/queue/a\nreceipt:r7\n\nx\0'], ['client', 'DISCONNECT\nreceipt:bye\n\n\0']]);
    expect(a.codes).toEqual(['receipt-missing', 'disconnect-receipt-missing']);
    expect(a.findings.map((f) => f.frameId)).toEqual([a.id('SEND'), a.id('DISCONNECT')]);
    expect(a.findings[0].message).toContain('"r7"');
  });
  it('a DISCONNECT receipt the broker never sent (RabbitMQ Web STOMP closes at DISCONNECT): a note, since the connection closed as asked', () => {
    const a = analyze([...handshake('1.2'), ['client', 'DISCONNECT\nreceipt:close-1\n\n\0']]);
    expect(a.findings).toEqual([expect.objectContaining({ code: 'disconnect-receipt-missing', severity: 'note', frameId: a.id('DISCONNECT') })]);
  });
  it('not when a RECEIPT, or an ERROR with the receipt-id, answers', () => {
    expect(analyze([...handshake('1.2'), ['client', 'SEND\ndestination:/queue/a\nreceipt:r7\n\nx\0'], ['broker', 'RECEIPT\nreceipt-id:r7\n\n\0']]).codes).toEqual([]);
    const e = analyze([...handshake('1.2'), ['client', 'SEND\ndestination:/queue/a\nreceipt:r7\n\nx\0'], ['broker', 'ERROR\nreceipt-id:r7\nmessage:no\n\n\0']]);
    expect(e.codes).toEqual(['error-frame']);
  });
  it('past maxListed, the rest are summed up in one', () => {
    const sends = Array.from({ length: 5 }, (_, i) => ['client', `SEND\ndestination:/q\nreceipt:r${i}\n\n\0`] as ['client', string]);
    const a = analyze([...handshake('1.2'), ...sends], { maxListed: 2 });
    expect(a.codes).toEqual(['receipt-missing', 'receipt-missing', 'receipt-missing']);
    expect(a.findings[2]).toMatchObject({ frameId: null, message: '3 more receipts never answered' });
  });
});

describe('error-frame', () => {
  it('quotes the broker\'s message header', () => {
    const a = analyze([...handshake('1.2'), ['broker', 'ERROR\nmessage:Access refused for user guest\ncontent-type:text/plain\n\ndetails\0']]);
    expect(a.findings).toEqual([expect.objectContaining({ code: 'error-frame', severity: 'warning', frameId: a.id('ERROR'), dir: 'broker', message: 'ERROR: Access refused for user guest' })]);
  });
  it('an ERROR answering CONNECT closes the connect link', () => {
    const a = analyze([['client', 'CONNECT\naccept-version:1.2\nhost:/\n\n\0', 0], ['broker', 'ERROR\nmessage:bad login\n\n\0', 3]]);
    expect(a.links).toEqual([{ kind: 'connect', fromFrameId: a.id('CONNECT'), toFrameId: a.id('ERROR'), latencyUs: 3000 }]);
  });
  it('no finding without an ERROR', () => {
    expect(analyze([...handshake('1.2'), ['broker', 'RECEIPT\nreceipt-id:x\n\n\0']]).codes).toEqual([]);
  });
});

describe('transaction-open', () => {
  it('a BEGIN without COMMIT or ABORT at close', () => {
    const a = analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:t1\n\n\0'], ['client', 'SEND\ndestination:/q\ntransaction:t1\n\nx\0']]);
    expect(a.codes).toEqual(['transaction-open']);
    expect(a.findings[0]).toMatchObject({ frameId: a.id('BEGIN'), message: expect.stringContaining('(1 SEND)') });
  });
  it('not when committed or aborted', () => {
    expect(analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:t1\n\n\0'], ['client', 'COMMIT\ntransaction:t1\n\n\0']]).codes).toEqual([]);
    expect(analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:t1\n\n\0'], ['client', 'ABORT\ntransaction:t1\n\n\0']]).codes).toEqual([]);
  });
});

describe('message-unacked', () => {
  it('client-individual: a MESSAGE neither ACKed nor NACKed at close', () => {
    const a = analyze([...handshake('1.2'), ['client', sub('s1', 'client-individual')], ['broker', msg12(1)], ['broker', msg12(2)],
      ['client', 'ACK\nid:a1\n\n\0']]);
    expect(a.codes).toEqual(['message-unacked']);
    expect(a.findings[0]).toMatchObject({ frameId: a.id('MESSAGE', 1), dir: 'broker', message: expect.stringContaining('"m2"') });
  });
  it('client mode: an ACK settles the earlier MESSAGEs too (cumulative), not the later ones', () => {
    const a = analyze([...handshake('1.2'), ['client', sub('s1', 'client')], ['broker', msg12(1)], ['broker', msg12(2)], ['broker', msg12(3)],
      ['client', 'ACK\nid:a2\n\n\0']]);
    expect(a.findings.map((f) => [f.code, f.frameId])).toEqual([['message-unacked', a.id('MESSAGE', 2)]]);
  });
  it('client-individual is not cumulative', () => {
    const a = analyze([...handshake('1.1'), ['client', sub('s1', 'client-individual')], ['broker', msg11(1)], ['broker', msg11(2)],
      ['client', 'ACK\nmessage-id:m2\nsubscription:s1\n\n\0']]);
    expect(a.findings.map((f) => [f.code, f.frameId])).toEqual([['message-unacked', a.id('MESSAGE', 0)]]);
  });
  it('not in auto mode, nor when NACKed', () => {
    expect(analyze([...handshake('1.2'), ['client', sub('s1')], ['broker', `MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\n\nx\0`]]).codes).toEqual([]);
    expect(analyze([...handshake('1.2'), ['client', sub('s1', 'client-individual')], ['broker', msg12(1)], ['client', 'NACK\nid:a1\n\n\0']]).codes).toEqual([]);
  });
});

describe('ack-unknown-message', () => {
  it('an ACK naming no MESSAGE of the connection', () => {
    const a = analyze([...handshake('1.2'), ['client', sub('s1', 'client-individual')], ['broker', msg12(1)], ['client', 'ACK\nid:m1\n\n\0'], ['client', 'ACK\nid:a1\n\n\0']]);
    expect(a.codes).toEqual(['ack-unknown-message']);
    expect(a.findings[0]).toMatchObject({ frameId: a.id('ACK', 0), message: expect.stringContaining('id:m1') });
  });
  it('not on a capture picked up mid-stream (no CONNECTED: the version is unknown)', () => {
    expect(analyze([['client', 'ACK\nid:zz\n\n\0']]).codes).toEqual([]);
  });
});

describe('times', () => {
  it('findings at close are placed at the frame they are about', () => {
    const a = analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:t\n\n\0', 50]], { closeAtMs: 900 });
    expect(a.findings[0].time).toBe(T0 + 50_000);
  });
});

describe('clean sessions of real clients raise nothing worse than a note', () => {
  it('PHP stomp 1.0: CONNECT with host and no accept-version, client ack by ack($frame) copying every MESSAGE header, no DISCONNECT receipt', () => {
    const a = analyze([
      ['client', 'CONNECT\nlogin:guest\npasscode:guest\nhost:/\n\n\0'],
      ['broker', 'CONNECTED\nserver:RabbitMQ/3.10.8\nsession:s1\nheart-beat:0,0\nversion:1.0\n\n\0\n'],
      ['client', 'SUBSCRIBE\nack:client\ndestination:/queue/a\n\n\0'],
      ['broker', 'MESSAGE\ndestination:/queue/a\nmessage-id:Q_a@@s1@@1\nredelivered:false\ntransaction:tx-of-the-producer\nreceipt:r-of-the-producer\ncontent-length:2\n\nhi\0\n'],
      // ack($frame): the MESSAGE's headers, content-length aside, sent back (including transaction and receipt).
      ['client', 'ACK\ndestination:/queue/a\nmessage-id:Q_a@@s1@@1\nredelivered:false\ntransaction:tx-of-the-producer\nreceipt:r-of-the-producer\n\n\0'],
      ['broker', 'RECEIPT\nreceipt-id:r-of-the-producer\n\n\0\n'],
      ['client', 'DISCONNECT\n\n\0'],
    ]);
    expect(a.findings.filter((f) => f.severity !== 'note')).toEqual([]);
  });
  it('Net::Stomp 1.0: headers in any order', () => {
    const a = analyze([
      ['client', 'CONNECT\nhost:/\npasscode:guest\nlogin:guest\n\n\0'],
      ['broker', 'CONNECTED\nversion:1.0\nheart-beat:0,0\nsession:s2\nserver:RabbitMQ/3.10.8\n\n\0\n'],
      ['client', 'SUBSCRIBE\ndestination:/queue/b\nack:client\n\n\0'],
      ['broker', 'MESSAGE\nmessage-id:Q_b@@s2@@1\ndestination:/queue/b\nredelivered:false\ncontent-length:2\n\nhi\0\n'],
      ['client', 'ACK\nmessage-id:Q_b@@s2@@1\n\n\0'],
      ['client', 'DISCONNECT\n\n\0'],
    ]);
    expect(a.findings).toEqual([]);
  });
});
