// Import of real captures of real traffic. While real clients (stomp.py, @stomp/stompjs) talk to the real
// RabbitMQ of the global setup, five capture tools record the loopback at once: tcpdump as classic pcap (µs and
// ns), tcpdump `-i any` as Linux cooked SLL and SLL2, and dumpcap as pcapng. Each file is then imported through
// the CLI and read back through the CLI's JSONL, and every connection must hold exactly the frames its client
// logged sending and receiving (command, headers, body hash, order, direction) and its heart-beats.
//
// The conversations cover STOMP 1.1 and 1.2, binary bodies with NULs and content-length, escaped headers,
// transactions, heart-beats, concurrent connections, a 3 MB message spanning many segments both ways, and a
// broker ERROR that closes the connection. The broker listens on a random port, not 61613: the flows are found
// by their content (and `--port` is checked too).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isoToMicros, pick } from '../support/checks.js';
import { runStompjsScenario, type LogRecord } from '../support/clients/stompjs-scenario.js';
import { loggedFrames, loggedHeartbeats, runStomppy } from '../support/clients/stomppy.js';
import { once } from '../support/once.js';
import { readJsonl, runCli, type ConnectionRow, type JsonlFrame } from '../support/proxy-cli.js';
import { CAPTURES, probeListener, startCapture, toolAvailable, waitUntilCapturing, type RunningCapture } from './support/capture-tools.js';
import { runBigMessage, runBrokerError } from './support/extra-clients.js';

interface ClientRun {
  name: string;
  records: LogRecord[];
  localPort: number;
  /** An ERROR from the broker is expected in this conversation. */
  expectError?: boolean;
}

interface Imported {
  session: number;
  connections: number;
  frames: number;
  issues: number;
  warnings: string[];
  complete: boolean;
}

