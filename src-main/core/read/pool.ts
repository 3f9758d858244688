// The core's read workers: every read command of the API (read/handlers.ts) runs here, never on the host's main
// thread.
//
// Why a worker: proxies started from the UI forward bytes on the host's main thread (live/proxies.ts), and a
// read is synchronous SQLite plus JavaScript: a display filter over a big session (or a regular expression that
// backtracks) on that thread would hold every forwarded byte, the HTTP server and the WebSocket until it ended.
// Each worker has its own read-only connections (WAL lets readers run beside the recorder's writes) and the
// SQLite functions of core/read/query/functions.ts.
//
// Why terminate: a synchronous regular expression cannot be interrupted from JavaScript; the one way to stop a
// read that runs too long is to end the thread that runs it. A read that exceeds its time limit (default 10 s)
// gets an ApiError('timeout') and its worker is terminated and started again; the queries the worker held are
// gone with it, and their handles answer not-found with the reason. A long but legitimate read (a filter over a
// million frames) runs to its end as long as it stays within the limit.
//
// Two workers (started only when needed: the second when the first is busy), each running one read at a time:
// a slow filter in one leaves the other to answer the UI's other reads (rows, detail, statistics). A query's
// handle names its worker (protocol.ts HANDLE_SPAN), and the reads of an open query go to that worker; any other
// read goes to whichever worker is free first (share()). A newer
// frames.query from the same caller (one UI) cancels that caller's older one if it is still waiting or running.
import type { Worker } from 'node:worker_threads';
import { startWorkerBeside } from '../worker-thread.js';
import { ApiError } from '../../../shared/api/index.js';
import { QUERY_BOUND, STREAM_BOUND } from './handlers.js';
import { HANDLE_SPAN, workerOfHandle, type FromReadWorker, type ReadFailure, type ReadWorkerConfig, type ToReadWorker } from './protocol.js';

export const DEFAULT_READ_TIMEOUT_MS = 10_000;
export const DEFAULT_READ_WORKERS = 2;

export interface ReadPoolOptions {
  /** A read running longer is stopped (its worker terminated and restarted). */
  timeoutMs?: number;
  workers?: number;
  /** How a worker is started (tests wrap startReadWorker to hold one back); default startReadWorker. */
  startWorker?: (config: ReadWorkerConfig) => Worker;
}

interface Pending {
  cmd: string;
  args: unknown;
  caller: unknown;
  /** The worker (number) holding the handle this read needs, or null when any worker will do. */
  pinned: number | null;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker | null;
  /** This slot's current worker's number (unique over the pool's life; handles carry it). */
  uid: number;
  ready: boolean;
  queue: Pending[];
  running: { id: number; p: Pending; timer: NodeJS.Timeout } | null;
}

export function startReadWorker(config: ReadWorkerConfig): Worker {
  return startWorkerBeside(import.meta.url, './read-worker.js', config);
}

/** What was stopped, in the words of the timeout message: a filter, or the command itself. */
function whatOf(cmd: string, args: unknown): string {
  const filter = (args as { filter?: unknown } | null)?.filter;
  if (cmd === 'frames.query' || (typeof filter === 'string' && filter.trim())) return 'filter';
  if (QUERY_BOUND.has(cmd as never)) return 'filter';
  if (cmd.startsWith('export.')) return 'export';
  return cmd;
}

export class ReadPool {
  private readonly slots: Slot[];
  private readonly timeoutMs: number;
  private readonly startWorker: (config: ReadWorkerConfig) => Worker;
  private nextUid = 1;
  private nextId = 1;
  private closed = false;

  constructor(private readonly dbPath: string, o: ReadPoolOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.startWorker = o.startWorker ?? startReadWorker;
    const n = Math.max(1, o.workers ?? DEFAULT_READ_WORKERS);
    this.slots = Array.from({ length: n }, () => ({ worker: null, uid: 0, ready: false, queue: [], running: null }));
  }

