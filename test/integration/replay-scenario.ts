// Replay and replay diff against a real broker, through the real CLI: the scenario that replay-rabbitmq.test.ts
// and replay-activemq.test.ts run, each on its own broker (the brokers talk differently: JMS headers and `ID:`
// message ids on ActiveMQ's MESSAGEs, `T_…` ids on RabbitMQ's, different virtual hosts).
//
// A real client (stomp.py: SUBSCRIBE with ack:client-individual, SENDs with receipts, a binary body, escaped
// header values, a transaction, individual ACKs) is recorded through the proxy for STOMP 1.2 and 1.1; its
// connection is replayed against the same broker, then again with its queue mapped to another one. Checked: every
// frame sent, no finding, the replay received what the original received (the same bodies in the same order, and
// `diff` finds no difference beyond volatile headers), the broker accepted the re-pointed ACKs (a fresh consumer
// finds the queues empty: nothing was redelivered, while a replay cut before its first ACK leaves messages to
// redeliver), and the mapped replay differs exactly in the MESSAGE destinations (in the JSON and in words).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConnectionByDestination } from '../support/checks.js';
import { runStomppy } from '../support/clients/stomppy.js';
import { once } from '../support/once.js';
import { readJsonl, runCli, startProxy, type JsonlFrame } from '../support/proxy-cli.js';
import { WireSplitter } from '../support/stomp-wire.js';
import { tmpDir } from '../replay/support.js';

export interface ReplayJson {
  session: number;
  connection: number;
  sent: number;
  received: number;
  findings: Array<{ code: string; message: string; seq: number | null }>;
}

export interface DiffJson {
  same: boolean;
  matched: number;
  missing: number;
  extra: number;
  changed: number;
  ignoredHeaders: string[];
  differences: Array<{ kind: string; key: string; command: string; headers: Array<{ name: string; a: string | null; b: string | null }>; body: unknown }>;
}

/** What differs between the brokers the scenario runs on. */
export interface ReplayBroker {
  /** For the describe title: `replay and diff against ${name}`. */
  name: string;
  /** Starts the broker (or checks that the global setup did); where its STOMP listener is. */
  start(): Promise<{ host: string; port: number }>;
  stop?(): Promise<void>;
  /** The CONNECT `host` header (virtual host) the broker accepts. */
  connectHost: string;
  /** How long a draining consumer waits for MESSAGEs after its SUBSCRIBE's RECEIPT. */
  drainMs: number;
  /** Queues are `/queue/${queuePrefix}${run}-…`. */
  queuePrefix: string;
  /** The temp dir's prefix and the recording session's name. */
  dirPrefix: string;
  sessionName: string;
  /** The CONNECTED frame's `server` header: the recording is this broker's own wire. */
  server: RegExp;
  /** The form of this broker's MESSAGE `message-id`s. */
  messageId: RegExp;
  /** For beforeAll: starting the broker and recording (defaults to the config's hookTimeout). */
  setupTimeoutMs?: number;
}

/** The scenario's state and helpers, for a broker's own tests (valid once its beforeAll has run). */
export interface ReplayContext {
  readonly dir: string;
  readonly db: string;
  /** `/queue/${queuePrefix}${run}-${suffix}`: unique to this run. */
  queue(suffix: string): string;
  replay(args: string[]): Promise<ReplayJson>;
  diff(a: number, b: number, extra?: string[]): Promise<{ code: number | null; d: DiffJson }>;
  /** A fresh consumer (ack:auto) on `queue`: how many MESSAGEs it gets. */
  drain(queue: string): Promise<number>;
}

/** A fresh consumer (ack:auto) on `queue`: how many MESSAGEs it gets within `ms`. Bounded throughout. */
async function drain(host: string, port: number, vhost: string, queue: string, ms: number): Promise<number> {
  const sock = net.connect(port, host);
  const splitter = new WireSplitter();
  let messages = 0;
  let receipt = false;
  let error = '';
  sock.on('data', (d) => {
    for (const ev of splitter.feed(d)) {
      if (ev.kind !== 'frame') continue;
      if (ev.frame.command === 'MESSAGE') messages++;
      if (ev.frame.command === 'RECEIPT') receipt = true;
      if (ev.frame.command === 'ERROR') error = ev.frame.body.toString();
    }
  });
  sock.on('error', (e) => (error = e.message));
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`CONNECT\naccept-version:1.2\nhost:${vhost}\nlogin:guest\npasscode:guest\n\n\0`);
  sock.write(`SUBSCRIBE\nid:drain\ndestination:${queue}\nack:auto\nreceipt:r-drain\n\n\0`);
  const deadline = Date.now() + 10_000;
  while (!receipt && !error && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, ms));
  sock.destroy();
  if (error || !receipt) throw new Error(`drain ${queue}: ${error || 'no RECEIPT for the SUBSCRIBE'}`);
  return messages;
}

