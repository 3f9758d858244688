// The forwarding thread's side of recording: it owns the copy of what was forwarded into batches, the memory
// budget (past it, bytes are shed: forwarded, not recorded, and marked so), the clock ticks, and the one ordered
// channel to the recording worker (worker.ts), where each connection's conversation is decoded and stored.
import type { Worker } from 'node:worker_threads';
import { startWorkerBeside } from '../worker-thread.js';
import type { ConnectionEvent } from './connection-recorder.js';
import { BATCH_BUFFER_BYTES, SEG, SEG_FIELDS, SEG_DATA, SEG_INJECTED, SEG_MARK, SEG_ORIGINAL, SEG_SHED, TRANSFER_MIN_BYTES, type FromWorker, type SessionSummary, type ToWorker, type WorkerConfig } from './protocol.js';
import type { DecoderLimits, Direction } from '../../../shared/stomp/types.js';
import type { FrameMark } from '../../../shared/conversation/types.js';

const utf8 = new TextEncoder();
import type { SessionKind, SessionState } from '../store/writer.js';

/** Microseconds since the Unix epoch, with sub-millisecond resolution. */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export interface RecorderOptions {
  dbPath: string;
  kind: SessionKind;
  name: string;
  meta?: object;
  /** Receives the tshark-like lines, one per frame or issue; none are made without it. */
  onLines?: (text: string) => void;
  onWarning?: (message: string) => void;
  limits?: Partial<DecoderLimits>;
  /**
   * The recorder's memory budget (default 128 MiB): the batches handed to the worker and not yet recorded (counted
   * by the size of their buffers) plus what the worker holds for frames in progress (bodies being collected). Past
   * it, new bytes are forwarded but not recorded (shed, and recorded as such): forwarding never waits for the
   * recorder, and memory stays bounded.
   */
  maxInFlightBytes?: number;
  /** How long data is batched before it is handed to the worker (ms). */
  batchMs?: number;
  /**
   * How often the worker is told the time while connections are open (ms; default 1000, 0 never), so that a
   * peer silent past its heart-beat is reported while the silence lasts, not only when it ends.
   */
  tickMs?: number;
}

const DIR_CODE = { client: 0, broker: 1 } as const;
const BATCH_FLUSH_BYTES = 1 << 20;
const SMALL_BATCH = 64 * 1024;
/**
 * The recorder's default memory budget. With it, the proxy's peak resident memory stayed under 360 MiB while an
 * 800 MB body went through faster than it could be recorded (test/reliability/memory-bound.test.ts): the process
 * itself is about 130 MiB, and V8 frees socket reads lazily.
 */
const DEFAULT_BUDGET = 128 * 1024 * 1024;
/** Batch buffers the worker gave back, kept for reuse (a few MiB; more are left to the collector). */
const POOL_MAX = 8;
/** Reads per batch at most (many tiny reads flush before 1 MiB of data would). */
const MAX_SEGS = 8192;

function startWorker(config: WorkerConfig): Worker {
  return startWorkerBeside(import.meta.url, './worker.js', config);
}

/**
 * The forwarding thread's side of recording: it copies what it forwarded into a batch and hands batches to
 * the recording worker. Nothing here waits on the worker.
 */
export class Recorder {
  private nextKey = 1;
  private buf = Buffer.allocUnsafeSlow(BATCH_BUFFER_BYTES);
  private used = 0;
  /**
   * Segment descriptors of the pending batch, in a buffer reused from batch to batch: a growing JS array
   * here became large-object garbage at every flush, and the collections it caused showed up as round-trip
   * latency on the forwarding thread.
   */
  private segs = new Float64Array(SEG_FIELDS * MAX_SEGS);
  private nsegs = 0;
  private readonly pool: ArrayBuffer[] = [];
  /**
   * Reads of the pending batch handed over whole instead of copied (data()'s `owned`), and their bytes. Large reads
   * are most of the bytes of a busy connection: copying them into the batch cost the forwarding thread a memcpy
   * and page faults on fresh batch buffers per MiB, and left each read as garbage for its collector; transferred,
   * they cost a pointer hand-over and become the (lower-priority) worker's garbage.
   */
  private chunks: ArrayBuffer[] = [];
  private chunkBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly ticker: NodeJS.Timeout | null = null;
  private openConnections = 0;
  /** Memory of the batches handed to the worker and not yet acknowledged (their buffers' sizes). */
  private inFlight = 0;
  /** What the worker last said it holds for frames in progress. */
  private workerHeld = 0;
  private ended: Promise<SessionSummary> | null = null;
  private resolveEnded!: (s: SessionSummary) => void;
  private rejectEnded!: (e: Error) => void;
  private readonly maxInFlight: number;
  private readonly batchMs: number;
  /** Bytes forwarded but not recorded because the worker was behind. */
  shedBytes = 0;
  private shedding = false;

