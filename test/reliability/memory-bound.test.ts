// The proxy's memory is bounded by the recorder's budget, whatever the peers send: an 800 MB body without a NUL
// (a frame that never ends, which no real broker produces, hence a fake sink that discards) goes through the real
// CLI proxy in a child process, whose peak resident set (VmHWM) is read from /proc. Where the recorder could not
// keep up, the bytes it shed make one issue per shed span (not one per read), and the frame they belong to is
// still listed with its real length.
import { afterAll, describe, expect, it } from 'vitest';
import type net from 'node:net';
import path from 'node:path';
import { openDb } from '../../src-main/core/store/db.js';
import { startProxy, type RunningProxy } from '../support/proxy-cli.js';
import { closeServer, connect, listen, MiB, mib, peakRss, portOf, removeTmpDirs, size, SOAK, tmpDir, waitFor, within, writeAll } from './support.js';

const BODY = size('NUL_LESS_BYTES', 800 * 1000 * 1000, 800 * 1000 * 1000);
/** The figure the README gives: the recorder's 256 MiB budget, plus the process itself (two V8 isolates, SQLite). */
const PEAK_LIMIT = 450 * 1000 * 1000;

describe('proxy memory', () => {
  let proxy: RunningProxy | undefined;
  afterAll(async () => {
    await proxy?.stop();
    removeTmpDirs();
  });

  it(`stays under ${mib(PEAK_LIMIT)} with a ${mib(BODY)} body without a NUL, with one issue per shed span and the frame listed`, async () => {
    let received = 0;
    let brokerSide: net.Socket | undefined;
    const sink = await listen((s) => {
      brokerSide = s;
      s.on('error', () => {});
      s.on('data', (d: Buffer) => (received += d.length)); // discards
    });
    const db = path.join(tmpDir(), 'nul-less.db');
    proxy = await startProxy({ upstream: `127.0.0.1:${portOf(sink)}`, db, name: 'nul-less', extraArgs: ['--quiet'] });
    const rss = peakRss(proxy.pid, 20);
    const baseline = rss.peak();
    const head = Buffer.from('SEND\ndestination:/queue/endless\ncontent-type:application/octet-stream\n\n');
    const c = await connect(proxy.port, proxy.host);
    c.on('error', () => {});
    await writeAll(c, head);
    // 1 MiB writes with backpressure: the proxy forwards as fast as the sink reads, the recorder falls behind.
    const block = Buffer.alloc(MiB, 0x61);
    const t0 = Date.now();
    await within((async () => {
      for (let sent = 0; sent < BODY; sent += MiB) await writeAll(c, block.subarray(0, Math.min(MiB, BODY - sent)));
    })(), 300_000, `sending ${mib(BODY)}`);
    await waitFor(() => received === head.length + BODY, 60_000, 'the sink to receive every byte');
    const forwardMs = Date.now() - t0;
    c.end();
    await waitFor(() => brokerSide?.readableEnded === true, 30_000, 'the proxy to pass the close on');
    brokerSide!.end();
    const exit = await proxy.stop(120_000);
    const peak = rss.stop();
    proxy = undefined;
    await closeServer(sink);
    expect(exit.code, exit.stderr).toBe(0);
    console.log(`[memory-bound] ${mib(BODY)} in ${forwardMs} ms; proxy peak RSS ${mib(peak)} (${mib(baseline)} at start); ` +
      `stderr: ${exit.stderr.trim().split('\n').pop()}`);

    const d = openDb(db, { readonly: true });
    try {
      const frames = d.prepare(`SELECT command, length, body_length, issues FROM frames`).all() as Array<{ command: string; length: number; body_length: number }>;
      const issues = d.prepare(`SELECT code, frame_id, offset, message FROM issues ORDER BY id`).all() as Array<{ code: string; frame_id: number | null; offset: number | null; message: string }>;
      const spans = issues.filter((i) => i.code === 'recording-overload' && i.frame_id === null);
      console.log(`[memory-bound] ${spans.length} shed span(s), ${issues.length} issue(s): ` +
        issues.slice(0, 6).map((i) => `${i.code}${i.frame_id === null ? '' : ' (frame)'}: ${i.message}`).join(' | '));
      // The frame that never ended is listed with every byte the proxy forwarded, shed or not.
      expect(frames).toEqual([expect.objectContaining({ command: 'SEND', length: head.length + BODY, body_length: BODY })]);
      // One issue per span of shed reads, however many reads (an 800 MB span is about 12,000 reads of 64 KiB).
      expect(spans.length).toBeLessThan(20);
      for (const s of spans) expect(s.message).toMatch(/^\d+ bytes \(stream offsets \d+–\d+/);
      expect(issues.length).toBeLessThan(2 * spans.length + 5);
    } finally {
      d.close();
    }
    expect(peak, `proxy peak RSS ${mib(peak)}`).toBeLessThan(PEAK_LIMIT);
  }, SOAK ? 15 * 60_000 : 420_000);
});
