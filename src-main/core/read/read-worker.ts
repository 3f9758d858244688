// A read worker of the core: runs the read commands (read/handlers.ts) on its own read-only connections, one
// at a time, and answers each with its result or its error. Why reads run in a worker, and why a read past its
// time limit is stopped by terminating the worker (a running regular expression cannot be interrupted
// otherwise): pool.ts.
import fs from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ApiError } from '../../../shared/api/index.js';
import { openDb } from '../store/db.js';
import { createReadSide, type ReadSide } from './handlers.js';
import type { FromReadWorker, ReadWorkerConfig, ToReadWorker } from './protocol.js';

const port = parentPort!;
const cfg = workerData as ReadWorkerConfig;
const send = (m: FromReadWorker) => port.postMessage(m);

// Reads yield to forwarding: on Linux a thread's nice value is its own, so lowering this thread's priority
// leaves the forwarding thread first in line for a CPU. Elsewhere, or where not allowed, reads run at normal
// priority (they are still off the forwarding thread).
try {
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, 10);
} catch { /* not Linux, or not permitted */ }

let side: ReadSide;
try {
  side = createReadSide(openDb(cfg.dbPath, { readonly: true }), openDb(cfg.dbPath, { readonly: true }), cfg.firstHandle);
} catch (e) {
  send({ t: 'fatal', message: (e as Error).message });
  process.exit(1);
}

port.on('message', (m: ToReadWorker) => {
  if (m.t === 'drop') {
    side.dropSession(m.session);
    return;
  }
  const handler = (side.handlers as unknown as Record<string, ((args: unknown) => unknown) | undefined>)[m.cmd];
  try {
    if (!handler) throw new ApiError('bad-request', `unknown read ${m.cmd}`);
    send({ t: 'done', id: m.id, ok: true, result: handler(m.args) });
  } catch (e) {
    const error = e instanceof ApiError
      ? { api: true, code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) }
      : { api: false, code: 'internal' as const, message: (e as Error).message ?? String(e) };
    send({ t: 'done', id: m.id, ok: false, error });
  }
});
send({ t: 'ready' });
