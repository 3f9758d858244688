// The proxy must forward bytes no real peer sends, unchanged, stay up, and record what is wrong as issues
// (malformed input is data, not an exception; forwarding never waits on decoding).
//
// A fake broker (net.Server on 127.0.0.1) and a fake client exchange scripted bytes through the real proxy CLI.
// Both ends record every byte they receive; byte identity is checked directly: what the client received equals
// what the fake broker wrote, and what the broker received equals what the client wrote.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionFrames, expectSameBytes, findConnectionByDestination, header, pick } from '../support/checks.js';
import { connectionId, readJsonl, startProxy, type CliResult, type ConnectionRow, type JsonlFrame, type RunningProxy } from '../support/proxy-cli.js';
import { once } from '../support/once.js';
import { expectFrame, negotiatedVersion, splitStream } from '../support/stomp-wire.js';

const B = (s: string) => Buffer.from(s, 'latin1');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One step of a peer's script: bytes written at once, bytes written one per write (with a pause between), or a
 * wait until this peer has received `awaitBytes` bytes in total from the other side. The waits make each
 * exchange deterministic (e.g. the client sends after CONNECTED, as real clients do).
 */
type Step = { bytes: Buffer; byteByByte?: boolean } | { awaitBytes: number };

async function play(sock: net.Socket, steps: Step[], received: () => number) {
  for (const s of steps) {
    if ('awaitBytes' in s) {
      const deadline = Date.now() + 10_000;
      while (received() < s.awaitBytes) {
        if (Date.now() > deadline || sock.destroyed) throw new Error(`waited in vain for ${s.awaitBytes} bytes (got ${received()})`);
        await sleep(5);
      }
    } else if (!s.byteByByte) {
      sock.write(s.bytes);
      await sleep(20); // separate TCP segments, so chunking differs from frame boundaries
    } else {
      for (const byte of s.bytes) {
        sock.write(Buffer.of(byte));
        await sleep(2); // bounded: a few dozen bytes
      }
    }
  }
}

const concat = (steps: Step[]) => Buffer.concat(steps.flatMap((s) => ('bytes' in s ? [s.bytes] : [])));
const len = (...b: Buffer[]) => b.reduce((n, x) => n + x.length, 0);

// ---- connection 1: malformed both ways ----------------------------------------------------------------------
const C1 = {
  connect: B('CONNECT\naccept-version:1.2\nhost:/\n\n\0'),
  // undefined escape (\t) in a 1.2 header value
  badEscape: B('SEND\ndestination:/queue/malformed-a\nx-bad:tab\\there\n\nundefined escape from the client\0'),
  // content-length shorter than the body: no NUL where it must be
  shortLength: B('SEND\ndestination:/queue/malformed-a\ncontent-length:3\n\nabcdef\0'),
  // garbage between frames
  garbage: B('\xff\xfe\x01garbage \x7f bytes\0'),
  // a good frame, one byte per write
  split: B('SEND\ndestination:/queue/malformed-b\n\nsplit\0'),
};
const B1 = {
  connected: B('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:fake/1.0\n\n\0'),
  garbage: B('\0\0\xde\xad\xbe\xefNOT A FRAME\r\r\r\0'),
  // content-length shorter than the body, then a non-numeric one
  shortLength: B('MESSAGE\ndestination:/queue/malformed-a\nmessage-id:1\nsubscription:s\ncontent-length:2\n\nhello\0'),
  badLength: B('MESSAGE\ndestination:/queue/malformed-a\nmessage-id:1b\nsubscription:s\ncontent-length:lots\n\nhello\0'),
  badEscape: B('MESSAGE\ndestination:/queue/malformed-a\nmessage-id:2\nsubscription:s\nx-bad:tab\\there\n\nbody\0'),
  split: B('MESSAGE\ndestination:/queue/malformed-a\nmessage-id:3\nsubscription:s\n\nsplit into single bytes\0'),
  // a frame with no NUL, then the broker closes
  noNul: B('MESSAGE\ndestination:/queue/malformed-a\nmessage-id:4\n\nno NUL and then close'),
};
const CLIENT_1: Step[] = [
  { bytes: C1.connect },
  { awaitBytes: len(B1.connected) },
  { bytes: C1.badEscape },
  { bytes: C1.shortLength },
  { bytes: C1.garbage },
  { bytes: C1.split, byteByByte: true },
];
const BROKER_1: Step[] = [
  { awaitBytes: len(C1.connect) },
  { bytes: B1.connected },
  { awaitBytes: len(...Object.values(C1)) },
  { bytes: B1.garbage },
  { bytes: B1.shortLength },
  { bytes: B1.badLength },
  { bytes: B1.badEscape },
  { bytes: B1.split, byteByByte: true },
  { bytes: B1.noNul },
];