const h = (f: JsonlFrame, n: string) => f.headers.find(([k]) => k === n)?.[1];

/**
 * Defines the scenario's describe block for `broker`; `more` adds the broker's own tests inside it (they run after
 * the scenario's, on the same database).
 */
export function describeReplay(broker: ReplayBroker, more?: (ctx: ReplayContext) => void): void {
  const run = Math.random().toString(36).slice(2, 8);

  describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')(`replay and diff against ${broker.name}`, () => {
    let where: { host: string; port: number } | null = null;
    let dir = '';
    let db = '';
    const target = () => `${where!.host}:${where!.port}`;
    const recorded = new Map<string, { queue: string; connection: number; frames: JsonlFrame[] }>();

    const ctx: ReplayContext = {
      get dir() {
        return dir;
      },
      get db() {
        return db;
      },
      queue: (suffix) => `/queue/${broker.queuePrefix}${run}-${suffix}`,
      async replay(args) {
        const r = await runCli(['replay', '--db', db, '--target', target(), '--json', '--timeout', '10000', ...args], 90_000);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as ReplayJson;
      },
      async diff(a, b, extra = []) {
        const r = await runCli(['diff', '--db', db, '--connection', String(a), '--connection', String(b), '--json', ...extra]);
        expect(r.stdout, `diff exited ${r.code}: ${r.stderr}`).not.toBe('');
        expect([0, 1], r.stderr).toContain(r.code);
        return { code: r.code, d: JSON.parse(r.stdout) as DiffJson };
      },
      drain: (queue) => drain(where!.host, where!.port, broker.connectHost, queue, broker.drainMs),
    };

    beforeAll(async () => {
      dir = tmpDir(broker.dirPrefix);
      db = path.join(dir, 'r.db');
      where = await broker.start();
      const proxy = await startProxy({ upstream: target(), db, name: broker.sessionName, extraArgs: ['--quiet'] });
      try {
        for (const version of ['1.2', '1.1'] as const) {
          const queue = ctx.queue(version.replace('.', ''));
          const r = await runStomppy({ port: proxy.port, version, queue, lingerS: 0.3, heartbeatMs: 1000, messages: 3 });
          expect(r.ok, `stomp.py failed: ${JSON.stringify(r.summary.errors)}\n${r.stderr}`).toBe(true);
          recorded.set(version, { queue, connection: 0, frames: [] });
        }
      } finally {
        const stopped = await proxy.stop(30_000);
        expect(stopped.code, stopped.stderr).toBe(0);
      }
      const frames = await readJsonl<JsonlFrame>(['frames', '--db', db]);
      for (const rec of recorded.values()) {
        rec.connection = Number(findConnectionByDestination(frames, rec.queue));
        rec.frames = frames.filter((f) => Number(f.connection) === rec.connection);
      }
    }, broker.setupTimeoutMs);

    afterAll(async () => {
      await broker.stop?.();
      if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const version of ['1.2', '1.1'] as const) {
      describe(`stomp.py ${version}`, () => {
        // The replays are steps done once: the tests that compare with them or check what they left on the
        // broker await them too, so each test can run alone.
        const replayed = once(() => ctx.replay(['--connection', String(recorded.get(version)!.connection), '--speed', '2']));
        const mapped = once(async () => {
          const rec = recorded.get(version)!;
          return ctx.replay(['--connection', String(rec.connection), '--as-fast-as-possible', '--map-destination', `${rec.queue}=${rec.queue}-mapped`]);
        });

        it('replays against the same broker: every frame sent, no finding, the broker delivered the same messages', async () => {
          const rec = recorded.get(version)!;
          expect(rec.connection).toBeGreaterThan(0);
          // The broker's own wire, so each broker's run checks something the other's does not.
          expect(h(rec.frames.find((f) => f.command === 'CONNECTED')!, 'server')).toMatch(broker.server);
          const originalMessages = rec.frames.filter((f) => f.command === 'MESSAGE');
          expect(originalMessages.length).toBeGreaterThan(0);
          for (const m of originalMessages) expect(h(m, 'message-id')).toMatch(broker.messageId);
          const clientFrames = rec.frames.filter((f) => f.from === 'client');
          expect(clientFrames.map((f) => f.command)).toEqual(expect.arrayContaining(['SUBSCRIBE', 'SEND', 'BEGIN', 'COMMIT', 'ACK', 'UNSUBSCRIBE', 'DISCONNECT']));
          expect(h(rec.frames.find((f) => f.command === 'SUBSCRIBE')!, 'ack')).toBe('client-individual');
          const r = await replayed();
          expect(r.findings).toEqual([]);
          expect(r.sent).toBe(clientFrames.length);
          expect(r.received).toBe(rec.frames.filter((f) => f.from === 'broker').length);

          // The replay is its own session, kind replay, linked to the original.
          const sessions = await readJsonl<{ session: number; kind: string }>(['sessions', '--db', db]);
          expect(sessions.find((s) => s.session === r.session)?.kind).toBe('replay');
          const mine = await readJsonl<JsonlFrame>(['frames', '--db', db, '--connection', String(r.connection)]);
          expect(mine.filter((f) => f.from === 'client').map((f) => f.command)).toEqual(clientFrames.map((f) => f.command));
          // The ACKs name the replay's MESSAGEs (the broker's ids of this run), not the original's.
          const ackKey = version === '1.2' ? 'id' : 'message-id';
          const msgKey = version === '1.2' ? 'ack' : 'message-id';
          const acked = mine.filter((f) => f.command === 'ACK').map((f) => h(f, ackKey));
          const delivered = mine.filter((f) => f.command === 'MESSAGE').map((f) => h(f, msgKey));
          expect(acked.length).toBeGreaterThan(0);
          expect(new Set(acked)).toEqual(new Set(delivered));
          const originalIds = originalMessages.map((f) => h(f, msgKey));
          expect(acked.some((id) => originalIds.includes(id))).toBe(false);
          // The same messages: bodies in the same order.
          const bodies = (fs: JsonlFrame[]) => fs.filter((f) => f.command === 'MESSAGE').map((f) => f.bodySha256);
          expect(bodies(mine)).toEqual(bodies(rec.frames));
        });

        it('diff of original and replay: nothing beyond volatile headers', async () => {
          const rec = recorded.get(version)!;
          const r = await replayed();
          const { code, d } = await ctx.diff(rec.connection, r.connection);
          expect(d.differences).toEqual([]);
          expect(code).toBe(0);
          expect(d.same).toBe(true);
          expect(d.matched).toBe(r.received);
          expect(d.ignoredHeaders).toEqual(expect.arrayContaining(['message-id', 'ack', 'session', 'server', 'timestamp', 'expires']));
          // Comparing volatile headers too shows that they did differ (so the first check was not vacuous).
          const all = await ctx.diff(rec.connection, r.connection, ['--include-volatile']);
          expect(all.code).toBe(1);
          expect(all.d.differences.flatMap((x) => x.headers.map((hh) => hh.name))).toEqual(expect.arrayContaining(['message-id', 'session']));
        });

        it('--map-destination: the replay uses the other queue, and diff shows exactly the MESSAGE destinations changed', async () => {
          const rec = recorded.get(version)!;
          const mappedQueue = `${rec.queue}-mapped`;
          const r = await mapped();
          expect(r.findings).toEqual([]);
          const { code, d } = await ctx.diff(rec.connection, r.connection);
          expect(code).toBe(1);
          const messages = rec.frames.filter((f) => f.command === 'MESSAGE').length;
          expect(d).toMatchObject({ missing: 0, extra: 0, changed: messages });
          for (const x of d.differences) {
            expect(x).toMatchObject({ kind: 'changed', command: 'MESSAGE', body: null });
            expect(x.headers).toEqual([{ name: 'destination', a: rec.queue, b: mappedQueue }]);
          }
          // Human output says the same in words.
          const text = await runCli(['diff', '--db', db, '--connection', String(rec.connection), '--connection', String(r.connection)]);
          expect(text.stdout).toMatch(new RegExp(`${messages} changed`));
          expect(text.stdout).toContain(`destination: "${rec.queue}" → "${mappedQueue}"`);
        });

        it('the broker accepted the re-pointed ACKs: nothing is left or redelivered on either queue', async () => {
          const rec = recorded.get(version)!;
          // Both replays ran (and ACKed) before the queues are drained.
          expect((await replayed()).findings).toEqual([]);
          expect((await mapped()).findings).toEqual([]);
          expect(await ctx.drain(rec.queue)).toBe(0);
          expect(await ctx.drain(`${rec.queue}-mapped`)).toBe(0);
        });

        it('control: a replay cut before the first ACK leaves its messages to be redelivered (so the check above has teeth)', async () => {
          const rec = recorded.get(version)!;
          const firstAck = rec.frames.find((f) => f.command === 'ACK')!;
          const cut = `${rec.queue}-unacked`;
          const r = await ctx.replay(['--connection', String(rec.connection), '--as-fast-as-possible', '--until', String(firstAck.seq - 1),
            '--map-destination', `${rec.queue}=${cut}`]);
          expect(r.findings).toEqual([]);
          expect(await ctx.drain(cut)).toBe(rec.frames.filter((f) => f.command === 'MESSAGE').length);
        });
      });
    }

    more?.(ctx);
  });
}
