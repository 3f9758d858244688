// Imports one capture file (pcap, nanosecond pcap, pcapng) into a session: read the file in large pieces,
// parse records, dissect to TCP, reassemble, pick the STOMP flows, and record each as a connection with the
// same ConnectionRecorder the proxy uses, so an imported session reads back exactly like a proxy session.
//
// Streaming and bounded (file-scan.ts): one read of READ_BYTES at a time (plus the largest record, itself bounded), one store
// transaction per read; reassembly and classification hold bounded amounts per flow. Times come from the
// capture. The session's meta records the source file (name, size, SHA-256), format, link types, packet
// counts, and whether the import completed; an import that stopped early (corrupt or truncated file,
// interrupted) or skipped corrupt regions of the file (the pcapng reader resynchronises at the next valid
// block) ends 'interrupted' with `meta.completed: false` and the reason: the session lacks some of the file.
// Large files are read, parsed and reassembled on a thread of their own (import-worker.ts) while this one
// decodes and stores; the result is the same, event for event, as reading them in this thread.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ISSUES, type IssueCode } from '../../../shared/issues.js';
import type { DecoderLimits } from '../../../shared/stomp/types.js';
import type { ProfileName } from '../../../shared/analysis/profiles.js';
import type { StoreWriter } from '../store/writer.js';
import { startWorkerBeside } from '../worker-thread.js';
import { DEFAULT_STOMP_PORTS } from './classify.js';
import { CaptureError, CaptureFileScan, hashFrom, openRegularFile, type ScanSummary } from './file-scan.js';
import type { ConnectionHandle } from './flows.js';
import { detectFormat, linkTypeName, type CaptureFormat } from './format.js';
import { OP, OP_FIELDS, type ImportWorkerConfig, type RareOp, type ToImporter, type ToReader } from './import-protocol.js';
import { PacketFlows, type FlowsEnded, type FlowsRead } from './packet-flows.js';
import type { ReassemblyLimits } from './reassembly.js';
import { FlowRecorders } from './recording.js';
import type { KeyLog, KeySource } from './tls/keylog.js';

export { CaptureError, openRegularFile };

export interface ImportOptions {
  /** Session name (default: the file's base name). */
  name?: string;
  /** Ports to treat as STOMP besides the defaults (61613, 61614, 61612). */
  ports?: readonly number[];
  /** If a session was already imported from a file with the same SHA-256, do nothing and report it. */
  skipExisting?: boolean;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Stops the import at the next read (the session ends 'interrupted'). */
  signal?: AbortSignal;
  readBytes?: number;
  limits?: Partial<DecoderLimits>;
  reassembly?: Partial<ReassemblyLimits>;
  /** The broker profile to analyse the connections with; default: detected per connection. */
  profile?: ProfileName | null;
  /** Most TCP flows without data kept at once (default DEFAULT_MAX_QUIET_FLOWS); past it the least active are dropped. */
  maxQuietFlows?: number;
  /** Secrets to decrypt TLS connections with (an NSS key log); without, TLS connections are listed undecrypted. */
  keyLog?: KeySource | null;
  /**
   * Read, parse and reassemble on a thread of their own while this one decodes and stores (import-worker.ts).
   * Default: for files of IMPORT_THREAD_BYTES or more (a thread takes a moment to start); never with a key log
   * that is still growing.
   */
  readingThread?: boolean;
}

export interface ImportResult {
  file: string;
  /** The new session, or null when nothing was imported (see error / skippedAs). */
  session: number | null;
  /** With skipExisting: the session this file was already imported as. */
  skippedAs?: number;
  connections: number;
  frames: number;
  issues: number;
  /** The issues by severity (SYN/FIN/RST and mid-stream pick-ups are notes). */
  issuesBySeverity?: { error: number; warning: number; note: number };
  warnings: string[];
  /** The whole file was read. */
  complete: boolean;
  /** The file could not be imported at all (unreadable, not a capture). */
  error?: string;
  packets: number;
  bytes: number;
  format: CaptureFormat | null;
}

function issueOf(code: IssueCode): { code: IssueCode; severity: 'error' | 'warning' | 'note' } {
  return { code, severity: ISSUES[code].severity };
}

