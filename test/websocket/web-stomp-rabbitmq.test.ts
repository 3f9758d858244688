// STOMP over WebSocket end to end: @stomp/stompjs over the `ws` package → the recording proxy, run through its
// CLI with `--upstream ws://…/ws` → RabbitMQ's rabbitmq_web_stomp plugin (test/support/global-setup.ts).
//
//     client → tee A → proxy → tee B → RabbitMQ Web STOMP          (tcpdump records tee B ⇄ RabbitMQ)
//
// Forwarding is byte-for-byte (tee A vs tee B). What was recorded is checked against an oracle that is not
// StompScope's: the `ws` package's own frame parser (and its permessage-deflate) unwraps the tee'd bytes, and
// the test's STOMP splitter (test/support/stomp-wire.ts) splits the payloads into frames. Three runs: plain
// messages, one STOMP frame split across WebSocket messages (stompjs's splitLargeFrames), and permessage-deflate
// (RabbitMQ is configured to accept it). Then the tcpdump capture of the same traffic is imported through the
// CLI, and must give the same frames and transport as the proxy's recording.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CAPTURES, probeListener, startCapture, toolAvailable, waitUntilCapturing, type RunningCapture } from '../capture/support/capture-tools.js';
import { expectSameBytes, findConnectionByDestination, pick, within } from '../support/checks.js';
import { readJsonl, runCli, type ConnectionRow, type JsonlFrame } from '../support/proxy-cli.js';
import { expectFrame, negotiatedVersion, splitStream } from '../support/stomp-wire.js';
import { once } from '../support/once.js';
import type { TeeConnection } from '../support/tee.js';
import { useTeedProxy } from '../support/teed-proxy.js';
import { runWsScenario, unwrapWebSocket, type WsScenarioResult } from './support.js';

interface Run {
  name: string;
  queue: string;
  deflate: boolean;
  split: boolean;
  result?: WsScenarioResult;
  a?: TeeConnection;
  b?: TeeConnection;
}

const RUNS: Run[] = [
  { name: 'plain', queue: 'ws-plain', deflate: false, split: false },
  { name: 'frames split across messages', queue: 'ws-split', deflate: false, split: true },
  { name: 'permessage-deflate', queue: 'ws-deflate', deflate: true, split: false },
];

type Conn = ConnectionRow & { transport: string; handshake: Record<string, unknown> | null; client: string };