  /**
   * Runs read `cmd` in a worker. `caller` identifies who asked (one UI): its newer frames.query cancels its older
   * one still waiting or running.
   */
  run(cmd: string, args: unknown, caller?: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new ApiError('conflict', 'the core is closing'));
    const handle = QUERY_BOUND.has(cmd as never) ? (args as { query: number }).query : STREAM_BOUND.has(cmd) ? (args as { stream: number }).stream : null;
    const pinned = handle === null ? null : workerOfHandle(handle);
    return new Promise((resolve, reject) => {
      const p: Pending = { cmd, args, caller, pinned, resolve, reject };
      if (cmd === 'frames.query' && caller !== undefined) this.supersede(caller);
      let slot: Slot | undefined;
      if (pinned !== null) {
        slot = this.slots.find((s) => s.uid === pinned && s.worker);
        if (!slot) return this.lost(p, handle!);
      } else {
        const load = (s: Slot) => s.queue.length + (s.running ? 1 : 0);
        // The least busy worker; between equals, one already started.
        slot = this.slots.reduce((best, s) => (load(s) < load(best) || (load(s) === load(best) && s.worker && !best.worker) ? s : best));
      }
      slot.queue.push(p);
      this.pump(slot);
      this.share();
    });
  }

  /**
   * A read that needs no particular worker goes to whichever worker is free first: an idle, started worker takes
   * it from the queue of one that is busy or still starting (a worker takes a while to start, much longer from
   * TypeScript sources or on a loaded machine, and the other may be done meanwhile).
   */
  private share(): void {
    for (const idle of this.slots) {
      if (this.closed || !idle.worker || !idle.ready || idle.running || idle.queue.length) continue;
      for (const other of this.slots) {
        if (other === idle || (other.ready && !other.running)) continue;
        const i = other.queue.findIndex((p) => p.pinned === null);
        if (i < 0) continue;
        idle.queue.push(other.queue.splice(i, 1)[0]);
        this.pump(idle);
        break;
      }
    }
  }

  /** Tells the workers a session was deleted (its open queries are dropped). */
  dropSession(session: number): void {
    for (const s of this.slots) s.worker?.postMessage({ t: 'drop', session } satisfies ToReadWorker);
  }

  /** Stops every worker; reads waiting or running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping: Array<Promise<number>> = [];
    for (const s of this.slots) {
      const gone = new ApiError('conflict', 'the core is closing');
      for (const p of s.queue.splice(0)) p.reject(gone);
      if (s.running) {
        clearTimeout(s.running.timer);
        s.running.p.reject(gone);
        s.running = null;
      }
      if (s.worker) {
        const w = s.worker;
        s.worker = null;
        w.removeAllListeners();
        w.on('error', () => {});
        stopping.push(w.terminate());
      }
    }
    await Promise.all(stopping);
  }

  /** The workers' numbers, for tests: a restarted worker has a new one. */
  workerIds(): number[] {
    return this.slots.filter((s) => s.worker).map((s) => s.uid);
  }

  private lost(p: Pending, handle: number): void {
    const what = STREAM_BOUND.has(p.cmd) ? 'export' : 'query';
    // Closing what is already gone is not an error.
    if (p.cmd === 'frames.close' || p.cmd === 'export.close') return p.resolve({ closed: false });
    const uid = workerOfHandle(handle);
    if (uid > 0 && uid < this.nextUid) {
      return p.reject(new ApiError('not-found', `${what} ${handle} was closed when its read worker was restarted (a read took too long or was cancelled); open it again`));
    }
    p.reject(new ApiError('not-found', `no open ${what} ${handle} (it was closed or dropped); open it again`));
  }

  private supersede(caller: unknown): void {
    const cancelled = () => new ApiError('cancelled', 'filter cancelled: a newer filter replaced it');
    for (const s of this.slots) {
      for (let i = s.queue.length - 1; i >= 0; i--) {
        if (s.queue[i].cmd === 'frames.query' && s.queue[i].caller === caller) s.queue.splice(i, 1)[0].reject(cancelled());
      }
      if (s.running?.p.cmd === 'frames.query' && s.running.p.caller === caller) this.stop(s, cancelled());
    }
  }

  private spawn(s: Slot): void {
    const uid = this.nextUid++;
    const w = this.startWorker({ dbPath: this.dbPath, firstHandle: uid * HANDLE_SPAN + 1 });
    s.worker = w;
    s.uid = uid;
    s.ready = false;
    w.on('message', (m: FromReadWorker) => {
      if (s.worker !== w) return;
      if (m.t === 'ready') {
        s.ready = true;
        this.pump(s);
        this.share();
      } else if (m.t === 'fatal') {
        this.fail(s, w, new ApiError('internal', `cannot read the database: ${m.message}`), true);
      } else if (s.running && s.running.id === m.id) {
        const { p, timer } = s.running;
        clearTimeout(timer);
        s.running = null;
        if (m.ok) p.resolve(m.result);
        else p.reject(toError(m.error));
        this.pump(s);
        this.share();
      }
    });
    w.on('error', (e) => {
      if (s.worker === w) this.fail(s, w, new Error(`read worker failed: ${e.message}`), false);
    });
    w.on('exit', (code) => {
      if (s.worker === w) this.fail(s, w, new Error(`read worker stopped (exit ${code})`), false);
    });
  }

  /**
   * The worker died or could not open the database: the running read fails with `e`; when it could not start
   * (`startup`), the waiting reads fail too (they would fail the same way), else they go to a new worker.
   */
  private fail(s: Slot, w: Worker, e: Error, startup: boolean): void {
    s.worker = null;
    s.ready = false;
    void w.terminate();
    if (s.running) {
      clearTimeout(s.running.timer);
      s.running.p.reject(e);
      s.running = null;
    }
    if (startup) for (const p of s.queue.splice(0)) p.reject(e);
    this.pump(s);
  }

  /** Stops the read running in `s` (terminating its worker) and answers it with `e`; waiting reads go to a new worker. */
  private stop(s: Slot, e: ApiError): void {
    const w = s.worker;
    const running = s.running;
    if (!w || !running) return;
    clearTimeout(running.timer);
    s.running = null;
    s.worker = null;
    s.ready = false;
    w.removeAllListeners();
    w.on('error', () => {});
    void w.terminate();
    running.p.reject(e);
    this.pump(s);
  }

  private pump(s: Slot): void {
    if (this.closed || s.running) return;
    while (s.queue.length) {
      const p = s.queue[0];
      // A read of a handle whose worker was restarted meanwhile.
      if (p.pinned !== null && (p.pinned !== s.uid || !s.worker)) {
        s.queue.shift();
        const a = p.args as { query?: number; stream?: number };
        this.lost(p, a.query ?? a.stream ?? 0);
        continue;
      }
      break;
    }
    if (!s.queue.length) return;
    if (!s.worker) return this.spawn(s);
    if (!s.ready) return;
    const p = s.queue.shift()!;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      const secs = this.timeoutMs / 1000;
      this.stop(s, new ApiError('timeout', `${whatOf(p.cmd, p.args)} took too long (over ${secs} s) and was stopped`));
    }, this.timeoutMs);
    s.running = { id, p, timer };
    s.worker.postMessage({ t: 'call', id, cmd: p.cmd, args: p.args } satisfies ToReadWorker);
  }
}

function toError(f: ReadFailure): Error {
  if (f.api) return new ApiError(f.code, f.message, f.detail);
  return new Error(f.message);
}
