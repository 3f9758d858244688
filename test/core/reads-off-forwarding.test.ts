// Reads of the UI never hold up the proxies the UI started: a proxy started through the core (proxy.start)
// forwards on the host's thread, the display filters run in the core's read workers. A catastrophic-backtracking
// `matches` filter (it would run for years) runs while SEND → RECEIPT + MESSAGE round trips go through the proxy
// to the real RabbitMQ; they complete in milliseconds, against the filter's 10 s until it is stopped: the bound
// (1 s each) is generous, and the difference is orders of magnitude.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProxyDto, QueryDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { openDb } from '../../src-main/core/store/db.js';
import { header, StompClient } from '../reliability/stomp-client.js';
import { SLOW_FILTER, seedSlowBodies } from '../support/seed.js';

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('reads off the forwarding thread', () => {
  const rabbit = inject('rabbitmq');
  const queue = `/queue/reads-off-forwarding-${process.pid}`;
  let dir = '';
  let core: Core;
  let proxy: ProxyDto;
  let client: StompClient;
  let seeded = 0;
  let seededSends = 0;

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-reads-'));
    const db = path.join(dir, 'r.db');
    const d = openDb(db);
    ({ session: seeded, sends: seededSends } = seedSlowBodies(d, 20, 'bodies that backtrack'));
    d.close();
    // The default time limit (10 s).
    core = Core.open(db);
    proxy = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `${rabbit.host}:${rabbit.stompPort}`, name: 'the UI\'s proxy' })) as ProxyDto;
    client = await StompClient.connect(Number(proxy.listen.split(':').pop()));
    await client.handshake(10_000);
    client.send('SUBSCRIBE', { id: 's', destination: queue, ack: 'auto', receipt: 'sub' });
    await client.receipt('sub', 10_000);
  });
  afterAll(async () => {
    client?.close();
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One SEND through the proxy until its RECEIPT and its MESSAGE are back; in ms. */
  const roundTrip = async (i: number): Promise<number> => {
    const t0 = performance.now();
    const from = client.frames.length;
    client.send('SEND', { destination: queue, receipt: `r-${i}` }, `round trip ${i}`);
    await client.next((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === `r-${i}`, 30_000, `RECEIPT r-${i}`, from);
    await client.next((f) => f.command === 'MESSAGE' && f.body.toString() === `round trip ${i}`, 30_000, `MESSAGE ${i}`, from);
    return performance.now() - t0;
  };

  it('round trips through the UI\'s proxy are not held up by slow filters, which are stopped with a clear error', async () => {
    const ui = {};
    const times: number[] = [];
    // A round trip in flight when the filters start (a filter on the forwarding thread would hold it until the end).
    const first = roundTrip(0);
    const slow = Promise.resolve().then(() => core.invoke('frames.query', { session: seeded, filter: SLOW_FILTER }, ui));
    const slowPage = Promise.resolve().then(() => core.invoke('frames.page', { session: seeded, after: 0, limit: 100, filter: SLOW_FILTER }));
    let settled = false;
    for (const p of [slow, slowPage]) p.then(() => (settled = true), () => (settled = true));
    times.push(await first);
    for (let i = 1; i < 10; i++) times.push(await roundTrip(i));
    // All of them went through while both read workers were stuck in the filter.
    expect(settled).toBe(false);
    expect(Math.max(...times)).toBeLessThan(1000);
    await expect(slow).rejects.toMatchObject({ code: 'timeout', message: 'filter took too long (over 10 s) and was stopped' });
    await expect(slowPage).rejects.toMatchObject({ code: 'timeout', message: 'filter took too long (over 10 s) and was stopped' });
    // The restarted workers answer the next query normally, and the proxy recorded the round trips.
    const q = (await core.invoke('frames.query', { session: seeded, filter: 'command == "SEND"' }, ui)) as QueryDto;
    expect(q.total).toBe(seededSends);
    await expect.poll(async () => ((await core.invoke('frames.query', { session: proxy.session, filter: 'command == "SEND"' })) as QueryDto).total, { timeout: 10_000 }).toBe(10);
  }, 60_000);
});
