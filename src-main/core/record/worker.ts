// The recording worker: the one writer of the database while a proxy or a replay runs. It owns the session's
// StoreWriter and one ConnectionRecorder per connection (whose conversation stage decodes and analyses), takes
// the forwarding thread's batches in order, and records them off that thread, so forwarding never waits on
// decoding or SQLite; when the database is locked or failing it pauses or drops batches and says so.
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../store/db.js';
import { DIR_NAME, StoreWriter } from '../store/writer.js';
import { ConnectionRecorder, type AnalysisOptions, type LiveLine } from './connection-recorder.js';
import { formatLiveLine } from './live-line.js';
import type { FrameMark } from '../../../shared/conversation/types.js';
import { DeliveryCorrelator } from '../../../shared/analysis/delivery.js';
import { isProfileName } from '../../../shared/analysis/profiles.js';
import { BATCH_BUFFER_BYTES, SEG, SEG_FIELDS, SEG_INJECTED, SEG_MARK, SEG_ORIGINAL, SEG_SHED, type FromWorker, type SessionSummary, type ToWorker, type WorkerConfig } from './protocol.js';

const port = parentPort!;

// Recording yields to forwarding: on Linux a thread's nice value is its own, so lowering this thread's
// priority leaves the forwarding thread first in line for a CPU (a busy recorder must not slow the traffic).
// Elsewhere, or where it is not allowed, recording simply runs at normal priority.
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
/** A proxy rule's mark (SEG_MARK, SEG_ORIGINAL) waiting for its frame's data segment, by connection key. */
const marks = new Map<number, FrameMark>();
const utf8 = new TextDecoder();
let lines: string[] | null = cfg.live ? [] : null;
const onLine = lines ? (l: LiveLine) => lines!.push(formatLiveLine(l, cfg.started)) : undefined;
const totals = { connections: 0, bytes: 0 };
// One SEND -> MESSAGE matcher for the whole session; the profile the user chose is in the session meta.
const chosenProfile = (cfg.meta as { profile?: unknown }).profile;
const analysis: AnalysisOptions = {
  delivery: new DeliveryCorrelator(), profile: typeof chosenProfile === 'string' && isProfileName(chosenProfile) ? chosenProfile : null, onLine,
};

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'open': {
      const id = writer.createConnection(sessionId, m.client, m.broker, m.transport, m.time);
      connections.set(m.key, new ConnectionRecorder(writer, sessionId, id, { limits: cfg.limits, onLine, analysis }));
      totals.connections++;
      return;
    }
    case 'data': {
      const touched = new Set<ConnectionRecorder>();
      const s = m.segs;
      for (let i = 0; i < s.length; i += SEG_FIELDS) {
        const key = s[i + SEG.key];
        const rec = connections.get(key);
        if (!rec) continue;
        const dir = DIR_NAME[s[i + SEG.dir]];
        const len = s[i + SEG.length];
        const kind = s[i + SEG.gap];
        if (kind === SEG_MARK) {
          marks.set(key, JSON.parse(utf8.decode(new Uint8Array(m.buf, s[i + SEG.start], len))) as FrameMark);
          continue;
        }
        if (kind === SEG_ORIGINAL) {
          // A copy: the batch buffer goes back to the forwarding thread once recorded.
          const mark = marks.get(key);
          if (mark) mark.original = new Uint8Array(m.buf, s[i + SEG.start], len).slice();
          continue;
        }
        totals.bytes += len;
        if (kind === SEG_SHED) {
          marks.delete(key);
          rec.shed(dir, len, s[i + SEG.start], s[i + SEG.time]);
        } else {
          const mark = marks.get(key) ?? null;
          if (mark) {
            marks.delete(key);
            if (kind === SEG_INJECTED) mark.injected = true;
          }
          const chunk = s[i + SEG.chunk];
          const bytes = chunk < 0 ? new Uint8Array(m.buf, s[i + SEG.start], len) : new Uint8Array(m.chunks[chunk], 0, len);
          rec.push(dir, bytes, s[i + SEG.time], mark ?? kind === SEG_INJECTED);
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
      marks.delete(m.key);
      return;
    }
    case 'tick':
      for (const rec of connections.values()) rec.tick(m.time);
      return;
    case 'end':
      for (const [key, rec] of connections) {
        rec.close(m.time, 'session ended');
        connections.delete(key);
      }
      writer.endSession(sessionId, m.time, m.state);
      return;
  }
}

