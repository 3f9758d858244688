// Version and heart-beat negotiation as a conversation: what the client offers, what the broker answers.
import { describe, expect, it } from 'vitest';
import { negotiateHeartBeat, parseHeartBeat, VersionTracker } from '../../shared/stomp/version.js';

describe('VersionTracker', () => {
  it('is null until CONNECTED, then takes its version header', () => {
    const t = new VersionTracker();
    expect(t.version).toBeNull();
    expect(t.observe('client', { command: 'CONNECT', headers: [['accept-version', '1.0,1.1,1.2'], ['host', 'h']] })).toEqual([]);
    expect(t.version).toBeNull();
    expect(t.offered).toEqual(['1.0', '1.1', '1.2']);
    expect(t.observe('broker', { command: 'CONNECTED', headers: [['version', '1.1']] })).toEqual([]);
    expect(t.version).toBe('1.1');
  });

  it('a 1.0 broker sends no version header: 1.0', () => {
    const t = new VersionTracker();
    t.observe('client', { command: 'CONNECT', headers: [['login', 'guest']] });
    t.observe('broker', { command: 'CONNECTED', headers: [['session', 'ID:1']] });
    expect(t.version).toBe('1.0');
  });

  it('the STOMP command negotiates like CONNECT', () => {
    const t = new VersionTracker();
    t.observe('client', { command: 'STOMP', headers: [['accept-version', '1.2']] });
    expect(t.observe('broker', { command: 'CONNECTED', headers: [['version', '1.2']] })).toEqual([]);
    expect(t.version).toBe('1.2');
  });

  it('ignores frames that do not negotiate, and a CONNECTED sent by the client', () => {
    const t = new VersionTracker();
    t.observe('broker', { command: 'ERROR', headers: [['version', '1.2']] });
    t.observe('client', { command: 'CONNECTED', headers: [['version', '1.2']] });
    expect(t.version).toBeNull();
  });

  it('flags a version the client did not offer', () => {
    const t = new VersionTracker();
    t.observe('client', { command: 'CONNECT', headers: [['accept-version', '1.1']] });
    const issues = t.observe('broker', { command: 'CONNECTED', headers: [['version', '1.2']], offset: 99 });
    expect(issues).toMatchObject([{ code: 'version-not-offered', offset: 99 }]);
    expect(t.version).toBe('1.2');
  });

  it('flags an unknown version and reads the connection as 1.2', () => {
    const t = new VersionTracker();
    const issues = t.observe('broker', { command: 'CONNECTED', headers: [['version', '2.0']] });
    expect(issues.map((i) => i.code)).toEqual(['unknown-version']);
    expect(t.version).toBe('1.2');
  });

  it('first version header wins', () => {
    const t = new VersionTracker();
    t.observe('broker', { command: 'CONNECTED', headers: [['version', '1.1'], ['version', '1.2']] });
    expect(t.version).toBe('1.1');
  });

  it('negotiates heart-beats from both sides', () => {
    const t = new VersionTracker();
    t.observe('client', { command: 'CONNECT', headers: [['accept-version', '1.2'], ['heart-beat', '10000,10000']] });
    expect(t.heartBeats()).toBeNull();
    t.observe('broker', { command: 'CONNECTED', headers: [['version', '1.2'], ['heart-beat', '0,30000']] });
    expect(t.heartBeats()).toEqual({ clientToBroker: 30000, brokerToClient: 0 });
  });

  it('flags a malformed heart-beat header', () => {
    const t = new VersionTracker();
    expect(t.observe('client', { command: 'CONNECT', headers: [['heart-beat', '10s']] })).toMatchObject([
      { code: 'bad-heart-beat' },
    ]);
    expect(t.clientHeartBeat).toBeNull();
  });
});

describe('parseHeartBeat', () => {
  it('reads cx,cy; missing means 0,0; junk is null', () => {
    expect(parseHeartBeat('4000,5000')).toEqual([4000, 5000]);
    expect(parseHeartBeat('0,0')).toEqual([0, 0]);
    expect(parseHeartBeat(' 10 , 20 ')).toEqual([10, 20]);
    expect(parseHeartBeat(undefined)).toEqual([0, 0]);
    for (const junk of ['', '1', '1,2,3', '-1,0', 'a,b', '1.5,2']) expect(parseHeartBeat(junk)).toBeNull();
  });
});

describe('negotiateHeartBeat (STOMP 1.2 §Heart-beating)', () => {
  it('each way is the max of what one side can send and the other wants, 0 if either says 0', () => {
    expect(negotiateHeartBeat([4000, 4000], [10000, 2000])).toEqual({ clientToBroker: 4000, brokerToClient: 10000 });
    expect(negotiateHeartBeat([0, 4000], [10000, 2000])).toEqual({ clientToBroker: 0, brokerToClient: 10000 });
    expect(negotiateHeartBeat([4000, 0], [10000, 0])).toEqual({ clientToBroker: 0, brokerToClient: 0 });
  });
});
