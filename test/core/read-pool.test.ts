// The core's read workers (src-main/core/read/pool.ts): a read past its time limit is stopped by terminating its
// worker, which is started again; the queries it held answer not-found with the reason; errors cross the thread
// as ApiErrors; a newer frames.query of the same caller cancels its older one; a slow read in one worker leaves
// the other to answer. Nothing here measures time: the slow filter would run for years, not seconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type QueryDto, type WindowDto } from '../../shared/api/index.js';
import { Core, type CoreOptions } from '../../src-main/core/api.js';
import { ReadPool, startReadWorker } from '../../src-main/core/read/pool.js';
import { openDb } from '../../src-main/core/store/db.js';
import { SLOW_FILTER, seedSlowBodies } from '../support/seed.js';

const QUICK_FILTER = 'command == "SEND"';

describe('read workers', () => {
  let dir = '';
  let db = '';
  let session = 0;
  let sends = 0;
  const cores: Core[] = [];
  const open = (o: CoreOptions) => {
    const c = Core.open(db, o);
    cores.push(c);
    return c;
  };
  const pool = (c: Core) => (c as unknown as { reads: { workerIds(): number[] } }).reads;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-reads-'));
    db = path.join(dir, 'r.db');
    const d = openDb(db);
    ({ session, sends } = seedSlowBodies(d, 6));
    d.close();
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops a filter past the time limit with a clear error, restarts the worker, and answers the next query', async () => {
    const core = open({ readTimeoutMs: 2000, readWorkers: 1 });
    const first = (await core.invoke('frames.query', { session, filter: QUICK_FILTER })) as QueryDto;
    expect(first.total).toBe(sends);
    const before = pool(core).workerIds();
    const slow = Promise.resolve(core.invoke('frames.query', { session, filter: SLOW_FILTER }));
    await expect(slow).rejects.toThrow(ApiError);
    await expect(slow).rejects.toMatchObject({ code: 'timeout', message: 'filter took too long (over 2 s) and was stopped' });
    const again = (await core.invoke('frames.query', { session, filter: QUICK_FILTER })) as QueryDto;
    expect(again.total).toBe(sends);
    const after = pool(core).workerIds();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    // The query the stopped worker held is gone, and says why; closing it is not an error.
    await expect(Promise.resolve(core.invoke('frames.window', { query: first.query, start: 0, count: 5 })))
      .rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/was closed when its read worker was restarted/) });
    expect(await core.invoke('frames.close', { query: first.query })).toEqual({ closed: false });
    // The new worker's queries work, and never reuse a handle of the old one.
    expect(again.query).not.toBe(first.query);
    const w = (await core.invoke('frames.window', { query: again.query, start: 0, count: 100 })) as WindowDto;
    expect(w.rows.every((r) => r.command === 'SEND')).toBe(true);
  });

  it('stops any read past the limit, a page of rows and an export too', async () => {
    const core = open({ readTimeoutMs: 2000, readWorkers: 1 });
    await expect(Promise.resolve(core.invoke('frames.page', { session, after: 0, limit: 10, filter: SLOW_FILTER })))
      .rejects.toMatchObject({ code: 'timeout', message: 'filter took too long (over 2 s) and was stopped' });
    const { ticket } = core.invoke('session.export', { session, filter: SLOW_FILTER }) as { ticket: string };
    const parts = core.takeExport(ticket)!;
    await expect(parts.next()).rejects.toMatchObject({ code: 'timeout' });
    expect(((await core.invoke('frames.page', { session, after: 0, limit: 100 })) as unknown[]).length).toBeGreaterThan(sends);
  });

  it('carries errors from the worker as ApiErrors, with their code and detail', async () => {
    const core = open({ readWorkers: 1 });
    const bad = Promise.resolve(core.invoke('frames.query', { session, filter: 'command ==' }));
    await expect(bad).rejects.toBeInstanceOf(ApiError);
    await expect(bad).rejects.toMatchObject({ code: 'bad-filter', detail: { start: 10 } });
    await expect(Promise.resolve(core.invoke('frame.detail', { id: 999_999 }))).rejects.toMatchObject({ code: 'not-found', message: 'no frame 999999' });
    await expect(Promise.resolve(core.invoke('frames.window', { query: 12, start: 0, count: 1 }))).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/no open query 12/) });
    // Arguments are still checked in the caller's thread, at once.
    expect(() => core.invoke('frames.query', { session: 'x', filter: '' })).toThrow(/'session' must be an integer/);
  });

  it('a newer frames.query of the same caller cancels its older one; another caller\'s query is left alone', async () => {
    // A limit no test waits out: only the cancellation can end the slow query before the test's own timeout.
    const core = open({ readTimeoutMs: 600_000, readWorkers: 1 });
    const ui = {};
    const otherUi = {};
    const slow = Promise.resolve(core.invoke('frames.query', { session, filter: SLOW_FILTER }, ui));
    slow.catch(() => {});
    const others = Promise.resolve(core.invoke('frames.query', { session, filter: QUICK_FILTER }, otherUi));
    const newer = Promise.resolve(core.invoke('frames.query', { session, filter: QUICK_FILTER }, ui));
    await expect(slow).rejects.toMatchObject({ code: 'cancelled', message: 'filter cancelled: a newer filter replaced it' });
    expect(((await newer) as QueryDto).total).toBe(sends);
    expect(((await others) as QueryDto).total).toBe(sends);
  });

  it('answers other reads from the second worker while the first runs a slow filter', async () => {
    const core = open({ readTimeoutMs: 600_000, readWorkers: 2 });
    const ui = {};
    const slow = Promise.resolve(core.invoke('frames.query', { session, filter: SLOW_FILTER }, ui));
    slow.catch(() => {});
    // Were these queued behind the slow filter, the test would time out.
    expect(((await core.invoke('sessions.list', {})) as Array<{ session: number }>).map((s) => s.session)).toContain(session);
    const q = (await core.invoke('frames.query', { session, filter: QUICK_FILTER })) as QueryDto;
    expect(q.total).toBe(sends);
    expect(((await core.invoke('frames.window', { query: q.query, start: 0, count: 2 })) as WindowDto).rows).toHaveLength(2);
    expect(pool(core).workerIds()).toHaveLength(2);
    await core.invoke('frames.query', { session, filter: '' }, ui);
    await expect(slow).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('closing the core ends reads still running', async () => {
    const core = open({ readTimeoutMs: 600_000, readWorkers: 1 });
    const slow = Promise.resolve(core.invoke('frames.query', { session, filter: SLOW_FILTER }));
    slow.catch(() => {});
    await expect.poll(() => pool(core).workerIds().length).toBe(1);
    cores.splice(cores.indexOf(core), 1);
    await core.close();
    await expect(slow).rejects.toMatchObject({ code: 'conflict', message: 'the core is closing' });
  });
  it('a read sent to a worker that is still starting is taken by the other one as soon as it is free', async () => {
    // The second worker is held back from saying it is ready (as a slow start on a loaded machine would): only the
    // sharing of reads between workers can answer a read that was sent to it.
    const held: Array<() => void> = [];
    let spawned = 0;
    const reads = new ReadPool(db, {
      workers: 2,
      startWorker: (config) => {
        const w = startReadWorker(config);
        if (++spawned === 2) {
          const on = w.on.bind(w);
          w.on = ((event: string, fn: (m: { t: string }) => void) =>
            on(event, event === 'message' ? (m: { t: string }) => (m.t === 'ready' ? held.push(() => fn(m)) : fn(m)) : fn)) as typeof w.on;
        }
        return w;
      },
    });
    try {
      const ui = {};
      await reads.run('sessions.list', {});
      // Worker 1 runs a filter that never ends; the next read goes to worker 2, which never gets ready.
      const slow = reads.run('frames.query', { session, filter: SLOW_FILTER }, ui);
      const other = reads.run('connections.list', { session });
      // The same page's newer filter cancels the slow one (worker 1 is restarted) and runs on the new worker 1;
      // once that is free, it takes the read waiting for worker 2.
      const newer = reads.run('frames.query', { session, filter: QUICK_FILTER }, ui);
      await expect(slow).rejects.toMatchObject({ code: 'cancelled' });
      expect(((await newer) as QueryDto).total).toBe(sends);
      expect(await other).toHaveLength(1);
      // Worker 2 was started; its 'ready' (whether or not it has come yet: on a loaded machine it may not) is held back,
      // so the pool never saw it ready and the read above can only have been answered by the other worker.
      expect(spawned).toBeGreaterThanOrEqual(2);
    } finally {
      await reads.close();
    }
  });
});