// ---- connection 2: the client sends half a frame and resets -------------------------------------------------
const C2 = { connect: B('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), half: B('SEND\ndestination:/queue/half\n\nhalf a fr') };
const B2 = { connected: B('CONNECTED\nversion:1.2\n\n\0'), gotIt: B('\n') };
const CLIENT_2: Step[] = [{ bytes: C2.connect }, { awaitBytes: len(B2.connected) }, { bytes: C2.half }, { awaitBytes: len(B2.connected, B2.gotIt) }];
const BROKER_2: Step[] = [{ awaitBytes: len(C2.connect) }, { bytes: B2.connected }, { awaitBytes: len(C2.connect, C2.half) }, { bytes: B2.gotIt }];

// ---- connection 3: a clean exchange, to show the proxy still works ---------------------------------------
const C3 = {
  connect: B('CONNECT\naccept-version:1.1,1.2\nhost:/\nheart-beat:0,0\n\n\0'),
  send: B('SEND\ndestination:/queue/clean\nreceipt:r1\ncontent-length:5\nx-esc:a\\cb\\nc\\\\d\n\nhello\0'),
  heartbeat: B('\n'),
  disconnect: B('DISCONNECT\nreceipt:r2\n\n\0'),
};
const B3 = {
  connected: B('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'),
  receipt1: B('RECEIPT\nreceipt-id:r1\n\n\0\n'), // with a trailing EOL, as RabbitMQ does
  receipt2: B('RECEIPT\nreceipt-id:r2\n\n\0'),
};
const CLIENT_3: Step[] = [
  { bytes: C3.connect },
  { awaitBytes: len(B3.connected) },
  { bytes: C3.send },
  { awaitBytes: len(B3.connected, B3.receipt1) },
  { bytes: C3.heartbeat },
  { bytes: C3.disconnect },
];
const BROKER_3: Step[] = [
  { awaitBytes: len(C3.connect) },
  { bytes: B3.connected },
  { awaitBytes: len(C3.connect, C3.send) },
  { bytes: B3.receipt1 },
  { awaitBytes: len(...Object.values(C3)) },
  { bytes: B3.receipt2 },
];

interface FakeBrokerConn {
  received: Buffer[];
  done: Promise<void>;
}

/** The fake broker: connection i plays script i, then closes (or, with keepOpen, waits for the client to go). */
async function startFakeBroker(scripts: { steps: Step[]; keepOpen?: boolean }[]) {
  const conns: FakeBrokerConn[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    const script = scripts[conns.length];
    const received: Buffer[] = [];
    let got = 0;
    let finished!: () => void;
    const c: FakeBrokerConn = { received, done: new Promise<void>((r) => (finished = r)) };
    conns.push(c);
    sock.on('data', (d: Buffer) => {
      received.push(Buffer.from(d));
      got += d.length;
    });
    sock.on('error', () => {});
    sock.on('close', () => finished());
    if (!script) return void sock.destroy();
    (async () => {
      await play(sock, script.steps, () => got);
      if (script.keepOpen) await Promise.race([c.done, sleep(10_000)]);
      sock.end();
    })().catch(() => sock.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    conns,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The fake client: connect, play the script, then read until the proxy closes (or reset, if asked). */
async function fakeClient(port: number, steps: Step[], opts: { reset?: boolean } = {}) {
  const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const received: Buffer[] = [];
  let got = 0;
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  const ended = new Promise<void>((r) => sock.on('end', () => r()));
  sock.on('error', () => {});
  sock.on('data', (d: Buffer) => {
    received.push(Buffer.from(d));
    got += d.length;
  });
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  await play(sock, steps, () => got);
  if (opts.reset) {
    sock.resetAndDestroy();
  } else {
    await Promise.race([ended, sleep(15_000)]);
    sock.end();
  }
  await Promise.race([closed, sleep(5_000)]);
  return Buffer.concat(received);
}

describe('recording proxy with peers that send malformed bytes', () => {
  let dir = '';
  let db = '';
  let broker: Awaited<ReturnType<typeof startFakeBroker>>;
  let proxy: RunningProxy;
  let exit: CliResult | undefined;

  // The fake broker plays its scripts in connection order, so the three connections are steps that each wait
  // for the one before; the recording is read once all three are done. Every test awaits the steps it needs,
  // which run once in a full run and still run when a test runs alone.
  const exchange = async (n: number, client: Step[], opts?: { reset?: boolean }) => {
    const clientGot = await fakeClient(proxy.port, client, opts);
    await Promise.race([broker.conns[n]?.done, sleep(5_000)]);
    return clientGot;
  };
  const connection1 = once(() => exchange(0, CLIENT_1));
  const connection2 = once(async () => {
    await connection1();
    return exchange(1, CLIENT_2, { reset: true });
  });
  const connection3 = once(async () => {
    await connection2();
    return exchange(2, CLIENT_3);
  });
  const recording = once(async () => {
    await connection3();
    exit = await proxy.stop(30_000);
    const frames = await readJsonl<JsonlFrame>(['frames', '--db', db]);
    const connections = await readJsonl<ConnectionRow>(['connections', '--db', db]);
    return { exit, frames, connections };
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-malformed-'));
    db = path.join(dir, 's.db');
    broker = await startFakeBroker([{ steps: BROKER_1 }, { steps: BROKER_2, keepOpen: true }, { steps: BROKER_3 }]);
    proxy = await startProxy({ upstream: `127.0.0.1:${broker.port}`, db, name: 'malformed' });
  });

  afterAll(async () => {
    if (proxy && !exit) await proxy.stop(10_000);
    await broker?.close();
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('connection 1: garbage, bad content-length, undefined escapes, 1-byte writes, no NUL then close: every byte forwarded unchanged both ways', async () => {
    const clientGot = await connection1();
    expect(broker.conns.length).toBe(1);
    expectSameBytes(Buffer.concat(broker.conns[0].received), concat(CLIENT_1), 'client→broker');
    expectSameBytes(clientGot, concat(BROKER_1), 'broker→client');
  });

  it('connection 2: a client that resets mid-frame does not take the proxy down', async () => {
    const clientGot = await connection2();
    expect(broker.conns.length).toBe(2);
    expectSameBytes(Buffer.concat(broker.conns[1].received), concat(CLIENT_2), 'client→broker');
    expectSameBytes(clientGot, concat(BROKER_2), 'broker→client');
  });

  it('connection 3: the proxy is still up and serves a clean exchange', async () => {
    const clientGot = await connection3();
    expect(broker.conns.length).toBe(3);
    expectSameBytes(Buffer.concat(broker.conns[2].received), concat(CLIENT_3), 'client→broker');
    expectSameBytes(clientGot, concat(BROKER_3), 'broker→client');
  });

  it('SIGINT: exits 0 and the recording can be read back', async () => {
    const { exit, connections } = await recording();
    expect(exit.signal, exit.stderr).toBeNull();
    expect(exit.code, exit.stderr).toBe(0);
    expect(connections.length).toBe(3);
  });

  it('connection 1: issues are recorded in both directions, and good frames around them are decoded exactly', async () => {
    const { frames, connections } = await recording();
    const conn = findConnectionByDestination(frames, '/queue/malformed-b');
    expect(conn, 'connection 1 (its client sent to /queue/malformed-b)').toBeDefined();
    const rows = connectionFrames(frames, conn!);
    const issues = (dir: 'client' | 'broker') => rows.filter((f) => f.from === dir).flatMap((f) => f.issues);
    for (const i of rows.flatMap((f) => f.issues)) {
      expect(typeof i.code === 'string' && i.code.length > 0).toBe(true);
      expect(['error', 'warning', 'note']).toContain(i.severity);
      expect(typeof i.message).toBe('string');
    }
    expect(issues('client').length, 'issues on client frames').toBeGreaterThan(0);
    expect(issues('broker').length, 'issues on broker frames').toBeGreaterThan(0);

    // The undefined escapes belong to their frames.
    const badClientSend = rows.find((f) => f.from === 'client' && f.command === 'SEND' && f.headers.some(([k]) => k === 'x-bad'));
    expect(badClientSend?.issues.length, 'issue on the client SEND with an undefined escape').toBeGreaterThan(0);
    const badMessage = rows.find((f) => f.from === 'broker' && f.command === 'MESSAGE' && header(f, 'message-id') === '2');
    expect(badMessage?.issues.length, 'issue on the MESSAGE with an undefined escape').toBeGreaterThan(0);

    // Frames sent one byte per write decode exactly as if sent at once (decoders are chunking-independent).
    expect(rows.filter((f) => f.from === 'client' && header(f, 'destination') === '/queue/malformed-b').map(pick)).toEqual([
      expectFrame(splitStream(C1.split).frames[0], '1.2'),
    ]);
    expect(rows.filter((f) => f.from === 'broker' && header(f, 'message-id') === '3').map(pick)).toEqual([
      expectFrame(splitStream(B1.split).frames[0], '1.2'),
    ]);

    // Seven distinct problems were sent (garbage ×2, bad content-length ×3, undefined escape ×2) plus a stream
    // that ends inside a frame. Some may be reported together, and stream-level ones belong to no frame, so
    // count what the connection reports (connections JSONL `issues`: a count or a list) and what frames carry.
    const row = connections.find((c) => connectionId(c) === conn);
    expect(row).toBeDefined();
    const connIssues = typeof row!.issues === 'number' ? row!.issues : Array.isArray(row!.issues) ? row!.issues.length : 0;
    const frameIssues = rows.reduce((n, f) => n + f.issues.length, 0);
    expect(connIssues, 'connection-level issue count includes frame and stream issues').toBeGreaterThanOrEqual(frameIssues);
    expect(connIssues).toBeGreaterThanOrEqual(5);
  });

  it('connection 2: the half frame at the reset is reported', async () => {
    const { frames, connections } = await recording();
    const conn = findConnectionByDestination(frames, '/queue/half');
    const byOrder = connections.map(connectionId);
    // The half SEND never completed, so it may not be a frame: find the connection by order instead.
    const id = conn ?? byOrder[1];
    const row = connections.find((c) => connectionId(c) === id);
    expect(row).toBeDefined();
    const n = typeof row!.issues === 'number' ? row!.issues : Array.isArray(row!.issues) ? row!.issues.length : 0;
    expect(n, 'an issue for the stream that ended inside a frame').toBeGreaterThan(0);
  });

  it('connection 3: the clean exchange is recorded exactly, with its EOLs, and no issues', async () => {
    const { frames, connections } = await recording();
    const conn = findConnectionByDestination(frames, '/queue/clean');
    expect(conn).toBeDefined();
    const rows = connectionFrames(frames, conn!);
    const c = splitStream(concat(CLIENT_3));
    const s = splitStream(concat(BROKER_3));
    const v = negotiatedVersion(s.frames);
    expect(rows.filter((f) => f.from === 'client').map(pick)).toEqual(c.frames.map((f) => expectFrame(f, v)));
    expect(rows.filter((f) => f.from === 'broker').map(pick)).toEqual(s.frames.map((f) => expectFrame(f, v)));
    // x-esc:a\cb\nc\\d unescapes to "a:b\nc\d" in 1.2
    expect(header(rows.find((f) => f.command === 'SEND')!, 'x-esc')).toBe('a:b\nc\\d');
    expect(rows.flatMap((f) => f.issues)).toEqual([]);
    const row = connections.find((x) => connectionId(x) === conn);
    // Each side's lone EOL directly follows a frame's NUL, and heart-beat:0,0 negotiated none: no heart-beats.
    expect(row?.heartbeats).toEqual({ client: 0, broker: 0 });
  });
});
