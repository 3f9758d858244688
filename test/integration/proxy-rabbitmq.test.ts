// End to end: real clients (stomp.py, @stomp/stompjs) → the recording proxy, run through its CLI → a real
// RabbitMQ (test/support/global-setup.ts). Then the recording is read back through the CLI's JSONL output and
// checked against what really went over the wire.
//
// Byte identity: the proxy sits between two recording tees (test/support/tee.ts):
//     client → tee A → proxy → tee B → RabbitMQ
// so tee A holds exactly the bytes the client sent and received, tee B exactly the bytes the broker received
// and sent; "forwarded unchanged" is A.c2s == B.c2s and B.s2c == A.s2c. Each client also hashes its own socket
// traffic, which must equal tee A's (so the tee is not the thing being fooled).
//
// What "recorded" means is checked against an oracle independent of the product's decoder: the tee's bytes
// split by test/support/stomp-wire.ts, headers unescaped per the negotiated version. The clients' own logs
// must agree with that oracle too (so the test helpers are checked as well).
import { describe, expect, inject, it } from 'vitest';
import { connectionFrames, expectSameBytes, findConnectionByDestination, header, isoToMicros, pick, within } from '../support/checks.js';
import { loggedFrames, loggedHeartbeats, runStomppy } from '../support/clients/stomppy.js';
import { runStompjsScenario, type LogRecord, type ScenarioSummary } from '../support/clients/stompjs-scenario.js';
import {
  connectionId,
  ISO_MICROS,
  readJsonl,
  type ConnectionRow,
  type JsonlFrame,
} from '../support/proxy-cli.js';
import { expectFrame, negotiatedVersion, sha256 as sha, splitStream } from '../support/stomp-wire.js';
import { once } from '../support/once.js';
import type { TeeConnection } from '../support/tee.js';
import { useTeedProxy } from '../support/teed-proxy.js';

interface Scenario {
  name: string;
  client: 'stomp.py' | 'stompjs';
  version: '1.1' | '1.2';
  messages?: number;
  slow?: number; // seconds per message before ACK
  prefetch?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'stomp.py 1.2', client: 'stomp.py', version: '1.2' },
  { name: 'stomp.py 1.1', client: 'stomp.py', version: '1.1' },
  { name: 'stompjs 1.2', client: 'stompjs', version: '1.2' },
  { name: 'stompjs 1.1', client: 'stompjs', version: '1.1', messages: 1 },
  { name: 'stomp.py 1.2 slow consumer (prefetch 1)', client: 'stomp.py', version: '1.2', messages: 2, slow: 0.4, prefetch: 1 },
];

