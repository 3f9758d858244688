// Faults, through the real CLI proxy in a child process: a broker restart mid-session (a private
// RabbitMQ, stopped and started again on the same ports, so the shared broker of the run is unaffected), a
// client reset, an upstream that refuses, the database locked by another process (recording pauses with a
// warning and resumes; forwarding never stops), and a full disk (a 4 MiB tmpfs; skipped with the reason where
// mounting is not allowed). Each case is asserted as stored rows, and as the session's expert info, which is
// the UI's issues list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { Core } from '../../src-main/core/api.js';
import { openDb } from '../../src-main/core/store/db.js';
import { startProxy, type RunningProxy } from '../support/proxy-cli.js';
import { RABBITMQ_SCRIPT, startRabbit, type RabbitNode } from '../support/rabbitmq.js';
import { header, StompClient } from './stomp-client.js';
import { closeServer, connect, listen, portOf, removeTmpDirs, sleep, tmpDir, waitFor, writeAll } from './support.js';

const NO_BROKER = process.env.STOMPSCOPE_NO_BROKER === '1' || !existsSync(RABBITMQ_SCRIPT);
const STEP = 20_000;

type Row = Record<string, unknown>;
const rows = (db: string, sql: string, ...args: unknown[]): Row[] => {
  const d = openDb(db, { readonly: true });
  try {
    return d.prepare(sql).all(...args) as Row[];
  } finally {
    d.close();
  }
};

async function expertCodes(db: string, session: number): Promise<string[]> {
  const core = new Core(openDb(db));
  try {
    const info = await core.invoke('session.expertInfo', { session });
    return info.groups.flatMap((g) => g.codes.map((c) => (c as { code: string }).code));
  } finally {
    await core.close();
  }
}

/** A full STOMP round trip through the proxy: CONNECT, SUBSCRIBE, SEND, MESSAGE, ACK. */
async function roundTrip(port: number, queue: string, tag: string): Promise<StompClient> {
  const c = await StompClient.connect(port);
  await c.handshake(STEP);
  c.send('SUBSCRIBE', { id: '0', destination: queue, ack: 'client-individual', receipt: `sub-${tag}` });
  await c.receipt(`sub-${tag}`, STEP);
  c.send('SEND', { destination: queue, receipt: `send-${tag}` }, `hello ${tag}`);
  await c.receipt(`send-${tag}`, STEP);
  const m = await c.next((f) => f.command === 'MESSAGE' && f.body.toString() === `hello ${tag}`, STEP, `MESSAGE ${tag}`);
  c.send('ACK', { id: header(m, 'ack')! });
  return c;
}