/** The import session of a file with this SHA-256, if any. */
export function findImportedSession(writer: StoreWriter, sha256: string): number | null {
  const row = writer.db.prepare(`SELECT id FROM sessions WHERE kind = 'import' AND json_extract(meta, '$.source.sha256') = ? ORDER BY id LIMIT 1`)
    .pluck().get(sha256) as number | undefined;
  return row ?? null;
}

export async function importCapture(writer: StoreWriter, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const abs = path.resolve(file);
  const result: ImportResult = {
    file, session: null, connections: 0, frames: 0, issues: 0, warnings: [], complete: false, packets: 0, bytes: 0, format: null,
  };
  const { fh, st } = await openRegularFile(abs, file);
  const size = st.size;
  const mtime = Math.round(st.mtimeMs * 1000);
  try {
    const head = Buffer.alloc(Math.min(16, size));
    await fh.read(head, 0, head.length, 0);
    const detected = detectFormat(head);
    if (detected.format === null) throw new CaptureError(`${file}: ${detected.reason}`);
    result.format = detected.format;

    if (opts.skipExisting) {
      const h = createHash('sha256');
      if (!await hashFrom(fh, h, 0, opts.signal)) throw new CaptureError(`${file}: the import was interrupted`);
      const existing = findImportedSession(writer, h.digest('hex'));
      if (existing !== null) {
        result.skippedAs = existing;
        result.complete = true;
        return result;
      }
    }
    await new ImportRun(writer, fh, abs, size, mtime, detected.format, opts, result).run();
    return result;
  } finally {
    await fh.close();
  }
}

/** Files this large or larger are read on a thread of their own (import-worker.ts); smaller ones in this thread. */
export const IMPORT_THREAD_BYTES = 32 * 1024 * 1024;

/**
 * A key log read whole (not one still growing), whose secrets can be handed to the reading thread. Told by what it
 * can do, not by its class: the benchmarks and tests may build it from another copy of the module.
 */
function isWholeKeyLog(k: KeySource): k is KeyLog {
  return !k.live && typeof (k as Partial<KeyLog>).toEntries === 'function';
}

class ImportRun {
  private sessionId = -1;
  private firstTime = -1;
  private sessionIssues = 0;
  private readonly meta: Record<string, unknown>;
  private readonly recorders: FlowRecorders;
  private readonly ports: number[];

  constructor(
    private readonly writer: StoreWriter,
    private readonly fh: fs.promises.FileHandle,
    private readonly abs: string,
    private readonly size: number,
    private readonly mtime: number,
    private readonly format: CaptureFormat,
    private readonly opts: ImportOptions,
    private readonly result: ImportResult,
  ) {
    this.recorders = new FlowRecorders(writer, () => this.sessionId, opts);
    this.ports = [...new Set<number>([...DEFAULT_STOMP_PORTS, ...(opts.ports ?? [])])].sort((a, b) => a - b);
    this.meta = {
      source: { file: path.basename(abs), path: abs, size, mtime: new Date(mtime / 1000).toISOString(), sha256: null },
      format, ports: this.ports, completed: false, ...(opts.profile ? { profile: opts.profile } : {}),
      ...(opts.keyLog ? { tlsKeyLog: opts.keyLog.label } : {}),
    };
  }

  async run(): Promise<void> {
    const key = this.opts.keyLog;
    const transferable = !key || isWholeKeyLog(key);
    const threaded = transferable && (this.opts.readingThread ?? this.size >= IMPORT_THREAD_BYTES);
    if (threaded) return this.finish(...await this.runThreaded());
    // In this thread: the packets go through both halves here, one store transaction per read.
    const packets = new PacketFlows(this.opts, (info) => this.recorders.open(info));
    const scan = new CaptureFileScan(this.fh, this.size, this.format, (linkType, time, data, orig) => {
      if (this.sessionId < 0) this.startSession(time);
      packets.packet(linkType, time, data, orig);
    }, this.opts);
    const summary = await scan.run((parse) => this.writer.transaction(() => {
      const n = parse();
      this.recorders.flushTouched();
      return n;
    }), (pos) => this.progress(pos));
    const endTime = () => {
      if (this.sessionId < 0) this.startSession(this.mtime);
      return summary.lastTime >= 0 ? summary.lastTime : this.firstTime;
    };
    this.finish(summary, packets.read(), (t) => {
      packets.finish(t);
      return packets.ended();
    }, endTime);
  }

