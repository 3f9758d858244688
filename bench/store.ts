// Store benchmark: how fast recorded traffic reaches SQLite through our recorder (decode, chunked raw bytes,
// frame index by offset), beside the obvious layout measured in the same run: one row per frame with its
// body as a blob, in one WAL transaction per batch.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../src-main/core/store/db.js';
import { StoreWriter } from '../src-main/core/store/writer.js';
import { ConnectionRecorder } from '../src-main/core/record/connection-recorder.js';
import { StompDecoder } from '../shared/stomp/decoder.js';
import { mixedTraffic, smallFrames } from './proxy.js';
import type { BenchResult } from './types.js';

const BATCH = 2 * 1024 * 1024;

function ours(file: string, data: Buffer): { secs: number; frames: number } {
  const writer = new StoreWriter(openDb(file));
  const session = writer.createSession('proxy', 'bench', Date.now() * 1000);
  const conn = writer.createConnection(session, '127.0.0.1:1', '127.0.0.1:2', 'tcp', Date.now() * 1000);
  const rec = new ConnectionRecorder(writer, session, conn);
  const t0 = performance.now();
  for (let off = 0; off < data.length; off += BATCH) {
    writer.transaction(() => {
      for (let o = off; o < Math.min(off + BATCH, data.length); o += 64 * 1024) rec.push('client', data.subarray(o, Math.min(o + 64 * 1024, off + BATCH, data.length)), 0);
      rec.flush();
    });
  }
  writer.transaction(() => rec.close(0, null));
  const secs = (performance.now() - t0) / 1000;
  const frames = rec.counters().framesClient;
  writer.close();
  return { secs, frames };
}

/** The naive layout: every frame a row with headers and its whole body as a blob. */
function naive(file: string, data: Buffer): { secs: number; frames: number } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE frames (id INTEGER PRIMARY KEY, connection_id INTEGER, seq INTEGER, dir INTEGER, time INTEGER,
    command TEXT, destination TEXT, headers TEXT, body BLOB, body_sha256 BLOB)`);
  const insert = db.prepare(`INSERT INTO frames (connection_id, seq, dir, time, command, destination, headers, body, body_sha256)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const decoder = new StompDecoder();
  let frames = 0;
  const t0 = performance.now();
  for (let off = 0; off < data.length; off += BATCH) {
    db.transaction(() => {
      for (let o = off; o < Math.min(off + BATCH, data.length); o += 64 * 1024) {
        decoder.push(data.subarray(o, Math.min(o + 64 * 1024, off + BATCH, data.length)), 0, (e) => {
          if (e.kind !== 'frame') return;
          const dest = e.headers.find((h) => h[0] === 'destination')?.[1] ?? null;
          insert.run(1, frames++, 0, e.time, e.command, dest, JSON.stringify(e.headers), e.body ? Buffer.from(e.body) : null,
            e.body ? createHash('sha256').update(e.body).digest() : null);
        });
      }
    })();
  }
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return { secs, frames };
}

export async function benchStore(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-store-bench-'));
  try {
    const big = mixedTraffic(256 * 1024 * 1024, 11);
    const small = smallFrames(1_000_000);
    const o1 = ours(path.join(dir, 'ours-big.db'), big.data);
    const n1 = naive(path.join(dir, 'naive-big.db'), big.data);
    const o2 = ours(path.join(dir, 'ours-small.db'), small);
    const n2 = naive(path.join(dir, 'naive-small.db'), small);
    return [
      { name: 'store.ingest', unit: 'frames/s', ours: o2.frames / o2.secs, baseline: n2.frames / n2.secs, baselineName: 'row per frame with body blob',
        higherIsBetter: true, notes: `${o2.frames} small frames, decode included` },
      { name: 'store.ingest.mixed', unit: 'MB/s', ours: big.data.length / o1.secs / 1e6, baseline: big.data.length / n1.secs / 1e6,
        baselineName: 'row per frame with body blob', higherIsBetter: true, notes: `${o1.frames} frames, 100 B – 64 KiB bodies, decode included` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./table.js');
  printTable(await benchStore());
}
