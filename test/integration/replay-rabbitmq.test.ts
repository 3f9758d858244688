// Replay and replay diff against a real RabbitMQ (test/support/global-setup.ts), through the real CLI.
//
// A real client (stomp.py: SUBSCRIBE with ack:client-individual, SENDs with receipts, a binary body, escaped
// header values, a transaction, individual ACKs) is recorded through the proxy; its connection is replayed
// against the same broker, then again with its queue mapped to another one. Checked: the replay received
// what the original received (`diff` finds no difference beyond volatile headers), the broker accepted the
// re-pointed ACKs (a fresh consumer finds the queues empty: nothing was redelivered), and the mapped replay
// differs exactly in the MESSAGE destinations. Finally a connection imported from a pcap is replayed.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Conversation, LINKTYPE_OF, pcapFile } from '../capture/support/synth.js';
import { findConnectionByDestination } from '../support/checks.js';
import { runStomppy } from '../support/clients/stomppy.js';
import { readJsonl, runCli, startProxy, type FrameRow } from '../support/proxy-cli.js';
import { WireSplitter } from '../support/stomp-wire.js';
import { tmpDir } from '../replay/support.js';

const run = Math.random().toString(36).slice(2, 8);

interface ReplayJson {
  session: number;
  connection: number;
  sent: number;
  received: number;
  findings: Array<{ code: string; message: string; seq: number | null }>;
}

interface DiffJson {
  same: boolean;
  matched: number;
  missing: number;
  extra: number;
  changed: number;
  ignoredHeaders: string[];
  differences: Array<{ kind: string; key: string; command: string; headers: Array<{ name: string; a: string | null; b: string | null }>; body: unknown }>;
}