  private progress(pos: number): void {
    this.result.bytes = pos;
    this.opts.onProgress?.(pos, this.size);
  }

  /**
   * The file is read, parsed and reassembled on the import's reading thread; this thread records what the flows
   * carry, one store transaction per read, in the order the reading thread posted it.
   */
  private runThreaded(): Promise<Parameters<ImportRun['finish']>> {
    const key = this.opts.keyLog;
    const config: ImportWorkerConfig = {
      file: this.abs, size: this.size, mtime: this.mtime, format: this.format, readBytes: this.opts.readBytes, ports: this.opts.ports,
      reassembly: this.opts.reassembly, maxQuietFlows: this.opts.maxQuietFlows,
      keyLog: key && isWholeKeyLog(key) ? { label: key.label, secrets: key.toEntries() } : null,
    };
    const worker = startWorkerBeside(import.meta.url, './import-worker.js', config);
    const handles: ConnectionHandle[] = [];
    const signal = this.opts.signal;
    const stop = () => worker.postMessage({ type: 'stop' } satisfies ToReader);
    return new Promise<Parameters<ImportRun['finish']>>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      signal?.addEventListener('abort', stop, { once: true });
      if (signal?.aborted) stop();
      worker.on('message', (m: ToImporter) => {
        if (settled) return;
        try {
          if (m.type === 'batch') {
            if (m.first >= 0 && this.sessionId < 0) this.startSession(m.first);
            if (m.ops.length) {
              this.writer.transaction(() => {
                this.apply(m.ops, m.read, m.bytes, m.rare, handles);
                this.recorders.flushTouched();
              });
            }
            this.progress(m.pos);
            worker.postMessage({ type: 'ack' } satisfies ToReader);
          } else if (m.type === 'done') {
            settled = true;
            const endTime = () => {
              if (this.sessionId < 0) this.startSession(this.mtime);
              return m.endTime;
            };
            // The flows' last events (their ends) were in the last batch, already applied.
            resolve([m.summary, m.read, () => m.ended, endTime]);
          } else {
            fail(new Error(`reading ${this.result.file} failed: ${m.message}`));
          }
        } catch (e) {
          fail(e);
        }
      });
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`the import's reading thread stopped (exit code ${code})`)));
    }).finally(() => {
      signal?.removeEventListener('abort', stop);
      void worker.terminate();
    });
  }

  /** Applies one batch of flow events, in order, to the connections' recorders. */
  private apply(ops: Float64Array, read: Uint8Array | null, bytes: Uint8Array, rare: readonly RareOp[], handles: ConnectionHandle[]): void {
    for (let k = 0; k < ops.length; k += OP_FIELDS) {
      const flow = ops[k + 1];
      const kind = ops[k];
      if (kind !== OP.rare) {
        const at = ops[k + 4];
        handles[flow].data(ops[k + 2] === 0 ? 'client' : 'broker', (kind === OP.read ? read! : bytes).subarray(at, at + ops[k + 5]), ops[k + 3]);
        continue;
      }
      const r = rare[ops[k + 4]];
      if (r.k === 'open') handles[flow] = this.recorders.open(r.info);
      else if (r.k === 'gap') handles[flow].gap(r.dir, r.n, r.time, r.code, r.message);
      else if (r.k === 'event') handles[flow].event(r.dir, r.time, r.code, r.severity, r.message);
      else if (r.k === 'tls') handles[flow].tls?.(r.info);
      else handles[flow].close(r.time, r.reason);
    }
  }

  // --- store ----------------------------------------------------------------------------------------------------

  private startSession(time: number): void {
    this.firstTime = time;
    const name = this.opts.name ?? path.basename(this.abs);
    this.sessionId = this.writer.createSession('import', name, time, this.meta);
    this.result.session = this.sessionId;
  }

  private sessionIssue(code: IssueCode, message: string, time: number): void {
    this.sessionIssues++;
    const i = issueOf(code);
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: null, frameId: null, dir: null, offset: null, time, code: i.code, severity: i.severity, message,
    });
  }

  /**
   * Ends the session: the flows still open end at the capture's end (`endFlows`, in this thread's case), the
   * connections are closed, the file's issues and the meta are written.
   */
  private finish(scan: ScanSummary, read: FlowsRead, endFlows: (endTime: number) => FlowsEnded, endTime: () => number): void {
    const r = this.result;
    const warnings = r.warnings;
    // What was not decoded is told as it stood at the end of the file, before the flows still open were ended.
    warnings.push(...read.warnings);
    const cor = scan.corruption;
    const damaged = cor.regions
      ? `the file is corrupt: ${cor.regions} damaged region(s) (${cor.bytes} bytes) skipped, reading resumed after each; ` +
        `the first at byte ${cor.first[0].at}: ${cor.first[0].reason}`
      : null;
    if (damaged) warnings.push(damaged);
    const stopped = scan.stopped;
    if (stopped) warnings.push(stopped);
    // Incomplete: reading stopped early, or parts of the file could not be read.
    const incomplete = stopped ?? damaged;
    if (scan.packets > 0 && read.tcpSegments === 0 && read.unsupportedLinks === 0) warnings.push('no TCP packets in the capture');

    if (incomplete && this.sessionId < 0) {
      // Not one packet could be read: there is nothing to show, so no session; the caller reports the error.
      r.error = `${r.file}: ${incomplete}`;
      r.packets = 0;
      return;
    }
    let flows: FlowsEnded | null = null;
    const end = () => {
      const t = endTime();
      flows = endFlows(t);
      this.recorders.closeAll(t, 'import stopped');
      const issueTime = scan.lastTime >= 0 ? scan.lastTime : this.mtime;
      for (const [lt, n] of flows.unsupportedLink) {
        this.sessionIssue('unsupported-link-type', `${n} packets of link type ${linkTypeName(lt)} skipped: this link type is not supported`, issueTime);
      }
      for (const c of cor.first) {
        this.sessionIssue('capture-corrupt', `bytes ${c.at}–${c.at + c.bytes - 1} of the file: ${c.reason}; reading resumed after them`, issueTime);
      }
      if (cor.regions > cor.first.length) {
        this.sessionIssue('capture-corrupt', `${cor.regions - cor.first.length} more corrupt regions skipped (${cor.bytes} bytes in all)`, issueTime);
      }
      if (stopped) this.sessionIssue(scan.readerError ? 'capture-corrupt' : 'capture-truncated', stopped, issueTime);
      Object.assign(this.meta, {
        source: { ...(this.meta.source as object), sha256: scan.sha256 },
        linkTypes: scan.linkTypes.map(linkTypeName),
        packets: scan.packets,
        ...flows.meta,
        bytesRead: r.bytes,
        completed: !incomplete,
        ...(incomplete ? { error: stopped && damaged ? `${damaged}; ${stopped}` : incomplete } : {}),
        ...(cor.regions ? { corrupt: { regions: cor.regions, bytes: cor.bytes, first: cor.first.slice(0, 10) } } : {}),
        warnings,
      });
      this.writer.setSessionMeta(this.sessionId, this.meta);
      this.writer.endSession(this.sessionId, t, incomplete ? 'interrupted' : 'complete');
    };
    this.writer.transaction(end);
    r.connections = flows!.connections;
    r.frames = this.recorders.frames;
    r.issues = this.recorders.issues + this.sessionIssues;
    const by = { error: 0, warning: 0, note: 0 };
    for (const row of this.writer.db.prepare(`SELECT severity, count(*) n FROM issues WHERE session_id = ? GROUP BY severity`)
      .all(this.sessionId) as Array<{ severity: keyof typeof by; n: number }>) by[row.severity] = row.n;
    r.issuesBySeverity = by;
    r.packets = scan.packets;
    r.complete = !incomplete;
  }
}