interface Run {
  scenario: Scenario;
  records: LogRecord[];
  summary: ScenarioSummary;
  a: TeeConnection; // client side of the proxy
  b: TeeConnection; // broker side of the proxy
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('recording proxy between real clients and RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  const t = useTeedProxy({
    dirPrefix: 'stompscope-it-',
    name: 'it-test',
    before: () => {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    },
    broker: () => ({ host: rabbit!.host, port: rabbit!.stompPort }),
  });
  let frames: JsonlFrame[] = [];
  let connections: ConnectionRow[] = [];
  let sessions: Record<string, unknown>[] = [];

  // Each scenario is a step done once: its own test awaits it, and so does every test that reads its traffic or
  // the recording, so any test can run alone. The recording is read once all scenarios ran and the proxy stopped.
  const scenario = new Map(SCENARIOS.map((sc) => [sc.name, once(async () => {
    const beforeA = t.teeA.connections.length;
    const beforeB = t.teeB.connections.length;
    const r = sc.client === 'stomp.py'
      ? await runStomppy({ port: t.teeA.port, version: sc.version, messages: sc.messages, slowS: sc.slow, prefetch: sc.prefetch })
      : await runStompjsScenario({ port: t.teeA.port, version: sc.version, messages: sc.messages, slowMs: (sc.slow ?? 0) * 1000, prefetch: sc.prefetch });
    const opened = { a: t.teeA.connections.length - beforeA, b: t.teeB.connections.length - beforeB };
    const a = t.teeA.connections[beforeA];
    const b = t.teeB.connections[beforeB];
    // One TCP connection per scenario on each side of the proxy; wait until both are fully closed.
    if (a) await within(a.closed, 10_000, 'client-side connection close');
    if (b) await within(b.closed, 10_000, 'broker-side connection close');
    const run: Run = { scenario: sc, records: r.records, summary: r.summary, a, b };
    return { r, opened, run };
  })]));
  /** Every scenario's run, in the order of SCENARIOS. */
  const runs = once(async () => {
    const all = new Map<string, Run>();
    for (const sc of SCENARIOS) all.set(sc.name, (await scenario.get(sc.name)!()).run);
    return all;
  });
  const recording = once(async () => {
    await runs();
    const proxyExit = await t.stopProxy(30_000);
    // Compared with the wire below, so credentials as recorded; by default they are masked (checked at the end).
    frames = await readJsonl<JsonlFrame>(['frames', '--db', t.db, '--reveal-secrets']);
    connections = await readJsonl<ConnectionRow>(['connections', '--db', t.db]);
    sessions = await readJsonl(['sessions', '--db', t.db]);
    return proxyExit;
  });

  for (const sc of SCENARIOS) {
    it(`${sc.name}: the client's whole scenario succeeds through the proxy`, async () => {
      const { r, opened } = await scenario.get(sc.name)!();
      expect(r.ok, `${sc.client} failed: ${JSON.stringify(r.summary.errors)}\n${'stderr' in r ? r.stderr : ''}`).toBe(true);
      expect(r.summary.messages).toBe(r.summary.expectedMessages);
      expect(opened.a).toBe(1);
      expect(opened.b, 'the proxy opened exactly one upstream connection').toBe(1);
    });
  }

  it('forwards every byte unchanged, both ways (tee A vs tee B), and the clients saw the same bytes', async () => {
    const all = await runs();
    expect(all.size, 'all scenarios ran').toBe(SCENARIOS.length);
    for (const { scenario, summary, a, b } of all.values()) {
      expectSameBytes(b.c2s(), a.c2s(), `${scenario.name}: client→broker`);
      expectSameBytes(a.s2c(), b.s2c(), `${scenario.name}: broker→client`);
      expect(a.c2s().length, `${scenario.name}: bytes the client wrote`).toBe(summary.bytesSent);
      expect(a.s2c().length, `${scenario.name}: bytes the client read`).toBe(summary.bytesReceived);
      expect(sha(a.c2s())).toBe(summary.sentSha256);
      expect(sha(a.s2c())).toBe(summary.receivedSha256);
    }
  });

  it('the clients’ logs agree with the wire (checks the test helpers themselves)', async () => {
    for (const { scenario, records, a } of (await runs()).values()) {
      const c = splitStream(a.c2s());
      const s = splitStream(a.s2c());
      const v = negotiatedVersion(s.frames);
      expect(v).toBe(scenario.version);
      expect(loggedFrames(records, 'sent'), `${scenario.name}: sent`).toEqual(c.frames.map((f) => expectFrame(f, v)));
      expect(loggedFrames(records, 'received'), `${scenario.name}: received`).toEqual(s.frames.map((f) => expectFrame(f, v)));
      expect(loggedHeartbeats(records, 'sent')).toBe(c.heartbeats);
      expect(loggedHeartbeats(records, 'received')).toBe(s.heartbeats);
    }
  });

  it('SIGINT flushes the recording and exits 0 with a summary', async () => {
    expect(t.proxy).toBeDefined();
    const proxyExit = await recording();
    expect(proxyExit.signal, `proxy was killed\nstderr:\n${proxyExit.stderr}`).toBeNull();
    expect(proxyExit.code, `proxy exit code\nstderr:\n${proxyExit.stderr}`).toBe(0);
    const lines = (proxyExit.stderr + proxyExit.stdout).split('\n').filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(1); // the listening line and at least the summary
    expect(frames.length).toBeGreaterThan(0);
  });

  it('sessions: one session named it-test, and every frame belongs to it', async () => {
    await recording();
    const s = sessions.filter((x) => x.name === 'it-test');
    expect(s, JSON.stringify(sessions)).toHaveLength(1);
    const id = s[0].id ?? s[0].session;
    expect(id).toBeDefined();
    for (const f of frames) expect(f.session).toBe(id);
  });

  it('frames JSONL masks login and passcode unless --reveal-secrets', async () => {
    await recording();
    const masked = await readJsonl<JsonlFrame>(['frames', '--db', t.db]);
    const creds = (rows: JsonlFrame[]) => rows.flatMap((f) => f.headers.filter(([n]) => n === 'login' || n === 'passcode').map(([, v]) => v));
    expect(creds(frames).length).toBeGreaterThan(0);
    expect(creds(frames).every((v) => v.length > 0 && !/^\*+$/.test(v))).toBe(true);
    expect(creds(masked)).toHaveLength(creds(frames).length);
    for (const v of creds(masked)) expect(creds(frames)).not.toContain(v);
    expect(masked.map((f) => f.command)).toEqual(frames.map((f) => f.command));
  });

  it('frames JSONL rows are well-formed', async () => {
    await recording();
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(Object.keys(f).sort()).toEqual(
        expect.arrayContaining(['session', 'connection', 'seq', 'from', 'time', 'command', 'headers', 'bodyLength', 'bodySha256', 'body', 'issues']),
      );
      expect(['client', 'broker']).toContain(f.from);
      expect(f.time).toMatch(ISO_MICROS);
      expect(Number.isInteger(f.seq)).toBe(true);
      expect(f.bodySha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Array.isArray(f.headers) && f.headers.every((h) => Array.isArray(h) && h.length === 2)).toBe(true);
      expect(Array.isArray(f.issues)).toBe(true);
    }
  });

  it('the proxy printed one line per frame to stdout', async () => {
    const proxyExit = await recording();
    expect(frames.length).toBeGreaterThan(0);
    const out = proxyExit.stdout.split('\n').filter((l) => l.trim());
    // Lines may also be printed for issues; none are expected here, so at least one per frame.
    expect(out.length).toBeGreaterThanOrEqual(frames.length);
  });

  for (const sc of SCENARIOS) {
    it(`${sc.name}: every frame recorded, with direction, command, headers, body hash, in order`, async () => {
      await recording();
      const run = (await runs()).get(sc.name);
      expect(run, 'scenario ran').toBeDefined();
      const { a, summary } = run!;
      const c = splitStream(a.c2s());
      const s = splitStream(a.s2c());
      const v = negotiatedVersion(s.frames);
      const conn = findConnectionByDestination(frames, summary.queue!);
      expect(conn, `a recorded connection that subscribed to ${summary.queue}`).toBeDefined();
      const rows = connectionFrames(frames, conn!);

      expect(rows.filter((f) => f.from === 'client').map(pick), 'client → broker frames').toEqual(c.frames.map((f) => expectFrame(f, v)));
      expect(rows.filter((f) => f.from === 'broker').map(pick), 'broker → client frames').toEqual(s.frames.map((f) => expectFrame(f, v)));

      // seq is one order over both directions; it must respect causality across them.
      const seqs = rows.map((f) => f.seq);
      expect(new Set(seqs).size, 'seq unique within the connection').toBe(seqs.length);
      const seqOf = (pred: (f: JsonlFrame) => boolean) => rows.find(pred)?.seq;
      const connectSeq = seqOf((f) => f.from === 'client' && (f.command === 'CONNECT' || f.command === 'STOMP'))!;
      expect(seqOf((f) => f.command === 'CONNECTED')!).toBeGreaterThan(connectSeq);
      for (const r of rows.filter((f) => f.from === 'broker' && f.command === 'RECEIPT')) {
        const asked = seqOf((f) => f.from === 'client' && header(f, 'receipt') === header(r, 'receipt-id'));
        expect(asked, `frame asking for receipt ${header(r, 'receipt-id')}`).toBeDefined();
        expect(r.seq).toBeGreaterThan(asked!);
      }
      for (const ack of rows.filter((f) => f.from === 'client' && f.command === 'ACK')) {
        const msg = rows.find((m) =>
          m.command === 'MESSAGE' && (v === '1.2' ? header(m, 'ack') === header(ack, 'id') : header(m, 'message-id') === header(ack, 'message-id')),
        );
        expect(msg, `MESSAGE acknowledged by ACK seq ${ack.seq}`).toBeDefined();
        expect(ack.seq).toBeGreaterThan(msg!.seq);
      }

      // Times: microsecond ISO, non-decreasing per direction.
      for (const dir of ['client', 'broker'] as const) {
        const t = rows.filter((f) => f.from === dir).map((f) => isoToMicros(f.time));
        for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]);
      }

      // A clean exchange with a real broker has no errors on the wire.
      const errors = rows.flatMap((f) => f.issues.filter((i) => i.severity === 'error').map((i) => `${f.command}#${f.seq}: ${i.code} ${i.message}`));
      expect(errors).toEqual([]);
      // The binary body (NULs, invalid UTF-8) is recorded with body null, the text ones as text.
      const binary = rows.find((f) => f.from === 'client' && f.command === 'SEND' && header(f, 'content-type') === 'application/octet-stream');
      expect(binary?.body).toBeNull();
      expect(binary?.bodyLength).toBeGreaterThan(256);
    });

    it(`${sc.name}: heart-beats counted per direction in connections JSONL`, async () => {
      await recording();
      const run = (await runs()).get(sc.name)!;
      const c = splitStream(run.a.c2s());
      const s = splitStream(run.a.s2c());
      const conn = findConnectionByDestination(frames, run.summary.queue!);
      const row = connections.find((x) => connectionId(x) === conn);
      expect(row, `connection ${conn} in connections JSONL`).toBeDefined();
      // Heart-beats = EOLs between frames, but not the EOL RabbitMQ writes right after every frame's NUL: that one
      // only ends the frame (the expert-info rule, which the counts follow).
      expect(row!.heartbeats).toEqual({ client: c.heartbeats, broker: s.heartbeats });
      expect(c.heartbeats, 'the client sent heart-beats while lingering').toBeGreaterThan(0);
      expect(s.heartbeats).toBeGreaterThan(0);
    });
  }

  it('slow consumer with prefetch 1: the recorded order shows at most one unacknowledged MESSAGE at a time', async () => {
    await recording();
    const sc = SCENARIOS.find((x) => x.prefetch === 1)!;
    const run = (await runs()).get(sc.name)!;
    const rows = connectionFrames(frames, findConnectionByDestination(frames, run.summary.queue!)!);
    let unacked = 0;
    let max = 0;
    for (const f of rows) {
      if (f.command === 'MESSAGE') max = Math.max(max, ++unacked);
      if (f.command === 'ACK') unacked--;
    }
    expect(max).toBe(1);
    expect(rows.filter((f) => f.command === 'MESSAGE').length).toBe(run.summary.expectedMessages);
  });
});
