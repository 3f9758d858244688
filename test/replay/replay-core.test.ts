// Replay as a conversation: a scripted recording in, a scripted fake broker on 127.0.0.1 as the target, and
// the frames the broker received (split by the tests' own oracle) out. Covers ACK re-pointing per version,
// waits and their timeouts, credentials, destination mapping, escaping and the replay's own recording.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayConnection, type ReplayOptions } from '../../src-main/core/replay/replay.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { runCli } from '../support/proxy-cli.js';
import { splitStream } from '../support/stomp-wire.js';
import { fakeBroker, frame, hv, recordConversation, tmpDir, type FakeBroker, type Item } from './support.js';

const dirs: string[] = [];
const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function db(): string {
  const d = tmpDir();
  dirs.push(d);
  return path.join(d, 'r.db');
}

/** A recorded client/broker exchange with two MESSAGEs acknowledged in reverse order, for `version`. */
function ackConversation(version: '1.0' | '1.1' | '1.2'): Item[] {
  const ackOf = (mid: string, ack: string): Array<[string, string]> =>
    version === '1.2' ? [['id', ack]] : version === '1.1' ? [['message-id', mid], ['subscription', 's1']] : [['message-id', mid]];
  const msg = (mid: string, ack: string, body: string) =>
    frame('MESSAGE', [['destination', '/queue/q'], ['message-id', mid], ['subscription', 's1'], ...(version === '1.2' ? [['ack', ack] as [string, string]] : [])], body);
  return [
    { from: 'client', data: frame('CONNECT', [['accept-version', version], ['host', '/'], ['login', 'guest'], ['passcode', 'guest']]) },
    { from: 'broker', data: frame('CONNECTED', version === '1.0' ? [['session', 'S-1']] : [['version', version]]) },
    { from: 'client', data: frame('SUBSCRIBE', [['id', 's1'], ['destination', '/queue/q'], ['ack', 'client-individual']]) },
    { from: 'broker', data: msg('m-1', 'A-1', 'one') },
    { from: 'broker', data: msg('m-2', 'A-2', 'two') },
    { from: 'client', data: frame('ACK', ackOf('m-2', 'A-2')) },
    { from: 'client', data: frame('ACK', [...ackOf('m-1', 'A-1'), ['receipt', 'r-ack']]) },
    { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r-ack']]) },
    { from: 'client', data: frame('DISCONNECT', [['receipt', 'r-d']]) },
    { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r-d']]) },
  ];
}

/** A broker that speaks `version` and delivers two MESSAGEs with its own ids on each SUBSCRIBE. */
function scriptedBroker(version: '1.0' | '1.1' | '1.2', opts: { receipts?: boolean; messages?: number } = {}) {
  return fakeBroker((f, send, sock) => {
    const receipt = hv(f, 'receipt');
    if (f.command === 'CONNECT' || f.command === 'STOMP') send(frame('CONNECTED', version === '1.0' ? [] : [['version', version]]));
    if (f.command === 'SUBSCRIBE') {
      for (let i = 1; i <= (opts.messages ?? 2); i++) {
        const h: Array<[string, string]> = [['destination', hv(f, 'destination')!], ['message-id', `X-m${i}`], ['subscription', hv(f, 'id')!]];
        if (version === '1.2') h.push(['ack', `X-a${i}`]);
        send(frame('MESSAGE', h, `body ${i}`));
      }
    }
    if (receipt && opts.receipts !== false) send(frame('RECEIPT', [['receipt-id', receipt]]));
    if (f.command === 'DISCONNECT') sock.end();
  });
}

const base = (dbPath: string, connection: number, port: number): ReplayOptions => ({
  dbPath, connection, target: { host: '127.0.0.1', port }, speed: null, timeoutMs: 5000,
});

describe('replay: ACK/NACK re-pointed at the replay’s own MESSAGEs', () => {
  it.each([
    // recorded version, target version, expected identification headers of the two ACKs
    ['1.2', '1.2', [[['id', 'X-a2']], [['id', 'X-a1'], ['receipt', 'r-ack']]]],
    ['1.1', '1.1', [[['message-id', 'X-m2'], ['subscription', 's1']], [['message-id', 'X-m1'], ['subscription', 's1'], ['receipt', 'r-ack']]]],
    ['1.0', '1.0', [[['message-id', 'X-m2']], [['message-id', 'X-m1'], ['receipt', 'r-ack']]]],
    // Another broker negotiating another version: the identification follows the replay's version.
    ['1.2', '1.1', [[['message-id', 'X-m2'], ['subscription', 's1']], [['message-id', 'X-m1'], ['subscription', 's1'], ['receipt', 'r-ack']]]],
    ['1.1', '1.2', [[['id', 'X-a2']], [['id', 'X-a1'], ['receipt', 'r-ack']]]],
  ] as const)('recorded %s, target %s', async (recorded, target, expected) => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, ackConversation(recorded));
    const broker = await scriptedBroker(target);
    brokers.push(broker);
    const r = await replayConnection(base(dbPath, connection, broker.port));
    expect(r.findings).toEqual([]);
    expect(r.version).toBe(target);
    const got = broker.connections[0];
    expect(got.map((f) => f.command)).toEqual(['CONNECT', 'SUBSCRIBE', 'ACK', 'ACK', 'DISCONNECT']);
    expect(got.filter((f) => f.command === 'ACK').map((f) => f.rawHeaders)).toEqual(expected);
    expect(r).toMatchObject({ sent: 5, received: 1 + 2 + 2 });
  });
});

