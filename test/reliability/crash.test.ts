// Crash safety: kill -9 of the proxy (the real CLI, in a child process) while it records about 10,000
// frames a second. Then: the database opens cleanly (PRAGMA integrity_check = ok, and the CLI's read commands
// work), every committed frame is readable with its body (from the raw file) and byte-identical to what was
// sent, the frames kept are exactly the first ones sent (no holes), and what is lost is at most the last batch
// window: the recorder hands bytes to its worker every 100 ms, and the worker commits each batch in one
// transaction, so a kill loses the batch being gathered (≤ 100 ms of traffic) plus the ones in the worker's hands
// (normally one, written in a few ms). The bound asserted is the rate times (100 ms + WRITE_ALLOWANCE_MS), the
// allowance covering the worker's write time on a busy 2-core CI machine (it runs at a lower priority).
// Finally the session is marked 'interrupted' when the next recording starts.
import { afterAll, describe, expect, it } from 'vitest';
import type net from 'node:net';
import path from 'node:path';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { readJsonl, startProxy } from '../support/proxy-cli.js';
import { WireSplitter } from '../support/stomp-wire.js';
import { closeServer, connect, listen, portOf, removeTmpDirs, size, sleep, SOAK, tmpDir, waitFor, writeAll } from './support.js';

const RATE = 10_000; // frames per second
const RUN_MS = size('CRASH_RUN_MS', 2_000, 20_000);
const BATCH_MS = 100;
const WRITE_ALLOWANCE_MS = 250;

afterAll(removeTmpDirs);

const frameBytes = (n: number) => Buffer.from(`SEND\ndestination:/queue/crash\nseq:${n}\ncontent-type:text/plain\n\nbody of frame ${n} ${'.'.repeat(n % 64)}\0`);

describe('crash safety', () => {
  it(`kill -9 while recording ${RATE.toLocaleString('en')} frames/s loses at most the last batch window and leaves a clean database`, async () => {
    // The broker: answers CONNECT, counts the SEND frames it gets whole (what the proxy really forwarded).
    let forwarded = 0;
    const splitter = new WireSplitter();
    const sockets: net.Socket[] = [];
    const broker = await listen((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.write('CONNECTED\nversion:1.2\n\n\0');
      s.on('data', (d) => {
        for (const e of splitter.feed(d)) if (e.kind === 'frame' && e.frame.command === 'SEND') forwarded++;
      });
    });
    const db = path.join(tmpDir(), 'crash.db');
    const proxy = await startProxy({ upstream: `127.0.0.1:${portOf(broker)}`, db, name: 'crash', extraArgs: ['--quiet'] });
    const c = await connect(proxy.port, proxy.host);
    c.on('error', () => {});
    c.resume();
    await writeAll(c, Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));

    // 10k frames/s: every 10 ms, as many frames as the clock says are due.
    let sent = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < RUN_MS) {
      const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
      const parts: Buffer[] = [];
      for (; sent < due; sent++) parts.push(frameBytes(sent));
      if (parts.length) await writeAll(c, Buffer.concat(parts));
      await sleep(10);
    }
    // Everything sent so far is forwarded: then kill, with the recorder at full speed.
    await waitFor(() => forwarded === sent, 10_000, `the broker to receive all ${sent} frames`);
    const rate = sent / ((Date.now() - t0) / 1000);
    process.kill(proxy.pid, 'SIGKILL');
    const exit = await proxy.stop();
    expect(exit.signal).toBe('SIGKILL');
    c.destroy();
    for (const s of sockets) s.destroy();
    await closeServer(broker);

    // The database opens cleanly, read-only as the CLI's read commands open it, and they work.
    const reader = new StoreReader(openDb(db, { readonly: true }));
    let kept: number;
    try {
      expect(reader.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const frames = reader.db.prepare(`SELECT connection_id, dir, command, offset, length, body_offset, body_length, headers FROM frames WHERE command = 'SEND' ORDER BY id`).all() as Array<{
        connection_id: number; dir: number; command: string; offset: number; length: number; body_offset: number; body_length: number; headers: string;
      }>;
      kept = frames.length;
      // Exactly the first `kept` frames sent, each readable, raw bytes and body, from the raw file.
      frames.forEach((f, i) => {
        const seq = (JSON.parse(f.headers) as [string, string][]).find(([k]) => k === 'seq')?.[1];
        expect(seq, `frame ${i} in recording order`).toBe(String(i));
        const raw = reader.readBytes(f.connection_id, 'client', f.offset, f.length);
        expect(raw?.equals(frameBytes(i)), `raw bytes of frame ${i}`).toBe(true);
        const body = reader.readBytes(f.connection_id, 'client', f.body_offset, f.body_length);
        expect(body?.toString(), `body of frame ${i}`).toBe(`body of frame ${i} ${'.'.repeat(i % 64)}`);
      });
    } finally {
      reader.db.close();
    }
    const lost = sent - kept;
    const bound = Math.ceil((rate * (BATCH_MS + WRITE_ALLOWANCE_MS)) / 1000);
    console.log(`[crash] ${sent} frames sent in ${RUN_MS} ms (${rate.toFixed(0)}/s), all forwarded; after kill -9: ${kept} recorded, ${lost} lost ` +
      `(${((lost / rate) * 1000).toFixed(0)} ms of traffic; bound ${bound} = ${BATCH_MS} ms window + ${WRITE_ALLOWANCE_MS} ms write allowance)`);
    expect(kept, 'something was recorded before the kill').toBeGreaterThan(0);
    expect(lost, `frames lost by kill -9 (sent ${sent} at ${rate.toFixed(0)}/s)`).toBeLessThanOrEqual(bound);

    const sessionsBefore = await readJsonl<{ session: number; state: string }>(['sessions', '--db', db]);
    expect(sessionsBefore.map((s) => s.state)).toEqual(['recording']);
    // The next recording into the database marks the killed one as interrupted.
    const next = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'after the crash' });
    await next.end();
    const sessions = await readJsonl<{ session: number; state: string; frames: number }>(['sessions', '--db', db]);
    expect(sessions.map((s) => s.state).sort()).toEqual(['complete', 'interrupted']);
    expect(sessions.find((s) => s.state === 'interrupted')?.frames).toBe(kept + 2); // + CONNECT and CONNECTED
  }, SOAK ? 5 * 60_000 : 60_000);
});
