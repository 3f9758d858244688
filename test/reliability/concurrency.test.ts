// Concurrency: many simultaneous client connections through one proxy (the real CLI, in a child
// process, so that its memory can be measured alone) to a real RabbitMQ (inject('rabbitmq'), the private
// broker of the test run). Each connection subscribes to its own queue, sends messages with receipts,
// receives them and ACKs them, then disconnects with a receipt. None may be lost or stall; every frame is
// recorded; the proxy's peak resident memory (VmHWM) is reported and bounded.
//
// CI: 500 connections with 3 messages each (about 2 s here). `npm run soak`: 500 connections with 20 messages each.
import { afterAll, describe, expect, inject, it } from 'vitest';
import path from 'node:path';
import { openDb } from '../../src-main/core/store/db.js';
import { startProxy, type RunningProxy } from '../support/proxy-cli.js';
import { header, StompClient } from './stomp-client.js';
import { MiB, mib, peakRss, removeTmpDirs, size, SOAK, tmpDir } from './support.js';

const CONNECTIONS = size('CONNECTIONS', 500, 500);
const MESSAGES = size('MESSAGES', 3, 20);
const STEP_MS = 30_000;

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('concurrency through one proxy to RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  let proxy: RunningProxy | undefined;
  afterAll(async () => {
    await proxy?.stop();
    removeTmpDirs();
  });

  it(`${CONNECTIONS} simultaneous connections each send, subscribe, receive and ACK; none lost or stalled`, async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    const db = path.join(tmpDir(), 'conc.db');
    proxy = await startProxy({ upstream: `${rabbit.host}:${rabbit.stompPort}`, db, name: 'concurrency', extraArgs: ['--quiet'] });
    const rss = peakRss(proxy.pid);
    const baseline = rss.peak();
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const t0 = Date.now();

    const clients: StompClient[] = [];
    let subscribed = 0;
    let release!: () => void;
    const allSubscribed = new Promise<void>((r) => (release = r));
    const barrier = setInterval(() => {
      if (subscribed === CONNECTIONS || clients.some((c) => c?.closed)) release();
    }, 20);
    const barrierTimeout = setTimeout(release, STEP_MS);
    const one = async (i: number) => {
      const c = await StompClient.connect(proxy!.port, proxy!.host, STEP_MS);
      clients[i] = c;
      await c.handshake(STEP_MS);
      const queue = `/queue/rel-${run}-${i}`;
      c.stage = 'SUBSCRIBE';
      c.send('SUBSCRIBE', { id: 's0', destination: queue, ack: 'client-individual', receipt: `sub-${i}` });
      await c.receipt(`sub-${i}`, STEP_MS);
      // All connections are open and subscribed at once before anyone sends: truly simultaneous.
      c.stage = 'waiting for the others to subscribe';
      subscribed++;
      await allSubscribed;
      c.stage = 'SEND';
      for (let m = 0; m < MESSAGES; m++) c.send('SEND', { destination: queue, receipt: `send-${i}-${m}`, 'content-type': 'text/plain' }, `message ${m} of connection ${i}`);
      for (let m = 0; m < MESSAGES; m++) await c.receipt(`send-${i}-${m}`, STEP_MS);
      c.stage = 'MESSAGE';
      const got: string[] = [];
      let from = 0;
      for (let m = 0; m < MESSAGES; m++) {
        const msg = await c.next((f) => f.command === 'MESSAGE', STEP_MS, `MESSAGE ${m} of connection ${i}`, from);
        from = c.frames.indexOf(msg) + 1;
        got.push(msg.body.toString());
        c.send('ACK', { id: header(msg, 'ack')! });
      }
      expect(got.sort()).toEqual(Array.from({ length: MESSAGES }, (_, m) => `message ${m} of connection ${i}`).sort());
      c.stage = 'DISCONNECT';
      c.send('DISCONNECT', { receipt: `bye-${i}` });
      await c.receipt(`bye-${i}`, STEP_MS);
      c.stage = 'done';
      c.close();
    };
    const results = await Promise.allSettled(Array.from({ length: CONNECTIONS }, (_, i) => one(i)));
    const elapsed = Date.now() - t0;
    clearInterval(barrier);
    clearTimeout(barrierTimeout);
    const together = subscribed;
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`#${i} at ${clients[i]?.stage ?? 'connect'}: ${(r.reason as Error).message}`] : []));
    for (const c of clients) c?.close();
    expect(failed, `${failed.length} of ${CONNECTIONS} connections failed or stalled`).toEqual([]);
    expect(together, 'connections open and subscribed at the same time').toBe(CONNECTIONS);

    const peak = rss.stop();
    const exit = await proxy.stop();
    proxy = undefined;
    expect(exit.code, exit.stderr).toBe(0);
    console.log(`[concurrency] ${CONNECTIONS} connections x (CONNECT, SUBSCRIBE, ${MESSAGES} SEND+RECEIPT, ${MESSAGES} MESSAGE+ACK, DISCONNECT) ` +
      `in ${elapsed} ms; proxy peak RSS ${mib(peak)} (at start ${mib(baseline)})`);
    // Bounded: a few hundred idle-ish connections must not cost more than a modest amount over the start.
    expect(peak - baseline, `proxy peak RSS ${mib(peak)} vs ${mib(baseline)} at start`).toBeLessThan(200 * MiB);

    // Every frame of every connection was recorded.
    const d = openDb(db, { readonly: true });
    try {
      const byCommand = Object.fromEntries((d.prepare(`SELECT command, count(*) n FROM frames GROUP BY command`).all() as Array<{ command: string; n: number }>)
        .map((r) => [r.command, r.n]));
      const n = CONNECTIONS;
      expect(byCommand).toEqual({
        CONNECT: n, CONNECTED: n, SUBSCRIBE: n, SEND: n * MESSAGES, MESSAGE: n * MESSAGES, ACK: n * MESSAGES,
        RECEIPT: n * (MESSAGES + 2), DISCONNECT: n,
      });
      expect(d.prepare(`SELECT count(*) FROM connections WHERE closed IS NOT NULL`).pluck().get()).toBe(n);
      expect(d.prepare(`SELECT code, count(*) n FROM issues WHERE severity = 'error' GROUP BY code`).all()).toEqual([]);
    } finally {
      d.close();
    }
  }, SOAK ? 10 * 60_000 : 120_000);
});
