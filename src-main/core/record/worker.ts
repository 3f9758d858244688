// The recording worker: the one writer of the database while a proxy runs. It decodes and stores off the
// forwarding thread, so forwarding never waits on decoding or SQLite (DESIGN.md principles 3 and 6).
import fs from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../store/db.js';
import { DIR_NAME, StoreWriter } from '../store/writer.js';
import { ConnectionRecorder, type LiveLine } from './connection-recorder.js';
import { formatLiveLine } from './live-line.js';
import { SEG, SEG_FIELDS, type FromWorker, type SessionSummary, type ToWorker, type WorkerConfig } from './protocol.js';

const port = parentPort!;

// Recording yields to forwarding: on Linux a thread's nice value is its own, so lowering this thread's
// priority leaves the forwarding thread first in line for a CPU (DESIGN.md principle 3). Elsewhere, or
// where it is not allowed, recording simply runs at normal priority.
try {
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, 10);
} catch { /* not Linux, or not permitted */ }
const cfg = workerData as WorkerConfig;
const send = (m: FromWorker) => port.postMessage(m);

let writer: StoreWriter;
let sessionId: number;
try {
  writer = new StoreWriter(openDb(cfg.dbPath));
  sessionId = writer.transaction(() => writer.createSession(cfg.kind, cfg.name, cfg.started, cfg.meta));
} catch (e) {
  send({ t: 'fatal', message: (e as Error).message });
  process.exit(1);
}

const connections = new Map<number, ConnectionRecorder>();
let lines: string[] | null = cfg.live ? [] : null;
const onLine = lines ? (l: LiveLine) => lines!.push(formatLiveLine(l, cfg.started)) : undefined;
const totals = { connections: 0, bytes: 0 };

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'open': {
      const id = writer.createConnection(sessionId, m.client, m.broker, m.transport, m.time);
      connections.set(m.key, new ConnectionRecorder(writer, sessionId, id, { limits: cfg.limits, onLine }));
      totals.connections++;
      return;
    }
    case 'data': {
      const touched = new Set<ConnectionRecorder>();
      const s = m.segs;
      for (let i = 0; i < s.length; i += SEG_FIELDS) {
        const rec = connections.get(s[i + SEG.key]);
        if (!rec) continue;
        const dir = DIR_NAME[s[i + SEG.dir]];
        const len = s[i + SEG.length];
        totals.bytes += len;
        if (s[i + SEG.gap]) {
          rec.gap(dir, len, s[i + SEG.time], {
            code: 'recording-overload', severity: 'warning',
            message: `${len} bytes forwarded but not recorded: the recorder fell behind and shed them to keep forwarding fast`,
          });
        } else {
          rec.push(dir, new Uint8Array(m.buf, s[i + SEG.start], len), s[i + SEG.time]);
        }
        touched.add(rec);
      }
      for (const rec of touched) rec.flush();
      return;
    }
    case 'event':
      connections.get(m.key)?.event(m.time, m.event);
      return;
    case 'close': {
      const rec = connections.get(m.key);
      if (!rec) return;
      rec.close(m.time, m.reason);
      connections.delete(m.key);
      return;
    }
    case 'end':
      for (const [key, rec] of connections) {
        rec.close(m.time, 'session ended');
        connections.delete(key);
      }
      writer.endSession(sessionId, m.time, m.state);
      return;
  }
}

function summary(): SessionSummary {
  const q = writer.db.prepare(`SELECT
      (SELECT count(*) FROM frames WHERE session_id = ?) frames,
      (SELECT count(*) FROM issues WHERE session_id = ?) issues,
      (SELECT coalesce(sum(heartbeats_client + heartbeats_broker), 0) FROM connections WHERE session_id = ?) heartbeats`);
  const r = q.get(sessionId, sessionId, sessionId) as { frames: number; issues: number; heartbeats: number };
  return { session: sessionId, connections: totals.connections, frames: r.frames, heartbeats: r.heartbeats, issues: r.issues, bytes: totals.bytes };
}

port.on('message', (m: ToWorker) => {
  try {
    writer.transaction(() => handle(m));
  } catch (e) {
    // The database refused the batch (disk full, locked by another process…). Forwarding goes on regardless;
    // the user is told, and the next batches are tried again.
    send({ t: 'warning', message: `recording failed for a batch: ${(e as Error).message}` });
  }
  if (m.t === 'data') {
    const out = lines && lines.length ? lines.join('\n') + '\n' : null;
    if (lines) lines = [];
    send({ t: 'ack', bytes: m.bytes, lines: out });
  } else if (lines && lines.length) {
    send({ t: 'ack', bytes: 0, lines: lines.join('\n') + '\n' });
    lines = [];
  }
  if (m.t === 'end') {
    const s = summary();
    writer.close();
    send({ t: 'ended', summary: s });
    port.close();
  }
});

send({ t: 'ready', session: sessionId });