  /** Memory the recorder holds (batched, with the worker, frames in progress): past maxInFlightBytes, bytes are shed. */
  get backlogBytes(): number {
    return this.inFlight + this.used + this.chunkBytes + this.workerHeld;
  }

  private constructor(private readonly worker: Worker, readonly sessionId: number, readonly started: number, private readonly opts: RecorderOptions) {
    this.maxInFlight = opts.maxInFlightBytes ?? DEFAULT_BUDGET;
    this.batchMs = opts.batchMs ?? 100;
    const tickMs = opts.tickMs ?? 1000;
    if (tickMs > 0) {
      this.ticker = setInterval(() => {
        if (this.openConnections > 0) this.post({ t: 'tick', time: nowMicros() });
      }, tickMs);
      this.ticker.unref();
    }
  }

  static start(opts: RecorderOptions): Promise<Recorder> {
    const started = nowMicros();
    const worker = startWorker({
      dbPath: opts.dbPath, kind: opts.kind, name: opts.name, meta: opts.meta ?? {}, started, live: !!opts.onLines, limits: opts.limits,
    });
    return new Promise((resolve, reject) => {
      let rec: Recorder | null = null;
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          rec = new Recorder(worker, m.session, started, opts);
          resolve(rec);
        } else if (m.t === 'fatal') {
          reject(new Error(m.message));
        } else rec?.onMessage(m);
      });
      worker.on('error', (e) => {
        if (rec) rec.rejectEnded?.(e);
        else reject(e);
        opts.onWarning?.(`recorder stopped: ${e.message}`);
      });
      worker.on('exit', (code) => {
        if (!rec) reject(new Error(`recorder exited (${code}) before it was ready`));
      });
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'ack') {
      this.inFlight -= m.bytes;
      this.workerHeld = m.held;
      if (m.buf && this.pool.length < POOL_MAX) this.pool.push(m.buf);
      if (m.lines) this.opts.onLines?.(m.lines);
    } else if (m.t === 'warning') this.opts.onWarning?.(m.message);
    else if (m.t === 'ended') this.resolveEnded(m.summary);
  }

  openConnection(client: string, broker: string, transport = 'tcp'): number {
    const key = this.nextKey++;
    this.openConnections++;
    this.post({ t: 'open', key, client, broker, transport, time: nowMicros() });
    return key;
  }

  /**
   * Records bytes that were just forwarded. Copies them: the caller may reuse its buffer at once. `injected`: a
   * whole frame StompScope wrote into the stream itself (proxy injection), flagged on the frame it becomes. `mark`:
   * what a proxy rule did to the whole frame `chunk` holds (it goes with the bytes, in the same batch order).
   * `owned`: the caller is done with `chunk` and nothing else refers to its memory (a socket read already written
   * out): a large one is then handed to the worker as it is, not copied, and `chunk` is left empty (detached).
   */
  data(key: number, dir: Direction, chunk: Uint8Array, injected = false, mark: FrameMark | null = null, owned = false): void {
    if (this.ended) return;
    const time = nowMicros();
    const len = chunk.length;
    const backlog = this.inFlight + this.used + this.chunkBytes + this.workerHeld;
    // Once over budget, bytes are shed until the backlog is down to half of it: a recorder that keeps failing to
    // catch up makes a few long shed spans (one issue each), not a flicker of short ones.
    this.shedding = this.shedding ? backlog > this.maxInFlight / 2 : backlog + len > this.maxInFlight;
    if (this.shedding) {
      this.shedBytes += len;
      // Only where the first NUL is (a native scan, no decoding): enough for the worker to keep the frame these
      // bytes belong to, with its real length, instead of losing it.
      this.addSeg(key, DIR_CODE[dir], chunk.indexOf(0), len, time, SEG_SHED);
    } else if (owned && len >= TRANSFER_MIN_BYTES && !mark && chunk.byteOffset === 0 && chunk.buffer.byteLength === len
      && chunk.buffer instanceof ArrayBuffer) {
      // The read's memory is exactly this chunk (a socket read is its own ArrayBuffer; a slice of a larger one, or of
      // Buffer's shared pool, is copied like any other).
      this.chunks.push(chunk.buffer);
      this.chunkBytes += len;
      this.addSeg(key, DIR_CODE[dir], 0, len, time, injected ? SEG_INJECTED : SEG_DATA, this.chunks.length - 1);
    } else {
      if (mark) this.addMark(key, DIR_CODE[dir], mark, time);
      if (this.used + len > this.buf.length) {
        this.flush();
        if (len > this.buf.length) this.buf = Buffer.allocUnsafeSlow(len);
      }
      const at = this.used;
      this.buf.set(chunk, at);
      this.used += len; // before addSeg, which may flush the batch this read now belongs to
      this.addSeg(key, DIR_CODE[dir], at, len, time, injected ? SEG_INJECTED : SEG_DATA);
    }
    if (this.used + this.chunkBytes >= BATCH_FLUSH_BYTES) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  /** The mark's segments (SEG_MARK, then SEG_ORIGINAL when it has one), just before the frame's data segment. */
  private addMark(key: number, dir: number, mark: FrameMark, time: number): void {
    const { original, ...rest } = mark;
    const json = utf8.encode(JSON.stringify(rest));
    for (const [bytes, kind] of [[json, SEG_MARK], ...(original ? [[original, SEG_ORIGINAL]] : [])] as Array<[Uint8Array, number]>) {
      if (this.used + bytes.length > this.buf.length) {
        this.flush();
        if (bytes.length > this.buf.length) this.buf = Buffer.allocUnsafeSlow(bytes.length);
      }
      const at = this.used;
      this.buf.set(bytes, at);
      this.used += bytes.length;
      this.addSeg(key, dir, at, bytes.length, time, kind);
    }
  }

  event(key: number, event: ConnectionEvent): void {
    this.post({ t: 'event', key, time: nowMicros(), event });
  }

  closeConnection(key: number, reason: string | null): void {
    this.openConnections--;
    this.post({ t: 'close', key, time: nowMicros(), reason });
  }

  /** Flushes everything, ends the session and closes the database. */
  end(state: SessionState = 'complete'): Promise<SessionSummary> {
    if (this.ended) return this.ended;
    if (this.ticker) clearInterval(this.ticker);
    this.flush();
    this.ended = new Promise<SessionSummary>((resolve, reject) => {
      this.resolveEnded = resolve;
      this.rejectEnded = reject;
    });
    this.worker.postMessage({ t: 'end', time: nowMicros(), state } satisfies ToWorker);
    return this.ended;
  }

  private addSeg(key: number, dir: number, start: number, length: number, time: number, gap: number, chunk = -1): void {
    const i = this.nsegs * SEG_FIELDS;
    const s = this.segs;
    s[i + SEG.key] = key;
    s[i + SEG.dir] = dir;
    s[i + SEG.start] = start;
    s[i + SEG.length] = length;
    s[i + SEG.time] = time;
    s[i + SEG.gap] = gap;
    s[i + SEG.chunk] = chunk;
    if (++this.nsegs === MAX_SEGS) this.flush();
  }

  private post(m: ToWorker): void {
    if (this.ended) return;
    this.flush();
    this.worker.postMessage(m);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.nsegs === 0) return;
    const segs = this.segs.slice(0, this.nsegs * SEG_FIELDS);
    const bytes = this.used;
    let buf: ArrayBuffer;
    if (bytes >= SMALL_BATCH) {
      // Big batch: hand the whole buffer over without copying and start a new one.
      buf = this.buf.buffer as ArrayBuffer;
      const again = this.pool.pop();
      this.buf = again ? Buffer.from(again) : Buffer.allocUnsafeSlow(BATCH_BUFFER_BYTES);
    } else {
      // Small batch (light traffic): copy it out and keep reusing the big buffer.
      buf = new ArrayBuffer(bytes);
      new Uint8Array(buf).set(this.buf.subarray(0, bytes));
    }
    const { chunks, chunkBytes } = this;
    this.inFlight += buf.byteLength + chunkBytes;
    this.worker.postMessage({ t: 'data', buf, segs, bytes, chunks, chunkBytes } satisfies ToWorker, [buf, segs.buffer, ...chunks]);
    this.used = 0;
    this.nsegs = 0;
    if (chunks.length) {
      this.chunks = [];
      this.chunkBytes = 0;
    }
  }
}