const haveTcpdump = toolAvailable('tcpdump');

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('STOMP over WebSocket: stompjs → proxy → RabbitMQ Web STOMP', () => {
  const rabbit = inject('rabbitmq');
  const t = useTeedProxy({
    dirPrefix: 'stompscope-ws-',
    name: 'ws-test',
    before: () => {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    },
    broker: () => ({ host: rabbit!.host, port: rabbit!.webStompPort }),
    upstream: (port) => `ws://127.0.0.1:${port}/ws`,
    extraArgs: ['--quiet'],
  });
  let capture: RunningCapture | undefined;
  let captureFile = '';
  let frames: JsonlFrame[] = [];
  let connections: Conn[] = [];

  beforeAll(async () => {
    if (haveTcpdump) {
      const probe = await probeListener();
      captureFile = path.join(t.dir, 'web-stomp.pcap');
      capture = await startCapture(CAPTURES[0], captureFile, `tcp port ${rabbit!.webStompPort} or tcp port ${probe.port}`);
      await waitUntilCapturing([capture], probe.port);
      await probe.close();
    }
  }, 60_000);

  // Runs before the harness's afterAll (after hooks run in reverse order), as the capture started after it.
  afterAll(async () => {
    if (capture) await capture.stop();
  });

  // Each run is a step done once (its own test awaits it, and so does every test that reads the recording), so
  // any test can run alone: the recording is read after all runs, when the proxy has stopped.
  const scenario = new Map(RUNS.map((run) => [run, once(async () => {
    const beforeA = t.teeA.connections.length;
    const beforeB = t.teeB.connections.length;
    const r = await runWsScenario(`ws://127.0.0.1:${t.teeA.port}/ws`, { queue: run.queue, deflate: run.deflate, split: run.split });
    const opened = { a: t.teeA.connections.length - beforeA, b: t.teeB.connections.length - beforeB };
    run.a = t.teeA.connections[beforeA];
    run.b = t.teeB.connections[beforeB];
    if (run.a) await within(run.a.closed, 10_000, 'client-side close');
    if (run.b) await within(run.b.closed, 10_000, 'broker-side close');
    run.result = r;
    return { r, opened };
  })]));
  const allRuns = once(async () => {
    for (const run of RUNS) await scenario.get(run)!();
  });
  const recording = once(async () => {
    await allRuns();
    const exit = await t.stopProxy(30_000);
    frames = await readJsonl<JsonlFrame>(['frames', '--db', t.db, '--reveal-secrets']);
    connections = await readJsonl<Conn>(['connections', '--db', t.db]);
    return exit;
  });

  for (const run of RUNS) {
    it(`${run.name}: subscribe, send text, binary and 100 kB, receive and ACK them through the proxy`, async () => {
      const { r, opened } = await scenario.get(run)!();
      expect(r.ok, r.errors.join('; ')).toBe(true);
      expect(r.protocol).toBe('v12.stomp');
      if (run.deflate) expect(r.extensions).toMatch(/permessage-deflate/);
      else expect(r.extensions).toBe('');
      expect(r.received.map((m) => m.body)).toEqual([Buffer.from(r.sent.text), r.sent.binary, Buffer.from(r.sent.big)]);
      expect(opened).toEqual({ a: 1, b: 1 });
    });
  }

  it('forwards every byte unchanged both ways, the HTTP upgrade included', async () => {
    await allRuns();
    for (const run of RUNS) {
      expect(run.a, `${run.name} ran`).toBeDefined();
      expectSameBytes(run.b!.c2s(), run.a!.c2s(), `${run.name}: client→broker`);
      expectSameBytes(run.a!.s2c(), run.b!.s2c(), `${run.name}: broker→client`);
      expect(run.a!.c2s().toString('latin1')).toMatch(/^GET \/ws HTTP\/1\.1\r\n/);
      expect(run.a!.s2c().toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    }
    // permessage-deflate really compressed: 100 kB of a repeated text went over the wire in far fewer bytes.
    const deflated = RUNS.find((r) => r.deflate)!;
    expect(deflated.a!.s2c().length).toBeLessThan(20_000);
  });

  it('stopping the proxy flushes the recording', async () => {
    const exit = await recording();
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toMatch(/WebSocket clients connect to ws:\/\/127\.0\.0\.1:\d+\/ws/);
    expect(connections).toHaveLength(RUNS.length);
  });

  /** The recorded connection of a run: the one that subscribed to its queue. */
  const recorded = (run: Run) => {
    const id = findConnectionByDestination(frames, `/queue/${run.queue}`);
    const conn = connections.find((c) => (c.connection ?? c.id) === id);
    expect(conn, `the connection that subscribed to /queue/${run.queue}`).toBeDefined();
    return { conn: conn!, rows: frames.filter((f) => f.connection === id).sort((x, y) => x.seq - y.seq) };
  };

  it('each connection is recorded as transport websocket, with its handshake (subprotocol, extensions, headers as sent)', async () => {
    await recording();
    for (const run of RUNS) {
      const { conn } = recorded(run);
      expect(conn.transport).toBe('websocket');
      const h = conn.handshake as {
        transport: string; subprotocol: string; offeredSubprotocols: string[]; deflate: boolean; extensions: string | null;
        request: { method: string; target: string; headers: [string, string][] }; response: { status: number; headers: [string, string][] };
      };
      expect(h).toMatchObject({ transport: 'websocket', subprotocol: 'v12.stomp', offeredSubprotocols: ['v10.stomp', 'v11.stomp', 'v12.stomp'], deflate: run.deflate });
      expect(h.request).toMatchObject({ method: 'GET', target: '/ws' });
      expect(h.response.status).toBe(101);
      // The client's Host header went through as the client sent it (the proxy's own address).
      const host = h.request.headers.find(([k]) => k.toLowerCase() === 'host')?.[1];
      expect(host).toBe(`127.0.0.1:${t.teeA.port}`);
      if (run.deflate) expect(h.extensions).toMatch(/^permessage-deflate/);
    }
  });

  it('every STOMP frame is recorded, in order, as the ws package\'s own parser reads the wire', async () => {
    await recording();
    for (const run of RUNS) {
      const { conn, rows } = recorded(run);
      const ext = (conn.handshake as { extensions: string | null }).extensions;
      const c = await unwrapWebSocket(run.a!.c2s(), true, ext);
      const s = await unwrapWebSocket(run.a!.s2c(), false, ext);
      const cs = splitStream(Buffer.concat(c.messages));
      const ss = splitStream(Buffer.concat(s.messages));
      const v = negotiatedVersion(ss.frames);
      expect(v).toBe('1.2');
      expect(rows.filter((f) => f.from === 'client').map(pick), `${run.name}: client frames`).toEqual(cs.frames.map((f) => expectFrame(f, v)));
      expect(rows.filter((f) => f.from === 'broker').map(pick), `${run.name}: broker frames`).toEqual(ss.frames.map((f) => expectFrame(f, v)));
      // The whole conversation is there (the order of MESSAGEs and RECEIPTs is the broker's business).
      const commands = (from: string) => rows.filter((f) => f.from === from).map((f) => f.command).sort();
      expect(commands('client')).toEqual(['ACK', 'ACK', 'ACK', 'CONNECT', 'DISCONNECT', 'SEND', 'SEND', 'SEND', 'SUBSCRIBE']);
      // RabbitMQ Web STOMP closes the WebSocket at DISCONNECT without the RECEIPT asked for.
      expect(commands('broker')).toEqual(['CONNECTED', 'MESSAGE', 'MESSAGE', 'MESSAGE', 'RECEIPT', 'RECEIPT']);
      // The MESSAGE bodies are what the client received.
      const bodies = rows.filter((f) => f.command === 'MESSAGE').map((f) => f.bodyLength);
      expect(bodies).toEqual(run.result!.received.map((m) => m.body.length));
      expect(rows.flatMap((f) => f.issues).filter((i) => i.code !== 'disconnect-receipt-missing'), `${run.name}: no issue on any frame`).toEqual([]);
      if (run.split) expect(c.messages.length, 'the 100 kB SEND went as several messages').toBeGreaterThan(cs.frames.length);
    }
  });

  it('records the upgrade and both closes as notes, and nothing worse', async () => {
    await recording();
    const sql = new Database(t.db, { readonly: true });
    try {
      for (const run of RUNS) {
        const { conn } = recorded(run);
        const issues = sql.prepare('SELECT code, severity, dir, message FROM issues WHERE connection_id = ? ORDER BY id')
          .all(Number(conn.connection ?? conn.id)) as Array<{ code: string; severity: string; dir: number | null; message: string }>;
        // A clean session: nothing worse than a note (the DISCONNECT's receipt RabbitMQ Web STOMP never sends is one).
        expect(issues.filter((i) => i.severity !== 'note'), `${run.name}: ${JSON.stringify(issues)}`).toEqual([]);
        expect(issues.filter((i) => i.code.startsWith('websocket-')).map((i) => i.code)).toEqual(['websocket-upgrade', 'websocket-close', 'websocket-close']);
        expect(issues[0].message).toBe(`upgraded to WebSocket at /ws, subprotocol v12.stomp${run.deflate ? ', permessage-deflate' : ''}`);
      }
    } finally {
      sql.close();
    }
  });

  it.skipIf(!haveTcpdump)('the tcpdump capture of the same traffic imports to the same frames, transport websocket', async () => {
    await recording();
    const stopped = await capture!.stop();
    capture = undefined;
    expect(stopped.code, stopped.stderr).toBe(0);
    const idb = path.join(t.dir, 'import.db');
    const r = await runCli(['import', captureFile, '--db', idb, '--json'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { connections: number; warnings: string[]; complete: boolean };
    expect(json.complete).toBe(true);
    expect(json.connections).toBe(RUNS.length);
    const iframes = await readJsonl<JsonlFrame>(['frames', '--db', idb, '--reveal-secrets']);
    const iconns = await readJsonl<Conn>(['connections', '--db', idb]);
    for (const run of RUNS) {
      // Tee B's side of the proxy is what tcpdump saw: find the capture's connection by tee B's local port.
      const { rows } = recorded(run);
      const proxyToBroker = iconns.filter((c) => c.transport === 'websocket');
      expect(proxyToBroker).toHaveLength(RUNS.length);
      const match = iconns.find((c) => {
        const id = c.connection ?? c.id;
        const f = iframes.filter((x) => x.connection === id && x.command === 'SUBSCRIBE');
        return f.some((x) => x.headers.some(([k, v]) => k === 'destination' && v === `/queue/${run.queue}`));
      });
      expect(match, `imported connection of ${run.name}`).toBeDefined();
      expect((match!.handshake as { subprotocol: string }).subprotocol).toBe('v12.stomp');
      const id = match!.connection ?? match!.id;
      const irows = iframes.filter((f) => f.connection === id).sort((x, y) => x.seq - y.seq);
      // Per direction in order (across directions, the capture's packet times and the proxy's reads may order differently).
      for (const from of ['client', 'broker']) {
        const a = irows.filter((f) => f.from === from).map(pick);
        const b = rows.filter((f) => f.from === from).map(pick);
        expect(a.length, `${run.name}: imported ${from} frames`).toBe(b.length);
        a.forEach((f, i) => expect(f, `${run.name}: imported ${from} frame ${i}`).toEqual(b[i]));
      }
    }
  });
});