describe('replay: waits and timeouts', () => {
  it('a missing RECEIPT is a finding after --timeout, not a hang; an ACK of a MESSAGE that never came is not sent', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SUBSCRIBE', [['id', 's1'], ['destination', '/queue/q'], ['ack', 'client'], ['receipt', 'r-sub']]) },
      { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r-sub']]) },
      { from: 'broker', data: frame('MESSAGE', [['subscription', 's1'], ['message-id', '1'], ['ack', 'a1'], ['destination', '/queue/q']]) },
      { from: 'client', data: frame('ACK', [['id', 'a1']]) },
      { from: 'client', data: frame('DISCONNECT', []) },
    ]);
    // This broker never answers a receipt and delivers nothing.
    const broker = await scriptedBroker('1.2', { receipts: false, messages: 0 });
    brokers.push(broker);
    const t0 = performance.now();
    const r = await replayConnection({ ...base(dbPath, connection, broker.port), timeoutMs: 300 });
    const took = performance.now() - t0;
    expect(took).toBeLessThan(5000);
    expect(took).toBeGreaterThanOrEqual(290);
    // The recorded ACK by its seq in the connection and its number in the session (the sixth frame).
    expect(r.findings.map((f) => [f.code, f.seq, f.number])).toEqual([['replay-timeout', 5, 6], ['replay-ack-unmapped', 5, 6]]);
    expect(r.findings[0].message).toMatch(/RECEIPT r-sub.*MESSAGE #1 on subscription s1.*300 ms/);
    expect(broker.connections[0].map((f) => f.command)).toEqual(['CONNECT', 'SUBSCRIBE', 'DISCONNECT']);
  });

  it('waits for the answer the original waited for before sending on', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/q'], ['receipt', 'r1']], 'x') },
      { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r1']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/q']], 'y') },
    ]);
    let answeredAt = 0;
    const arrivals: Array<[string, number]> = [];
    const broker = await fakeBroker((f, send) => {
      arrivals.push([f.command, performance.now()]);
      if (f.command === 'CONNECT') send(frame('CONNECTED', [['version', '1.2']]));
      if (hv(f, 'receipt') === 'r1') {
        // A slow broker: the receipt comes 400 ms later; the second SEND must not come before it.
        setTimeout(() => {
          answeredAt = performance.now();
          send(frame('RECEIPT', [['receipt-id', 'r1']]));
        }, 400);
      }
    });
    brokers.push(broker);
    const r = await replayConnection(base(dbPath, connection, broker.port));
    expect(r.findings).toEqual([]);
    const second = arrivals.filter(([c]) => c === 'SEND')[1];
    expect(second).toBeDefined();
    expect(second[1]).toBeGreaterThanOrEqual(answeredAt);
  });

  it('keeps recorded pauses scaled by --speed, and drops them as fast as possible', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/q']], 'a'), pauseMs: 20 },
      { from: 'client', data: frame('SEND', [['destination', '/queue/q']], 'b'), pauseMs: 600 },
    ]);
    const gap = async (speed: number | null) => {
      const at: number[] = [];
      const broker = await fakeBroker((f, send) => {
        if (f.command === 'CONNECT') send(frame('CONNECTED', [['version', '1.2']]));
        if (f.command === 'SEND') at.push(performance.now());
      });
      brokers.push(broker);
      await replayConnection({ ...base(dbPath, connection, broker.port), speed });
      return at[1] - at[0];
    };
    expect(await gap(1)).toBeGreaterThanOrEqual(550);
    const half = await gap(2);
    expect(half).toBeGreaterThanOrEqual(270);
    expect(half).toBeLessThan(550);
    expect(await gap(null)).toBeLessThan(250);
  });
});