/** A fresh consumer (ack:auto) on `queue`: how many MESSAGEs it gets within `ms`. Bounded throughout. */
async function drain(host: string, port: number, queue: string, ms = 1000): Promise<number> {
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
  sock.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
  sock.write(`SUBSCRIBE\nid:drain\ndestination:${queue}\nack:auto\nreceipt:r-drain\n\n\0`);
  const deadline = Date.now() + 10_000;
  while (!receipt && !error && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, ms));
  sock.destroy();
  if (error || !receipt) throw new Error(`drain ${queue}: ${error || 'no RECEIPT for the SUBSCRIBE'}`);
  return messages;
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('replay and diff against RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  let db = '';
  const target = () => `${rabbit!.host}:${rabbit!.stompPort}`;
  const recorded = new Map<string, { queue: string; connection: number; frames: FrameRow[] }>();

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = tmpDir('stompscope-replay-it-');
    db = path.join(dir, 'r.db');
    const proxy = await startProxy({ upstream: target(), db, name: 'replay-original', extraArgs: ['--quiet'] });
    try {
      for (const version of ['1.2', '1.1'] as const) {
        const queue = `/queue/replay-${run}-${version.replace('.', '')}`;
        const r = await runStomppy({ port: proxy.port, version, queue, lingerS: 0.3, heartbeatMs: 1000, messages: 3 });
        expect(r.ok, `stomp.py failed: ${JSON.stringify(r.summary.errors)}\n${r.stderr}`).toBe(true);
        recorded.set(version, { queue, connection: 0, frames: [] });
      }
    } finally {
      const stopped = await proxy.stop(30_000);
      expect(stopped.code, stopped.stderr).toBe(0);
    }
    const frames = await readJsonl<FrameRow>(['frames', '--db', db]);
    for (const rec of recorded.values()) {
      rec.connection = Number(findConnectionByDestination(frames, rec.queue));
      rec.frames = frames.filter((f) => Number(f.connection) === rec.connection);
    }
  });

  afterAll(() => {
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') fs.rmSync(dir, { recursive: true, force: true });
  });

  const replay = async (args: string[]): Promise<ReplayJson> => {
    const r = await runCli(['replay', '--db', db, '--target', target(), '--json', '--timeout', '10000', ...args], 90_000);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ReplayJson;
  };
  const diff = async (a: number, b: number, extra: string[] = []) => {
    const r = await runCli(['diff', '--db', db, '--connection', String(a), '--connection', String(b), '--json', ...extra]);
    expect(r.stdout, `diff exited ${r.code}: ${r.stderr}`).not.toBe('');
    expect([0, 1], r.stderr).toContain(r.code);
    return { code: r.code, d: JSON.parse(r.stdout) as DiffJson };
  };

  for (const version of ['1.2', '1.1'] as const) {
    describe(`stomp.py ${version}`, () => {
      let replayed: ReplayJson;

      it('replays against the same broker: every frame sent, no finding, the broker delivered the same messages', async () => {
        const rec = recorded.get(version)!;
        expect(rec.connection).toBeGreaterThan(0);
        const clientFrames = rec.frames.filter((f) => f.from === 'client');
        expect(clientFrames.map((f) => f.command)).toEqual(expect.arrayContaining(['SUBSCRIBE', 'SEND', 'BEGIN', 'COMMIT', 'ACK', 'UNSUBSCRIBE', 'DISCONNECT']));
        replayed = await replay(['--connection', String(rec.connection), '--speed', '2']);
        expect(replayed.findings).toEqual([]);
        expect(replayed.sent).toBe(clientFrames.length);
        expect(replayed.received).toBe(rec.frames.filter((f) => f.from === 'broker').length);

        // The replay is its own session, kind replay, linked to the original.
        const sessions = await readJsonl<{ session: number; kind: string }>(['sessions', '--db', db]);
        expect(sessions.find((s) => s.session === replayed.session)?.kind).toBe('replay');
        const mine = await readJsonl<FrameRow>(['frames', '--db', db, '--connection', String(replayed.connection)]);
        expect(mine.filter((f) => f.from === 'client').map((f) => f.command)).toEqual(clientFrames.map((f) => f.command));
        // The ACKs name the replay's MESSAGEs, not the original's.
        const ackKey = version === '1.2' ? 'id' : 'message-id';
        const msgKey = version === '1.2' ? 'ack' : 'message-id';
        const h = (f: FrameRow, n: string) => f.headers.find(([k]) => k === n)?.[1];
        const acked = mine.filter((f) => f.command === 'ACK').map((f) => h(f, ackKey));
        const delivered = mine.filter((f) => f.command === 'MESSAGE').map((f) => h(f, msgKey));
        expect(new Set(acked)).toEqual(new Set(delivered));
        const originalIds = rec.frames.filter((f) => f.command === 'MESSAGE').map((f) => h(f, msgKey));
        expect(acked.some((id) => originalIds.includes(id))).toBe(false);
      });

      it('diff of original and replay: nothing beyond volatile headers', async () => {
        const rec = recorded.get(version)!;
        const { code, d } = await diff(rec.connection, replayed.connection);
        expect(d.differences).toEqual([]);
        expect(code).toBe(0);
        expect(d.same).toBe(true);
        expect(d.matched).toBe(replayed.received);
        expect(d.ignoredHeaders).toEqual(expect.arrayContaining(['message-id', 'ack', 'session', 'server', 'timestamp', 'expires']));
        // Comparing volatile headers too shows that they did differ (so the first check was not vacuous).
        const all = await diff(rec.connection, replayed.connection, ['--include-volatile']);
        expect(all.code).toBe(1);
        expect(all.d.differences.flatMap((x) => x.headers.map((hh) => hh.name))).toEqual(expect.arrayContaining(['message-id', 'session']));
      });

      it('--map-destination: the replay uses the other queue, and diff shows exactly the MESSAGE destinations changed', async () => {
        const rec = recorded.get(version)!;
        const mapped = `${rec.queue}-mapped`;
        const r = await replay(['--connection', String(rec.connection), '--as-fast-as-possible', '--map-destination', `${rec.queue}=${mapped}`]);
        expect(r.findings).toEqual([]);
        const { code, d } = await diff(rec.connection, r.connection);
        expect(code).toBe(1);
        const messages = rec.frames.filter((f) => f.command === 'MESSAGE').length;
        expect(d).toMatchObject({ missing: 0, extra: 0, changed: messages });
        for (const x of d.differences) {
          expect(x).toMatchObject({ kind: 'changed', command: 'MESSAGE', body: null });
          expect(x.headers).toEqual([{ name: 'destination', a: rec.queue, b: mapped }]);
        }
        // Human output says the same in words.
        const text = await runCli(['diff', '--db', db, '--connection', String(rec.connection), '--connection', String(r.connection)]);
        expect(text.stdout).toMatch(new RegExp(`${messages} changed`));
        expect(text.stdout).toContain(`destination: "${rec.queue}" → "${mapped}"`);
      });

      it('the broker accepted the re-pointed ACKs: nothing is left or redelivered on either queue', async () => {
        const rec = recorded.get(version)!;
        expect(await drain(rabbit!.host, rabbit!.stompPort, rec.queue)).toBe(0);
        expect(await drain(rabbit!.host, rabbit!.stompPort, `${rec.queue}-mapped`)).toBe(0);
      });

      it('control: a replay cut before the first ACK leaves its messages to be redelivered (so the check above has teeth)', async () => {
        const rec = recorded.get(version)!;
        const firstAck = rec.frames.find((f) => f.command === 'ACK')!;
        const cut = `${rec.queue}-unacked`;
        const r = await replay(['--connection', String(rec.connection), '--as-fast-as-possible', '--until', String(firstAck.seq - 1),
          '--map-destination', `${rec.queue}=${cut}`]);
        expect(r.findings).toEqual([]);
        expect(await drain(rabbit!.host, rabbit!.stompPort, cut)).toBe(rec.frames.filter((f) => f.command === 'MESSAGE').length);
      });
    });
  }

  it('replays a connection imported from a pcap capture', async () => {
    const queue = `/queue/replay-${run}-pcap`;
    const b = (s: string) => Buffer.from(s, 'utf8');
    // A conversation as a capture would hold it, with the capture's (foreign) message and ack ids.
    const conv = new Conversation({ ip: '10.0.0.5', port: 40123 }, { ip: '10.0.0.9', port: 61613 }).handshake()
      .send('c', b('STOMP\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0'))
      .send('b', b('CONNECTED\nversion:1.2\nsession:captured-1\nserver:RabbitMQ/3.9\nheart-beat:0,0\n\n\0'))
      .send('c', b(`SUBSCRIBE\nid:sub-0\ndestination:${queue}\nack:client-individual\nreceipt:r-sub\n\n\0`))
      .send('b', b('RECEIPT\nreceipt-id:r-sub\n\n\0'))
      .send('c', b(`SEND\ndestination:${queue}\nreceipt:r-1\ncontent-type:text/plain\n\nfrom a capture\0`))
      .send('b', b('RECEIPT\nreceipt-id:r-1\n\n\0'))
      .send('b', b(`MESSAGE\nsubscription:sub-0\ndestination:${queue}\nmessage-id:T_sub-0@@captured@@1\nredelivered:false\nack:T_sub-0@@captured@@1\nreceipt:r-1\ncontent-type:text/plain\ncontent-length:14\n\nfrom a capture\0`))
      .send('c', b('ACK\nid:T_sub-0@@captured@@1\n\n\0'))
      .send('c', b('DISCONNECT\nreceipt:r-d\n\n\0'))
      .send('b', b('RECEIPT\nreceipt-id:r-d\n\n\0'))
      .close();
    const file = path.join(dir, 'captured.pcap');
    fs.writeFileSync(file, pcapFile(conv.captured('ethernet'), { linkType: LINKTYPE_OF.ethernet }));
    const imp = await runCli(['import', file, '--db', db, '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    const { session } = JSON.parse(imp.stdout) as { session: number };
    const conns = await readJsonl<{ connection: number }>(['connections', '--db', db, '--session', String(session)]);
    expect(conns).toHaveLength(1);
    const r = await replay(['--connection', String(conns[0].connection)]);
    expect(r.findings).toEqual([]);
    expect(r.sent).toBe(5);
    const { d } = await diff(conns[0].connection, r.connection);
    // The capture was written as RabbitMQ talks (it copies the SEND's receipt header into the MESSAGE), so
    // the replay against RabbitMQ brings back the same, volatile ids and session aside.
    expect(d.differences).toEqual([]);
    expect(d.matched).toBe(5);
    expect(await drain(rabbit!.host, rabbit!.stompPort, queue)).toBe(0);
  });
});
