// Broker profiles: detection from CONNECTED's server header, the user's choice winning, and each profile check
// with bytes that trigger it and bytes that must not.
import { describe, expect, it } from 'vitest';
import { detectProfile } from '../../shared/analysis/profiles.js';
import { analyze, handshake } from './analysis-helpers.js';

const server = (s: string) => handshake('1.2', { connected: `server:${s}\n` });

describe('detection from the server header', () => {
  it('knows the forms brokers send', () => {
    expect(detectProfile('RabbitMQ/3.12.1')).toBe('rabbitmq');
    expect(detectProfile('ActiveMQ/5.18.3')).toBe('activemq');
    expect(detectProfile('ActiveMQ-Artemis/2.4.0.amq-711002-redhat-1 ActiveMQ Artemis Messaging Engine')).toBe('artemis');
    expect(detectProfile('StompServer/0.9.9')).toBe('stompserver');
    expect(detectProfile('apache-apollo/1.7.1')).toBeNull();
    expect(detectProfile(undefined)).toBeNull();
  });
  it('reports the detected profile once; a chosen one is kept', () => {
    expect(analyze(server('RabbitMQ/3.10.8')).profiles).toEqual(['rabbitmq']);
    const chosen = analyze(server('RabbitMQ/3.10.8'), { profile: 'rocketmq' });
    expect(chosen.profiles).toEqual([]);
    expect(chosen.analyzer.profile).toBe('rocketmq');
  });
});

describe('jms-message-type (ActiveMQ classic, Artemis)', () => {
  const sends = [
    ['client', 'SEND\ndestination:/queue/a\ncontent-length:2\n\nhi\0'],
    ['client', 'SEND\ndestination:/queue/a\ncontent-length:2\n\nho\0'],
    ['client', 'SEND\ndestination:/queue/a\n\nhi\0'],
  ] as Array<['client', string]>;
  it('a hint on the first SEND of each kind per destination', () => {
    for (const s of ['ActiveMQ/5.18.3', 'ActiveMQ-Artemis/2.31.2 ActiveMQ Artemis Messaging Engine']) {
      const a = analyze([...server(s), ...sends]);
      expect(a.findings.map((f) => [f.code, f.frameId]), s).toEqual([['jms-message-type', a.id('SEND', 0)], ['jms-message-type', a.id('SEND', 2)]]);
      expect(a.findings[0].message).toContain('BytesMessage');
      expect(a.findings[1].message).toContain('TextMessage');
    }
  });
  it('not on RabbitMQ, nor without a known profile', () => {
    expect(analyze([...server('RabbitMQ/3.12.1'), ...sends]).codes).toEqual([]);
    expect(analyze([...handshake('1.2'), ...sends]).codes).toEqual([]);
  });
});

describe('artemis-durable-without-client-id', () => {
  const durable = 'SUBSCRIBE\nid:d1\ndestination:/topic/t\ndurable-subscription-name:orders\n\n\0';
  it('durable subscription headers without client-id on CONNECT', () => {
    const a = analyze([...server('ActiveMQ-Artemis/2.31.2'), ['client', durable]]);
    expect(a.codes).toEqual(['artemis-durable-without-client-id']);
    expect(analyze([...server('ActiveMQ-Artemis/2.31.2'), ['client', durable.replace('durable-subscription-name', 'durable-subscriber-name')]]).codes)
      .toEqual(['artemis-durable-without-client-id']);
  });
  it('not with client-id, nor on another broker', () => {
    expect(analyze([...handshake('1.2', { connect: 'client-id:app-1\n', connected: 'server:ActiveMQ-Artemis/2.31.2\n' }), ['client', durable]]).codes).toEqual([]);
    expect(analyze([...server('RabbitMQ/3.12.1'), ['client', durable]]).codes).toEqual([]);
  });
});

describe('RocketMQ STOMP gateway limits (profile chosen by the user)', () => {
  const opts = { profile: 'rocketmq' as const };
  const send = (tx: string, dest = '/t/orders') => ['client', `SEND\ndestination:${dest}\ntransaction:${tx}\n\nx\0`] as ['client', string];
  it('one open transaction', () => {
    const a = analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:a\n\n\0'], ['client', 'BEGIN\ntransaction:b\n\n\0'],
      ['client', 'COMMIT\ntransaction:a\n\n\0'], ['client', 'COMMIT\ntransaction:b\n\n\0']], opts);
    expect(a.findings.map((f) => [f.code, f.frameId])).toEqual([['rocketmq-transaction-limit', a.id('BEGIN', 1)]]);
  });
  it('at most three SENDs per transaction', () => {
    const a = analyze([...handshake('1.2'), ['client', 'BEGIN\ntransaction:a\n\n\0'], send('a'), send('a'), send('a'), send('a'), send('a'),
      ['client', 'COMMIT\ntransaction:a\n\n\0']], opts);
    expect(a.findings.map((f) => [f.code, f.frameId])).toEqual([['rocketmq-transaction-size', a.id('SEND', 3)]]);
  });
  it('destination charset and no selectors', () => {
    const a = analyze([...handshake('1.2'), ['client', 'SUBSCRIBE\nid:1\ndestination:/t/orders\nselector:a>1\n\n\0'],
      ['client', 'SEND\ndestination:/queue/orders\n\nx\0'], ['client', 'SEND\ndestination:/t/ord.ers\n\nx\0']], opts);
    expect(a.codes).toEqual(['rocketmq-selector', 'rocketmq-destination', 'rocketmq-destination']);
  });
  it('nothing for traffic within the limits, and no RocketMQ checks on other brokers', () => {
    const ok = [...handshake('1.2'), ['client', 'SUBSCRIBE\nid:1\ndestination:/t/orders_2-b\n\n\0'], ['client', 'BEGIN\ntransaction:a\n\n\0'],
      send('a'), send('a'), send('a'), ['client', 'COMMIT\ntransaction:a\n\n\0'], ['client', 'BEGIN\ntransaction:b\n\n\0'],
      ['client', 'ABORT\ntransaction:b\n\n\0']] as Array<['client' | 'broker', string]>;
    expect(analyze(ok, opts).codes).toEqual([]);
    const other = [...handshake('1.2'), ['client', 'SUBSCRIBE\nid:1\ndestination:/queue/x\nselector:a>1\n\n\0']] as Array<['client' | 'broker', string]>;
    expect(analyze(other).codes).toEqual([]);
  });
});