describe('replay: heart-beats', () => {
  it('sends heart-beats as negotiated while it waits out a recorded pause (STOMP 1.2 §Heart-beating)', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/'], ['heart-beat', '100,0']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2'], ['heart-beat', '0,200']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/q']], 'a') },
      { from: 'client', data: frame('SEND', [['destination', '/queue/q']], 'b'), pauseMs: 900 },
    ]);
    const broker = await fakeBroker((f, send) => {
      if (f.command === 'CONNECT') send(frame('CONNECTED', [['version', '1.2'], ['heart-beat', '0,200']]));
    });
    brokers.push(broker);
    const r = await replayConnection({ ...base(dbPath, connection, broker.port), speed: 1 });
    expect(r.findings).toEqual([]);
    // Negotiated: every max(100, 200) = 200 ms; ~900 ms of pause holds at least 3.
    const { heartbeats, frames } = splitStream(Buffer.concat(broker.bytes[0]));
    expect(frames.map((f) => f.command)).toEqual(['CONNECT', 'SEND', 'SEND']);
    expect(heartbeats).toBeGreaterThanOrEqual(3);
    expect(heartbeats).toBeLessThan(15);
  });
});

describe('replay: credentials', () => {
  const withPasscode = (passcode: string | null): Item[] => [
    { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/'], ['login', 'app'], ...(passcode === null ? [] : [['passcode', passcode] as [string, string]])]) },
    { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
    { from: 'client', data: frame('DISCONNECT', []) },
  ];

  it.each([['****'], [null]])('a masked passcode (%s) is refused before connecting, with one line and exit 2', async (passcode) => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, withPasscode(passcode));
    const broker = await scriptedBroker('1.2');
    brokers.push(broker);
    const r = await runCli(['replay', '--db', dbPath, '--connection', String(connection), '--target', `127.0.0.1:${broker.port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/passcode/);
    expect(broker.connections).toHaveLength(0);
  });

  it('--login/--passcode replace the recorded ones, unescaped as CONNECT requires', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, withPasscode('****'));
    const broker = await scriptedBroker('1.2');
    brokers.push(broker);
    const r = await replayConnection({ ...base(dbPath, connection, broker.port), login: 'other', passcode: 'se:cr\\et' });
    expect(r.findings).toEqual([]);
    // STOMP 1.2 §Value Encoding: CONNECT headers are never escaped, so ':' and '\' go out as they are.
    expect(broker.connections[0][0].rawHeaders).toEqual([['accept-version', '1.2'], ['host', '/'], ['login', 'other'], ['passcode', 'se:cr\\et']]);
  });
});

describe('replay: frames on the wire', () => {
  const conversation = (): Item[] => [
    { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
    { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
    { from: 'client', data: frame('SEND', [['destination', '/queue/from'], ['x-esc', 'a\\cb\\\\c\\nd'], ['content-length', '3']], 'a\0b') },
    { from: 'client', data: frame('SEND', [['destination', '/queue/other'], ['x-esc', 'a\\cb']], 'keep') },
    { from: 'client', data: 'FROB\nx:1\n\n\0' },
    { from: 'client', data: frame('DISCONNECT', []) },
  ];

  it('unchanged frames go out as recorded bytes; mapped destinations are re-encoded with escaping kept; unknown commands are skipped', async () => {
    const dbPath = db();
    const { connection, session } = await recordConversation(dbPath, conversation());
    const broker = await scriptedBroker('1.2');
    brokers.push(broker);
    const r = await replayConnection({ ...base(dbPath, connection, broker.port), mapDestination: new Map([['/queue/from', '/queue/to:1']]) });
    expect(r.findings.map((f) => [f.code, f.seq])).toEqual([['replay-frame-skipped', 4]]);
    const got = broker.connections[0];
    expect(got.map((f) => f.command)).toEqual(['CONNECT', 'SEND', 'SEND', 'DISCONNECT']);
    // The mapped destination is escaped for 1.2 (':' → '\c'); the other header keeps its meaning; body intact.
    expect(got[1].rawHeaders).toEqual([['destination', '/queue/to\\c1'], ['x-esc', 'a\\cb\\\\c\\nd'], ['content-length', '3']]);
    expect(got[1].body).toEqual(Buffer.from('a\0b'));
    // Untouched frames are byte-identical to the recording.
    const sent = Buffer.concat(broker.bytes[0]).toString('latin1');
    expect(sent).toContain(frame('SEND', [['destination', '/queue/other'], ['x-esc', 'a\\cb']], 'keep'));
    expect(sent.startsWith(frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]))).toBe(true);

    // The replay is a session of its own, kind 'replay', linked to the original, holding what was sent.
    const reader = new StoreReader(openDb(dbPath, { readonly: true }));
    try {
      const s = reader.sessions().find((x) => x.id === r.session)!;
      expect(s).toMatchObject({ kind: 'replay', state: 'complete' });
      expect(s.meta.replayOf).toEqual({ session, connection });
      const frames = [...reader.frames({ connection: r.connection! })];
      expect(frames.filter((f) => f.from === 'client').map((f) => f.command)).toEqual(['CONNECT', 'SEND', 'SEND', 'DISCONNECT']);
      expect(frames.filter((f) => f.from === 'broker').map((f) => f.command)).toEqual(['CONNECTED']);
      expect(frames[2].destination ?? frames[2].rawHeaders[0][1]).toMatch(/to/);
    } finally {
      reader.close();
    }
  });

  it('--until stops after the given client frame', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, conversation());
    const broker = await scriptedBroker('1.2');
    brokers.push(broker);
    const r = await replayConnection({ ...base(dbPath, connection, broker.port), until: 2 });
    expect(broker.connections[0].map((f) => f.command)).toEqual(['CONNECT', 'SEND']);
    expect(r.sent).toBe(2);
  });

  it('a broker that closes early is reported, with the frame that could not be sent', async () => {
    const dbPath = db();
    // The original client waited for the RECEIPT of its first SEND before going on, so the replay waits too:
    // the ERROR and the close come in that wait, however slow the machine (no race with recorded pauses).
    const { connection } = await recordConversation(dbPath, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/from'], ['receipt', 'r1']], 'a') },
      { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r1']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/other']], 'b') },
      { from: 'client', data: frame('DISCONNECT', []) },
    ]);
    const broker = await fakeBroker((f, send, sock) => {
      if (f.command === 'CONNECT') send(frame('CONNECTED', [['version', '1.2']]));
      if (f.command === 'SEND') {
        send(frame('ERROR', [['message', 'no such queue']], 'details'));
        sock.end();
      }
    });
    brokers.push(broker);
    const r = await replayConnection(base(dbPath, connection, broker.port));
    const codes = r.findings.map((f) => f.code);
    expect(codes).toContain('replay-broker-error');
    expect(r.findings.find((f) => f.code === 'replay-connection-closed')).toMatchObject({ seq: 4 });
    expect(codes).not.toContain('replay-timeout');
    expect(r.findings.find((f) => f.code === 'replay-broker-error')).toMatchObject({ seq: 2, message: expect.stringMatching(/no such queue/) });
    expect(r.sent).toBe(2);
  });
});

describe('stompscope replay / diff: arguments', () => {
  it.each([
    [['replay'], /--connection ID is required/],
    [['replay', '--connection', '1'], /--target HOST:PORT is required/],
    [['replay', '--connection', 'x', '--target', '1'], /not a positive integer/],
    [['replay', '--connection', '1', '--target', 'h:99999'], /not a port number/],
    [['replay', '--connection', '1', '--target', 'h:1', '--speed', '0'], /--speed: '0' is not a positive number/],
    [['replay', '--connection', '1', '--target', 'h:1', '--speed', '2', '--as-fast-as-possible'], /exclude each other/],
    [['replay', '--connection', '1', '--target', 'h:1', '--map-destination', 'nothing'], /is not FROM=TO/],
    [['replay', '--connection', '1', '--target', 'h:1', '--insecure'], /need --target-tls/],
    [['replay', '--connection', '1', '--target', 'h:1', '--timeout=-5'], /--timeout: '-5' is not a positive integer/],
    [['replay', '--connection', '1', '--target', 'h:1', '--bogus'], /unknown option/i],
    [['replay', '--connection', '1', '--target', 'h:1', '--db', '/nonexistent/x.db'], /no database/],
    [['diff', '--connection', '1'], /exactly twice/],
    [['diff', '--connection', '1', '--connection', 'b'], /not a positive integer/],
  ])('%j → exit 2, one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('an unknown connection is a usage error; an unreachable target exits 1 with one line', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
    ]);
    const none = await runCli(['replay', '--db', dbPath, '--connection', '99', '--target', '127.0.0.1:1']);
    expect([none.code, none.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(none.stderr).toMatch(/no connection 99/);
    // A port nobody listens on: take a free one and close it.
    const b = await fakeBroker(() => {});
    const port = b.port;
    await b.close();
    const r = await runCli(['replay', '--db', dbPath, '--connection', String(connection), '--target', `127.0.0.1:${port}`, '--timeout', '2000']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('--json prints one object with session, connection, sent, received and findings', async () => {
    const dbPath = db();
    const { connection } = await recordConversation(dbPath, ackConversation('1.2'));
    const broker = await scriptedBroker('1.2');
    brokers.push(broker);
    const r = await runCli(['replay', '--db', dbPath, '--connection', String(connection), '--target', `127.0.0.1:${broker.port}`, '--as-fast-as-possible', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ session: expect.any(Number), connection: expect.any(Number), sent: 5, received: 5, findings: [] });
  });
});