describe.skipIf(NO_BROKER)('faults with a real RabbitMQ of its own', () => {
  let rabbit: RabbitNode | undefined;
  let proxy: RunningProxy | undefined;
  let db = '';
  let session = 0;
  const conns: Record<string, number> = {};
  /** The connection ids in order of opening, to name them by the test that opened them. */
  const connIds = () => rows(db, `SELECT id FROM connections ORDER BY id`).map((r) => r.id as number);
  /** The id of the connection opened after the `known` ones, once recorded (within a batch window or so). */
  const newConn = async (known: number): Promise<number> => {
    await waitFor(() => connIds().length > known, STEP, 'the new connection to be recorded');
    return connIds()[known];
  };

  beforeAll(async () => {
    rabbit = await startRabbit();
    db = path.join(tmpDir(), 'faults.db');
    proxy = await startProxy({ upstream: `127.0.0.1:${rabbit.stompPort}`, db, name: 'faults', extraArgs: ['--quiet'] });
    session = rows(db, `SELECT id FROM sessions`)[0].id as number;
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await rabbit?.stop();
    removeTmpDirs();
  }, 60_000);

  it('a broker restart mid-session: connections it closed are recorded, clients refused meanwhile are told, new ones work', async () => {
    const before = await roundTrip(proxy!.port, '/queue/faults-restart', 'before');
    conns.before = await newConn(0);
    const ports = { epmd: rabbit!.epmdPort, amqp: rabbit!.amqpPort, dist: rabbit!.distPort, stomp: rabbit!.stompPort, webStomp: rabbit!.webStompPort };
    const t0 = Date.now();
    await rabbit!.stop();
    rabbit = undefined;
    await waitFor(() => before.closed, STEP, 'the client of the stopped broker to be disconnected');

    // While it is down: the proxy accepts, finds the broker refusing, and resets the client.
    // (The reset can come so soon that the client's connect itself fails with it.)
    const refused = await StompClient.connect(proxy!.port).catch((e: NodeJS.ErrnoException) => e);
    if (refused instanceof Error) expect(refused.code).toBe('ECONNRESET');
    else await waitFor(() => refused.closed, STEP, 'the proxy to drop a client whose broker refuses');
    conns.refused = await newConn(1);

    rabbit = await startRabbit({ ports });
    const after = await roundTrip(proxy!.port, '/queue/faults-restart', 'after');
    conns.after = await newConn(2);
    console.log(`[faults] broker stopped and started again in ${Date.now() - t0} ms; the proxy (pid ${proxy!.pid}) kept running`);
    after.send('DISCONNECT', { receipt: 'bye' });
    await after.receipt('bye', STEP);
    after.close();
    expect(() => process.kill(proxy!.pid, 0)).not.toThrow();
  }, 120_000);

  it('a client reset is mirrored to the broker and recorded', async () => {
    const c = await StompClient.connect(proxy!.port);
    await c.handshake(STEP);
    conns.reset = await newConn(3);
    c.socket.resetAndDestroy();
    await waitFor(() => rows(db, `SELECT closed FROM connections WHERE id = ?`, conns.reset)[0].closed !== null, STEP, 'the reset connection to be recorded as closed');
  });

  it('a locked database pauses recording with a warning and resumes it, while forwarding goes on and nothing is lost', async () => {
    const c = await StompClient.connect(proxy!.port);
    await c.handshake(STEP);
    conns.locked = await newConn(4);
    // A steady flow of SENDs, each answered by a RECEIPT: receipts arriving is forwarding working both ways.
    const receipts: number[] = [];
    let sent = 0;
    let stop = false;
    const flow = (async () => {
      while (!stop) {
        const n = sent++;
        c.send('SEND', { destination: '/queue/faults-lock', receipt: `r${n}` }, `m${n}`);
        await c.receipt(`r${n}`, STEP);
        receipts.push(Date.now());
        await sleep(2);
      }
    })();
    await sleep(500);
    const locker = new Database(db);
    locker.exec('BEGIN EXCLUSIVE');
    const lockedAt = Date.now();
    await sleep(3_000);
    const during = receipts.filter((t) => t >= lockedAt).length;
    locker.exec('COMMIT');
    locker.close();
    const unlockedAt = Date.now();
    await sleep(500);
    stop = true;
    await flow;
    c.send('DISCONNECT', { receipt: 'bye' });
    await c.receipt('bye', STEP);
    c.close();
    const before = receipts.filter((t) => t < lockedAt).length / ((lockedAt - (receipts[0] ?? lockedAt)) / 1000 || 1);
    console.log(`[faults] database locked for ${unlockedAt - lockedAt} ms: ${during} SEND/RECEIPT round trips went through meanwhile ` +
      `(${(during / ((unlockedAt - lockedAt) / 1000)).toFixed(0)}/s, ${before.toFixed(0)}/s before)`);
    expect(during, 'round trips through the proxy while the database was locked').toBeGreaterThan(100);
    await waitFor(() => /recording resumed/.test(proxy!.stderrText()), STEP, 'the proxy to say recording resumed');
    expect(proxy!.stderrText()).toMatch(/warning: recording paused: the database is locked by another process/);
    // Nothing lost: every SEND of the connection is recorded.
    await waitFor(() => rows(db, `SELECT closed FROM connections WHERE id = ?`, conns.locked)[0].closed !== null, STEP, 'the connection to be recorded as closed');
    const sends = rows(db, `SELECT count(*) n FROM frames WHERE connection_id = ? AND command = 'SEND'`, conns.locked)[0].n;
    expect(sends, 'SENDs recorded vs sent').toBe(sent);
  }, 60_000);

  it('every fault is stored as an issue or a close reason, and listed in the session\'s expert info (the UI\'s issues list)', async () => {
    const exit = await proxy!.stop();
    proxy = undefined;
    expect(exit.code, exit.stderr).toBe(0);
    const byConn = (id: number) => rows(db, `SELECT code, severity, message FROM issues WHERE connection_id = ? ORDER BY id`, id);
    const closed = (id: number) => rows(db, `SELECT close_reason FROM connections WHERE id = ?`, id)[0].close_reason;
    expect(closed(conns.before)).toMatch(/^broker (closed|reset)$/);
    expect(byConn(conns.before)).toContainEqual(expect.objectContaining({ code: 'broker-closed', message: expect.stringMatching(/before the client sent DISCONNECT/) }));
    // After DISCONNECT, the broker closing is expected: no issue.
    expect(byConn(conns.after).map((i) => i.code)).not.toContain('broker-closed');
    expect(byConn(conns.refused)).toEqual([expect.objectContaining({ code: 'upstream-unreachable', severity: 'error', message: expect.stringMatching(/ECONNREFUSED/) })]);
    expect(closed(conns.refused)).toBe('upstream unreachable');
    expect(closed(conns.after)).toMatch(/^(client|broker) closed$/); // RabbitMQ closes first after DISCONNECT's receipt
    expect(closed(conns.reset)).toBe('client reset');
    expect(byConn(conns.reset)).toContainEqual(expect.objectContaining({ code: 'connection-error', message: expect.stringMatching(/client side: ECONNRESET/) }));
    expect(rows(db, `SELECT code FROM issues WHERE session_id = ? AND connection_id IS NULL`, session).map((r) => r.code)).toContain('recording-paused');
    const codes = await expertCodes(db, session);
    expect(codes).toEqual(expect.arrayContaining(['broker-closed', 'upstream-unreachable', 'connection-error', 'recording-paused']));
  }, 60_000);
});

