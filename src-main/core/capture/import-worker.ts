// The import's reading thread (started by import-job.ts for files of IMPORT_THREAD_BYTES or more): it reads and
// hashes the file, parses its records, dissects, reassembles and picks the STOMP flows (decrypting TLS ones), and
// posts what the flows carry to the importer's thread, which decodes, analyses and stores it. The two run at once;
// the importer's half is the longer one (on the 226 MB benchmark capture this thread is idle about 40% of the time).
//
// What crosses, one batch per read of the file (in file order, so the importer applies exactly what one thread
// would have done, in the same order): `ops`, OP_FIELDS numbers per flow event (kind, flow, direction, time, and
// for data the offset and length of its bytes; for the rarer events an index into `rare`), the buffer the file was
// read into (most data, a packet's payload in order, is a view of it), the other stream bytes (reassembled out of
// order, decrypted) copied into one more buffer, and the rare events as plain objects. Both buffers are
// transferred, not copied. At most MAX_AHEAD batches are in flight: the importer acknowledges each one it has
// stored, so a fast reader never holds more than a few reads of the file in memory.

import { parentPort, workerData } from 'node:worker_threads';
import type { Direction } from '../../../shared/stomp/types.js';
import { CaptureFileScan, openRegularFile } from './file-scan.js';
import type { ConnectionHandle, ConnectionTls, FlowConnection } from './flows.js';
import { PacketFlows } from './packet-flows.js';
import { KeyLog } from './tls/keylog.js';
import { MAX_AHEAD, OP, OP_FIELDS, type ImportWorkerConfig, type RareOp, type ToImporter, type ToReader } from './import-protocol.js';

const config = workerData as ImportWorkerConfig;
const port = parentPort!;

/** A batch being filled: flow events and the bytes they carry. */
class Batch {
  ops = new Float64Array(4096 * OP_FIELDS);
  n = 0;
  /** The buffer of the current read of the file: data that is a view of it is sent with it, not copied. */
  read: ArrayBufferLike | null = null;
  /** Some data of this batch is a view of `read` (so the buffer goes with the batch). */
  readUsed = false;
  /** Data from elsewhere (reassembled out of order, decrypted, carried over): copied here. */
  bytes: Uint8Array = EMPTY;
  used = 0;
  rare: RareOp[] = [];

  private op(kind: number, flow: number, dir: number, time: number, a: number, b: number): void {
    if ((this.n + 1) * OP_FIELDS > this.ops.length) {
      const more = new Float64Array(this.ops.length * 2);
      more.set(this.ops);
      this.ops = more;
    }
    const o = this.ops;
    let k = this.n++ * OP_FIELDS;
    o[k++] = kind; o[k++] = flow; o[k++] = dir; o[k++] = time; o[k++] = a; o[k] = b;
  }

  data(flow: number, dir: Direction, bytes: Uint8Array, time: number): void {
    const d = dir === 'client' ? 0 : 1;
    if (bytes.buffer === this.read) {
      this.readUsed = true;
      this.op(OP.read, flow, d, time, bytes.byteOffset, bytes.length);
      return;
    }
    if (this.used + bytes.length > this.bytes.length) {
      // Not zeroed (every byte sent is written first) and not pooled: its own ArrayBuffer, transferred whole.
      const more = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + bytes.length, 64 * 1024));
      more.set(this.bytes.subarray(0, this.used));
      this.bytes = more;
    }
    this.bytes.set(bytes, this.used);
    this.op(OP.data, flow, d, time, this.used, bytes.length);
    this.used += bytes.length;
  }

  rareOp(flow: number, r: RareOp): void {
    this.op(OP.rare, flow, 0, 0, this.rare.length, 0);
    this.rare.push(r);
  }
}

const EMPTY = new Uint8Array(0);
let batch = new Batch();
let flows = 0;

const keyLog = config.keyLog ? KeyLog.fromEntries(config.keyLog.label, config.keyLog.secrets) : null;
const packets = new PacketFlows({ ports: config.ports, reassembly: config.reassembly, maxQuietFlows: config.maxQuietFlows, keyLog }, (info: FlowConnection): ConnectionHandle => {
  const flow = flows++;
  batch.rareOp(flow, { k: 'open', info });
  return {
    data: (dir, bytes, time) => batch.data(flow, dir, bytes, time),
    gap: (dir, n, time, code, message) => batch.rareOp(flow, { k: 'gap', dir, n, time, code, message }),
    event: (dir, time, code, severity, message) => batch.rareOp(flow, { k: 'event', dir, time, code, severity, message }),
    tls: (t: ConnectionTls) => batch.rareOp(flow, { k: 'tls', info: t }),
    close: (time, reason) => batch.rareOp(flow, { k: 'close', time, reason }),
  };
});

// Back-pressure: a batch may be posted while fewer than MAX_AHEAD are unacknowledged.
let ahead = 0;
let wake: (() => void) | null = null;
const stop = new AbortController();
port.on('message', (m: ToReader) => {
  if (m.type === 'ack') {
    ahead--;
    wake?.();
    wake = null;
  } else if (m.type === 'stop') {
    stop.abort();
    wake?.();
    wake = null;
  }
});

/** Posts the batch, with the buffer of the read when some of its data points into it. */
function post(pos: number, first: number): void {
  const b = batch;
  batch = new Batch();
  const ops = b.ops.subarray(0, b.n * OP_FIELDS);
  const read = b.readUsed ? new Uint8Array(b.read!) : null;
  const msg: ToImporter = { type: 'batch', pos, first, ops, read, bytes: b.bytes.subarray(0, b.used), rare: b.rare };
  const transfer = [b.ops.buffer as ArrayBuffer];
  if (read) transfer.push(read.buffer as ArrayBuffer);
  if (b.bytes.length) transfer.push(b.bytes.buffer as ArrayBuffer);
  port.postMessage(msg, transfer);
  ahead++;
}

async function run(): Promise<void> {
  // Opened again by path, with the importer's checks (a pipe or device put there meanwhile is refused, not waited
  // on). A file still growing is read up to the size the importer saw, as in one thread.
  const { fh } = await openRegularFile(config.file);
  try {
    const scan = new CaptureFileScan(fh, config.size, config.format, (l, t, d, o) => packets.packet(l, t, d, o), {
      readBytes: config.readBytes, signal: stop.signal,
    });
    const summary = await scan.run((parse, buf) => {
      batch.read = buf.buffer;
      return parse();
    }, async (pos) => {
      post(pos, scan.firstTime);
      while (ahead >= MAX_AHEAD && !stop.signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
    });
    // The flows still open end with the capture (at its last packet; with none, at the file's time). What was not
    // decoded is told as it stood before, as in one thread.
    const endTime = summary.lastTime >= 0 ? summary.lastTime : summary.firstTime >= 0 ? summary.firstTime : config.mtime;
    const read = packets.read();
    packets.finish(endTime);
    post(summary.bytes, scan.firstTime);
    const msg: ToImporter = { type: 'done', summary, endTime, read, ended: packets.ended() };
    port.postMessage(msg);
  } finally {
    await fh.close();
  }
}

run().catch((e: unknown) => {
  const msg: ToImporter = { type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
  port.postMessage(msg);
});
