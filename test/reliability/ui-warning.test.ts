// A proxy started from the UI (the core's proxy.start) tells the UI when its recording pauses because another
// process locked the database, and when it resumes: proxy.list carries the recorder's latest warning
// (the sidebar shows it under the proxy), `sessions.changed` tells the page to ask again, and the pause is
// stored as a recording-paused issue of the session. If the database stays locked when the proxy is stopped,
// stopping still finishes (bounded), dropping what it could not record.
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { ProxyDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { openDb } from '../../src-main/core/store/db.js';
import { closeServer, connect, listen, portOf, removeTmpDirs, sleep, tmpDir, waitFor, within, writeAll } from './support.js';

afterEach(removeTmpDirs);

async function setup() {
  const broker = await listen((s) => {
    s.on('error', () => {});
    s.on('end', () => s.end());
    s.write('CONNECTED\nversion:1.2\n\n\0');
    s.resume();
  });
  const db = path.join(tmpDir(), 'ui-warning.db');
  const core = new Core(openDb(db));
  const events = { changed: 0 };
  const off = core.onEvent((e) => {
    if (e === 'sessions.changed') events.changed++;
  });
  const p = await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${portOf(broker)}` });
  const warning = async () => ((await core.invoke('proxy.list', {})) as ProxyDto[])[0]?.warning ?? null;
  const c = await connect(Number(p.listen.split(':').pop()));
  c.on('error', () => {});
  await writeAll(c, Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
  const close = async () => {
    off();
    c.destroy();
    await core.close();
    await closeServer(broker);
  };
  return { db, core, events, p, warning, c, close };
}

describe('recording warnings in the UI', () => {
  it('proxy.list shows that recording paused while the database was locked, then resumed; the pause is an issue', async () => {
    const { db, core, events, p, warning, c, close } = await setup();
    try {
      expect(await warning()).toBeNull();
      const locker = new Database(db);
      locker.exec('BEGIN EXCLUSIVE');
      const before = events.changed;
      for (let i = 0; i < 20; i++) {
        await writeAll(c, Buffer.from(`SEND\ndestination:/queue/w\n\nmessage ${i}\0`));
        await sleep(100);
      }
      await waitFor(async () => /recording paused: the database is locked/.test((await warning()) ?? ''), 10_000, 'proxy.list to show the pause');
      expect(events.changed, 'sessions.changed told the page to ask again').toBeGreaterThan(before);
      locker.exec('COMMIT');
      locker.close();
      await waitFor(async () => /recording resumed after/.test((await warning()) ?? ''), 10_000, 'proxy.list to show the resumption');
      c.end();
      await core.invoke('proxy.stop', { session: p.session });
      const d = openDb(db, { readonly: true });
      try {
        expect(d.prepare(`SELECT count(*) FROM frames WHERE command = 'SEND'`).pluck().get(), 'every SEND recorded after the pause').toBe(20);
        expect(d.prepare(`SELECT code FROM issues WHERE connection_id IS NULL`).pluck().all()).toEqual(['recording-paused']);
      } finally {
        d.close();
      }
    } finally {
      await close();
    }
  }, 60_000);

  it('stopping a proxy whose database stays locked finishes anyway, within a bounded time', async () => {
    const { db, core, p, warning, c, close } = await setup();
    const locker = new Database(db);
    try {
      locker.exec('BEGIN EXCLUSIVE');
      await writeAll(c, Buffer.from('SEND\ndestination:/queue/w\n\nlost\0'));
      await waitFor(async () => /recording paused/.test((await warning()) ?? ''), 10_000, 'the pause');
      const t0 = Date.now();
      await within(Promise.resolve(core.invoke('proxy.stop', { session: p.session })), 30_000, 'proxy.stop with the database locked');
      console.log(`[ui-warning] proxy.stop with the database locked returned after ${Date.now() - t0} ms`);
    } finally {
      locker.exec('COMMIT');
      locker.close();
      await close();
    }
  }, 60_000);
});