/** Memory the connections hold for frames in progress: part of the recorder's budget (RecorderOptions.maxInFlightBytes). */
function heldBytes(): number {
  let n = 0;
  for (const rec of connections.values()) n += rec.heldBytes;
  return n;
}

// A body buffer the decoders outgrew or dropped is garbage outside the recorder's budget until V8 collects it,
// and V8 takes its time with memory outside its heap: this thread's heap stays small, so nothing prompts a full
// collection, and the garbage of one large body (its buffer doubled up to 64 MiB, then dropped) stayed resident
// for good. So after every COLLECT_AFTER bytes of such churn the worker asks for a collection itself (a few ms
// for this small heap, at most once per COLLECT_AFTER of bodies recorded). Where --expose-gc cannot be set,
// V8's own schedule remains.
const COLLECT_AFTER = 32 * 1024 * 1024;
let collect: (() => void) | null = null;
try {
  v8.setFlagsFromString('--expose-gc');
  collect = vm.runInNewContext('gc') as () => void;
} catch { /* not available: V8 collects on its own schedule */ }
let lastHeld = 0;
let churn = 0;
function collectChurn(): void {
  const held = heldBytes();
  churn += Math.abs(held - lastHeld);
  lastHeld = held;
  if (churn >= COLLECT_AFTER && collect) {
    churn = 0;
    collect();
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

// Messages waiting for the database, oldest first. A batch the database refuses before any of it was recorded
// (another process holds the write lock: BEGIN failed) waits here and is tried again, so recording pauses and
// resumes without losing anything; forwarding never waits, and the main thread's in-flight cap
// bounds what piles up meanwhile (past it, bytes are shed and marked recording-overload).
const waiting: ToWorker[] = [];
const RETRY_MS = 200;
/** Give up finishing the session if the database stays locked this long after the proxy stopped. */
const END_PATIENCE_MS = 10_000;
let retry: NodeJS.Timeout | null = null;
let pausedAt = 0; // ms since the epoch when recording paused; 0 while recording
let pauseReason = '';
/** Batches the database failed in the middle of (disk full…): told as an issue once it works again. */
let failed: { since: number; batches: number; bytes: number; error: string } | null = null;

// How long a batch waits for another process's write lock before recording pauses (and says so).
writer.db.pragma('busy_timeout = 1000');

const isLocked = (e: unknown) => /^SQLITE_(BUSY|LOCKED)/.test(String((e as { code?: unknown }).code ?? ''));

/**
 * Records one message; false when the database refused it before anything was recorded (try it again later).
 * `giveUp`: the session is ending and the database stayed locked too long: record what can be, drop the rest.
 */
function apply(m: ToWorker, giveUp: boolean): boolean {
  // Most ticks find nothing due: no write transaction for those.
  if (m.t === 'tick' && ![...connections.values()].some((rec) => rec.tickDue(m.time))) return true;
  let started = false;
  /** Recorded whole: nothing refers to the batch's buffer any more (ConnectionRecorder.flush wrote what it held). */
  let recorded = false;
  try {
    if (giveUp && m.t !== 'end') throw new Error('the database stayed locked after the proxy stopped');
    writer.transaction(() => {
      started = true;
      if (pausedAt) {
        // Stored with the first batch after the pause, so the pause is visible in the session's issues.
        const secs = ((Date.now() - pausedAt) / 1000).toFixed(1);
        writer.insertIssue({
          sessionId, connectionId: null, frameId: null, dir: null, offset: null, time: pausedAt * 1000, code: 'recording-paused', severity: 'warning',
          message: `recording paused for ${secs} s: ${pauseReason}; forwarding went on, and the bytes were recorded when the database was free again`,
        });
      }
      if (failed) {
        writer.insertIssue({
          sessionId, connectionId: null, frameId: null, dir: null, offset: null, time: failed.since * 1000, code: 'recording-failed', severity: 'error',
          message: `${failed.batches} batch(es) of traffic (${failed.bytes} bytes) were forwarded but could not be recorded: ${failed.error}`,
        });
      }
      handle(m);
    });
    recorded = true;
    if (failed) send({ t: 'warning', message: `recording works again; ${failed.batches} batch(es) (${failed.bytes} bytes) were not recorded` });
    failed = null;
  } catch (e) {
    if (!started && isLocked(e) && !giveUp) {
      if (!pausedAt) {
        pausedAt = Date.now();
        pauseReason = `the database is locked by another process (${(e as Error).message})`;
        send({ t: 'warning', message: `recording paused: ${pauseReason}; forwarding goes on, recording resumes when it is free` });
      }
      return false;
    }
    // The database failed in the middle of a batch (disk full, I/O error): that batch is lost. Forwarding goes on
    // regardless; the user is told, the loss is stored as an issue once the database works again, and the next
    // batches are tried again.
    const error = (e as Error).message;
    if (!failed) send({ t: 'warning', message: `recording failed for a batch: ${error}; forwarding goes on, the next batches are tried` });
    failed = { since: failed?.since ?? Date.now(), batches: (failed?.batches ?? 0) + 1, bytes: (failed?.bytes ?? 0) + (m.t === 'data' ? m.bytes + m.chunkBytes : 0), error };
  }
  if (started && pausedAt) {
    send({ t: 'warning', message: `recording resumed after ${((Date.now() - pausedAt) / 1000).toFixed(1)} s` });
    pausedAt = 0;
  }
  if (m.t === 'data') {
    const out = lines && lines.length ? lines.join('\n') + '\n' : null;
    if (lines) lines = [];
    collectChurn();
    const ack: FromWorker = { t: 'ack', bytes: m.buf.byteLength + m.chunkBytes, held: lastHeld, lines: out };
    // A batch buffer goes back to be filled again: recording a steady stream then allocates nothing, and no
    // garbage batches wait here for a collection (they would be memory outside the budget).
    if (recorded && m.buf.byteLength === BATCH_BUFFER_BYTES) port.postMessage({ ...ack, buf: m.buf }, [m.buf]);
    else send(ack);
  } else if (lines && lines.length) {
    send({ t: 'ack', bytes: 0, held: heldBytes(), lines: lines.join('\n') + '\n' });
    lines = [];
  } else if (m.t === 'close') {
    collectChurn();
    send({ t: 'ack', bytes: 0, held: lastHeld, lines: null }); // a closed connection's frame in progress is gone
  }
  if (m.t === 'end') {
    let s: SessionSummary;
    try {
      s = summary();
    } catch {
      s = { session: sessionId, connections: totals.connections, frames: 0, heartbeats: 0, issues: 0, bytes: totals.bytes };
    }
    writer.close();
    send({ t: 'ended', summary: s });
    port.close();
  }
  return true;
}

function pump(): void {
  retry = null;
  while (waiting.length) {
    // The proxy stopped (an 'end' waits) but the database stays locked: finish without it rather than hang.
    const giveUp = pausedAt > 0 && Date.now() - pausedAt > END_PATIENCE_MS && waiting.some((w) => w.t === 'end');
    if (!apply(waiting[0], giveUp)) {
      retry = setTimeout(pump, RETRY_MS);
      return;
    }
    waiting.shift();
  }
}

port.on('message', (m: ToWorker) => {
  waiting.push(m);
  if (!retry) pump();
});

send({ t: 'ready', session: sessionId });