// A full disk: the database and its raw files on a 4 MiB tmpfs that a filler file nearly fills. Needs root
// (mount -t tmpfs); skipped with the reason otherwise.
describe('faults: disk full', () => {
  let mnt = '';
  let mounted: string | null = null;
  beforeAll(() => {
    mnt = path.join(tmpDir('stompscope-full-'), 'mnt');
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = mnt;
    } catch (e) {
      console.log(`[faults] disk full not simulated: cannot mount a tmpfs (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()})`);
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', mounted]);
    removeTmpDirs();
  });

  it('a full disk fails recording with a warning and a stored issue, never forwarding; recording resumes when there is room', async (ctx) => {
    if (!mounted) ctx.skip('cannot mount a tmpfs here (needs root): disk full not simulated');
    const db = path.join(mnt, 'full.db');
    let got = 0;
    const brokerSockets: net.Socket[] = [];
    const broker = await listen((s) => {
      brokerSockets.push(s);
      s.on('error', () => {});
      s.on('data', (d) => (got += d.length));
      s.write('CONNECTED\nversion:1.2\n\n\0');
    });
    const proxy = await startProxy({ upstream: `127.0.0.1:${portOf(broker)}`, db, name: 'disk-full', extraArgs: ['--quiet'] });
    try {
      // Leave about 256 KiB free.
      const free = () => { const st = fs.statfsSync(mnt); return st.bavail * st.bsize; };
      fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(Math.max(0, free() - 256 * 1024)));
      const c = await connect(proxy.port, proxy.host);
      c.on('error', () => {});
      c.resume();
      await writeAll(c, Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
      const frame = Buffer.from(`SEND\ndestination:/queue/full\ncontent-length:65536\n\n${'x'.repeat(65536)}\0`);
      const sendFor = async (ms: number) => {
        const until = Date.now() + ms;
        let n = 0;
        while (Date.now() < until) {
          await writeAll(c, frame);
          n++;
          if (n % 8 === 0) await sleep(10);
        }
        return n;
      };
      const gotBefore = got;
      const n1 = await sendFor(1_500);
      await waitFor(() => got >= gotBefore + n1 * frame.length, STEP, 'the broker to receive everything sent while the disk was full');
      await waitFor(() => /recording failed for a batch/.test(proxy.stderrText()), STEP, 'the proxy to warn that recording failed');
      console.log(`[faults] disk full: ${n1} frames of 64 KiB forwarded whole while recording failed; warning: ${proxy.stderrText().match(/warning: recording failed[^\n]*/)?.[0]}`);
      // Room again: recording resumes, and the loss is stored.
      c.end();
      fs.rmSync(path.join(mnt, 'filler'));
      const c2 = await connect(proxy.port, proxy.host);
      c2.resume();
      await writeAll(c2, Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0SEND\ndestination:/queue/after\n\nafter the disk was full\0'));
      c2.end();
      await waitFor(() => /recording works again/.test(proxy.stderrText()), STEP, 'the proxy to say recording works again');
      await sleep(300);
      const exit = await proxy.stop();
      expect(exit.code, exit.stderr).toBe(0);
      const issues = rows(db, `SELECT code, message FROM issues WHERE connection_id IS NULL`);
      expect(issues).toContainEqual(expect.objectContaining({ code: 'recording-failed', message: expect.stringMatching(/could not be recorded: .*(ENOSPC|full)/i) }));
      // Recording works again afterwards: the later connection is recorded whole.
      const last = rows(db, `SELECT command, destination FROM frames WHERE connection_id = (SELECT max(id) FROM connections) ORDER BY command`);
      expect(last).toEqual([{ command: 'CONNECT', destination: null }, { command: 'CONNECTED', destination: null }, { command: 'SEND', destination: '/queue/after' }]);
      expect(rows(db, `PRAGMA integrity_check`)).toEqual([{ integrity_check: 'ok' }]);
      expect(await expertCodes(db, 1)).toContain('recording-failed');
    } finally {
      await proxy.stop();
      for (const s of brokerSockets) s.destroy();
      await closeServer(broker);
    }
  }, 60_000);
});