const BIG = 3 * 1024 * 1024;
const haveTools = toolAvailable('tcpdump') && toolAvailable('dumpcap');

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1' || !haveTools)('import of real captures (tcpdump, dumpcap) of real clients and RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  const files = new Map<string, string>();
  const runs: ClientRun[] = [];

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup');
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-capture-'));
    const probe = await probeListener();
    const filter = `tcp port ${rabbit.stompPort} or tcp port ${probe.port}`;
    const captures: RunningCapture[] = [];
    const stopErrors: string[] = [];
    try {
      for (const [i, spec] of CAPTURES.entries()) {
        const file = path.join(dir, `c${i}.${spec.format === 'pcapng' ? 'pcapng' : 'pcap'}`);
        captures.push(await startCapture(spec, file, filter));
        files.set(spec.name, file);
      }
      await waitUntilCapturing(captures, probe.port);
      // Concurrent connections: all conversations at once.
      const [py12, py11, js12, js11, big, error] = await Promise.all([
        runStomppy({ port: rabbit.stompPort, version: '1.2', lingerS: 1.5 }),
        runStomppy({ port: rabbit.stompPort, version: '1.1', messages: 2, lingerS: 1.5 }),
        runStompjsScenario({ port: rabbit.stompPort, version: '1.2', lingerMs: 1500 }),
        runStompjsScenario({ port: rabbit.stompPort, version: '1.1', messages: 1, lingerMs: 1500 }),
        runBigMessage(rabbit.stompPort, BIG),
        runBrokerError(rabbit.stompPort),
      ]);
      expect(py12.ok, JSON.stringify(py12.summary.errors)).toBe(true);
      expect(py11.ok, JSON.stringify(py11.summary.errors)).toBe(true);
      expect(js12.ok, JSON.stringify(js12.summary.errors)).toBe(true);
      expect(js11.ok, JSON.stringify(js11.summary.errors)).toBe(true);
      expect(big.ok, big.errors.join('; ')).toBe(true);
      expect(error.ok, error.errors.join('; ')).toBe(true);
      runs.push(
        { name: 'stomp.py 1.2', records: py12.records, localPort: py12.summary.localPort! },
        { name: 'stomp.py 1.1', records: py11.records, localPort: py11.summary.localPort! },
        { name: 'stompjs 1.2', records: js12.records, localPort: js12.summary.localPort! },
        { name: 'stompjs 1.1', records: js11.records, localPort: js11.summary.localPort! },
        { name: 'stompjs 3 MB message', records: big.records, localPort: big.localPort! },
        { name: 'stompjs broker ERROR', records: error.records, localPort: error.localPort!, expectError: true },
      );
    } finally {
      await probe.close();
      // Stop every capture whatever happened, by its own PID; report a tool that failed afterwards.
      for (const [i, r] of (await Promise.all(captures.map((c) => c.stop()))).entries()) {
        if (r.code !== 0) stopErrors.push(`${captures[i].spec.name} exited ${r.code}: ${r.stderr}`);
      }
    }
    expect(stopErrors).toEqual([]);
  }, 180_000);

  afterAll(() => {
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') rmSync(dir, { recursive: true, force: true });
  });

  for (const spec of CAPTURES) {
    describe(spec.name, () => {
      // The CLI import of this file and its read-back, once, by whichever test reads it first: each test awaits
      // it, so each runs alone.
      const cliImport = once(async () => {
        const file = files.get(spec.name)!;
        const db = path.join(dir, `${spec.format}-${spec.linkType}.db`);
        const r = await runCli(['import', file, '--db', db, '--json'], 120_000);
        expect(r.code, r.stderr).toBe(0);
        const json = JSON.parse(r.stdout) as Imported;
        const frames = await readJsonl<JsonlFrame>(['frames', '--db', db, '--session', String(json.session), '--reveal-secrets']);
        const connections = await readJsonl<ConnectionRow>(['connections', '--db', db, '--session', String(json.session)]);
        return { file, db, json, frames, connections };
      });

      it('imports through the CLI: one complete session, every connection, no warnings', async () => {
        expect(statSync(files.get(spec.name)!).size).toBeGreaterThan(BIG * 2);
        const { file, db, json, frames } = await cliImport();
        expect(json.complete).toBe(true);
        expect(json.warnings).toEqual([]);
        expect(json.connections).toBe(runs.length);
        expect(json.frames).toBe(frames.length);

        // The session records where it came from.
        const meta = JSON.parse((new Database(db, { readonly: true }).prepare('SELECT meta FROM sessions WHERE id = ?').pluck().get(json.session)) as string);
        expect(meta.format).toBe(spec.format);
        expect(meta.linkTypes).toEqual([expect.stringContaining(spec.linkType)]);
        expect(meta.completed).toBe(true);
        expect(meta.source.size).toBe(statSync(file).size);
        expect(meta.source.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(meta.packets).toBeGreaterThan(100);
      });

      it('each connection holds exactly the frames its client logged, both directions, in order', async () => {
        const got = await cliImport();
        for (const run of runs) {
          const conn = got.connections.find((c) => c.client === `127.0.0.1:${run.localPort}`);
          expect(conn, `${run.name}: connection from port ${run.localPort}`).toBeDefined();
          expect(conn!.broker).toBe(`127.0.0.1:${rabbit!.stompPort}`);
          const rows = got.frames.filter((f) => f.connection === conn!.connection).sort((a, b) => a.seq - b.seq);
          expect(rows.filter((f) => f.from === 'client').map(pick), `${run.name}: client → broker`).toEqual(loggedFrames(run.records, 'sent'));
          expect(rows.filter((f) => f.from === 'broker').map(pick), `${run.name}: broker → client`).toEqual(loggedFrames(run.records, 'received'));
          expect(conn!.heartbeats, `${run.name}: heart-beats`).toEqual({ client: loggedHeartbeats(run.records, 'sent'), broker: loggedHeartbeats(run.records, 'received') });
          // Causality across directions: CONNECTED after CONNECT, each RECEIPT after what asked for it.
          const seqOf = (pred: (f: JsonlFrame) => boolean) => rows.find(pred)?.seq ?? -1;
          expect(seqOf((f) => f.command === 'CONNECTED')).toBeGreaterThan(seqOf((f) => f.command === 'CONNECT' || f.command === 'STOMP'));
          for (const rc of rows.filter((f) => f.command === 'RECEIPT')) {
            const id = rc.headers.find(([k]) => k === 'receipt-id')?.[1];
            expect(rc.seq).toBeGreaterThan(seqOf((f) => f.from === 'client' && f.headers.some(([k, v]) => k === 'receipt' && v === id)));
          }
          // Times come from the capture and never go backwards within a direction.
          for (const dir of ['client', 'broker'] as const) {
            const t = rows.filter((f) => f.from === dir).map((f) => isoToMicros(f.time));
            for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]);
          }
          // A clean capture has no wire errors; the ERROR conversation has its ERROR frame and nothing else wrong.
          const errs = rows.flatMap((f) => f.issues.filter((i) => i.severity === 'error'));
          expect(errs, run.name).toEqual([]);
          if (run.expectError) expect(rows.filter((f) => f.from === 'broker').at(-1)!.command).toBe('ERROR');
        }
      });

      it('the 3 MB message is whole in both directions', async () => {
        const got = await cliImport();
        const big = got.frames.filter((f) => f.bodyLength === BIG);
        expect(big.map((f) => `${f.from} ${f.command}`).sort()).toEqual(['broker MESSAGE', 'client SEND']);
        expect(new Set(big.map((f) => f.bodySha256)).size).toBe(1);
      });
    });
  }

  it('--skip-existing recognises a file already imported; --port and --name apply', async () => {
    const file = files.get(CAPTURES[0].name)!;
    const db = path.join(dir, 'skip.db');
    const first = await runCli(['import', file, '--db', db, '--json', '--name', 'prod incident', '--port', String(rabbit!.stompPort)]);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as Imported;
    expect(a.connections).toBe(runs.length);
    const again = await runCli(['import', file, '--db', db, '--json', '--skip-existing']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ session: null, skippedAs: a.session });
    const twice = await runCli(['import', file, '--db', db, '--json']);
    expect(JSON.parse(twice.stdout).session).toBe(a.session + 1);
    const sessions = await readJsonl<{ session: number; name: string; kind: string; state: string }>(['sessions', '--db', db]);
    expect(sessions.map((s) => [s.name, s.kind, s.state])).toEqual([['prod incident', 'import', 'complete'], [path.basename(file), 'import', 'complete']]);
  });
});
