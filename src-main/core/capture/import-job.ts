// Imports one capture file (pcap, nanosecond pcap, pcapng) into a session: read the file in large pieces,
// parse records, dissect to TCP, reassemble, pick the STOMP flows, and record each as a connection with the
// same ConnectionRecorder the proxy uses, so an imported session reads back exactly like a proxy session.
//
// Streaming and bounded: one read of READ_BYTES at a time (plus the largest record, itself bounded), one store
// transaction per read; reassembly and classification hold bounded amounts per flow. Times come from the
// capture. The session's meta records the source file (name, size, SHA-256), format, link types, packet
// counts, and whether the import completed; an import that stopped early (corrupt or truncated file,
// interrupted) or skipped corrupt regions of the file (the pcapng reader resynchronises at the next valid
// block) ends 'interrupted' with `meta.completed: false` and the reason: the session lacks some of the file.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileKind } from '../file-kind.js';
import { ISSUES, type IssueCode } from '../../../shared/issues.js';
import type { DecoderLimits } from '../../../shared/stomp/types.js';
import type { ProfileName } from '../../../shared/analysis/profiles.js';
import type { StoreWriter } from '../store/writer.js';
import { detectFormat, linkTypeName, type CaptureFormat, type CaptureReader, type PacketSink } from './format.js';
import { PcapParserReader } from './pcap-parser-reader.js';
import { PcapReader } from './pcap-reader.js';
import { PcapngReader } from './pcapng-reader.js';
import type { ReassemblyLimits } from './reassembly.js';
import type { KeySource } from './tls/keylog.js';
import { CaptureRecording } from './recording.js';

/** Bytes read per step and per store transaction. */
const READ_BYTES = 4 * 1024 * 1024;
/** Corrupt regions recorded one issue each; more are summed up in one more. */
const MAX_CORRUPT_ISSUES = 100;

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

/** Thrown for files that cannot be imported at all. */
export class CaptureError extends Error {}

function issueOf(code: IssueCode): { code: IssueCode; severity: 'error' | 'warning' | 'note' } {
  return { code, severity: ISSUES[code].severity };
}

function readerFor(format: CaptureFormat): CaptureReader {
  if (format === 'pcap') return new PcapParserReader();
  if (format === 'pcap-nsec') return new PcapReader('pcap-nsec');
  return new PcapngReader();
}

/**
 * Hashes the open file from byte `from` to its end, through the same handle (the path may have changed since).
 * False when `signal` stopped it first (the hash is then of part of the file).
 */
async function hashFrom(fh: fs.promises.FileHandle, hash: ReturnType<typeof createHash>, from: number, signal?: AbortSignal): Promise<boolean> {
  const buf = Buffer.allocUnsafeSlow(READ_BYTES);
  for (let pos = from; ;) {
    if (signal?.aborted) return false;
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return true;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

/**
 * Opens a capture for reading, refusing anything but a regular file before it can block: opening a named pipe
 * waits for a writer (forever, and in a thread no signal reaches), and a device never ends. The path is
 * checked before the open, and the handle again after it (the path may have been swapped in between); the
 * open itself does not block on a pipe (O_NONBLOCK has no effect on regular files).
 */
export async function openRegularFile(file: string, label = file): Promise<{ fh: fs.promises.FileHandle; st: fs.Stats }> {
  const refuse = (st: fs.Stats) => new CaptureError(`${label}: ${fileKind(st)}, not a regular file: only capture files can be imported`);
  let fh: fs.promises.FileHandle;
  try {
    const before = await fs.promises.stat(file);
    if (!before.isFile()) throw refuse(before);
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof CaptureError) throw e;
    throw new CaptureError(`${label}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw refuse(st);
  }
  return { fh, st };
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

class ImportRun implements PacketSink {
  private readonly reader: CaptureReader;
  private readonly rec: CaptureRecording;
  private readonly hash = createHash('sha256');
  private readonly linkTypes = new Set<number>();
  private sessionId = -1;
  private firstTime = -1;
  private lastTime = -1;
  private sessionIssues = 0;
  /** Corrupt regions of the file the reader skipped (it went on reading after each). */
  private readonly corruption = { regions: 0, bytes: 0, first: [] as Array<{ at: number; bytes: number; reason: string }> };
  private readonly meta: Record<string, unknown>;

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
    this.reader = readerFor(format);
    this.rec = new CaptureRecording(writer, () => this.sessionId, opts);
    this.meta = {
      source: { file: path.basename(abs), path: abs, size, mtime: new Date(mtime / 1000).toISOString(), sha256: null },
      format, ports: [...this.rec.ports].sort((a, b) => a - b), completed: false, ...(opts.profile ? { profile: opts.profile } : {}),
      ...(opts.keyLog ? { tlsKeyLog: opts.keyLog.label } : {}),
    };
  }

  async run(): Promise<void> {
    const readBytes = this.opts.readBytes ?? READ_BYTES;
    let tail: Uint8Array = new Uint8Array(0);
    let pos = 0;
    let stopped: string | null = null;
    while (pos < this.size) {
      if (this.opts.signal?.aborted) {
        stopped = 'the import was interrupted';
        break;
      }
      const want = Math.max(readBytes, this.reader.need - tail.length);
      const buf = Buffer.allocUnsafeSlow(tail.length + want);
      buf.set(tail);
      const { bytesRead } = await this.fh.read(buf, tail.length, want, pos);
      if (bytesRead === 0) break; // the file shrank under us
      this.hash.update(buf.subarray(tail.length, tail.length + bytesRead));
      pos += bytesRead;
      const view = buf.subarray(0, tail.length + bytesRead);
      const consumed = this.writer.transaction(() => {
        const n = this.reader.parse(view, this);
        this.flushTouched();
        return n;
      });
      tail = view.subarray(consumed);
      this.result.bytes = pos;
      this.opts.onProgress?.(pos, this.size);
      if (this.reader.error) {
        stopped = `the file is corrupt: ${this.reader.error}`;
        break;
      }
    }
    if (!stopped) {
      const readEnd = () => {
        const n = this.reader.end!(tail, this);
        this.flushTouched();
        return n;
      };
      const cut = (this.reader.end ? this.writer.transaction(readEnd) : tail.length) + this.reader.held;
      if (this.reader.error) stopped = `the file is corrupt: ${this.reader.error}`;
      else if (cut > 0) stopped = `the file ends in the middle of a record (${cut} bytes left over): it was cut short`;
    }
    // The hash identifies the whole file (for --skip-existing), also when reading stopped early.
    // Reading may have stopped at a corrupt region with gigabytes after it: Ctrl-C still ends the hashing.
    const hashed = pos >= this.size || await hashFrom(this.fh, this.hash, pos, this.opts.signal);
    if (!hashed) stopped ??= 'the import was interrupted';
    this.finish(stopped, hashed);
  }

  // --- PacketSink ---------------------------------------------------------------------------------------------

  linkType(t: number): void {
    this.linkTypes.add(t);
  }

  corrupt(at: number, bytes: number, reason: string): void {
    const c = this.corruption;
    c.regions++;
    c.bytes += bytes;
    // Each region becomes a session issue, up to a bound: a file of random bytes must not make a million.
    if (c.first.length < MAX_CORRUPT_ISSUES) c.first.push({ at, bytes, reason });
  }

  packet(linkType: number, time: number, data: Uint8Array, originalLength: number): void {
    if (this.sessionId < 0) this.startSession(time);
    if (time > this.lastTime) this.lastTime = time;
    this.rec.packet(linkType, time, data, originalLength);
  }

  // --- store ----------------------------------------------------------------------------------------------------

  private startSession(time: number): void {
    this.firstTime = time;
    const name = this.opts.name ?? path.basename(this.abs);
    this.sessionId = this.writer.createSession('import', name, time, this.meta);
    this.result.session = this.sessionId;
  }

  private flushTouched(): void {
    this.rec.flushTouched();
  }

  private sessionIssue(code: IssueCode, message: string): void {
    this.sessionIssues++;
    const i = issueOf(code);
    this.writer.insertIssue({
      sessionId: this.sessionId, connectionId: null, frameId: null, dir: null, offset: null, time: this.lastTime >= 0 ? this.lastTime : this.mtime,
      code: i.code, severity: i.severity, message,
    });
  }

  private finish(stopped: string | null, hashed: boolean): void {
    const r = this.result;
    const warnings = r.warnings;
    const sk = this.rec.skipped;
    warnings.push(...this.rec.warnings());
    const cor = this.corruption;
    const damaged = cor.regions
      ? `the file is corrupt: ${cor.regions} damaged region(s) (${cor.bytes} bytes) skipped, reading resumed after each; ` +
        `the first at byte ${cor.first[0].at}: ${cor.first[0].reason}`
      : null;
    if (damaged) warnings.push(damaged);
    if (stopped) warnings.push(stopped);
    // Incomplete: reading stopped early, or parts of the file could not be read.
    const incomplete = stopped ?? damaged;
    if (this.reader.packets > 0 && this.rec.tcpSegments === 0 && sk.unsupportedLink.size === 0) warnings.push('no TCP packets in the capture');

    // Only a hash of the whole file identifies it (--skip-existing).
    const sha256 = hashed ? this.hash.digest('hex') : null;
    if (incomplete && this.sessionId < 0) {
      // Not one packet could be read: there is nothing to show, so no session; the caller reports the error.
      r.error = `${r.file}: ${stopped ?? damaged}`;
      r.packets = 0;
      return;
    }
    const end = () => {
      if (this.sessionId < 0) this.startSession(this.mtime);
      const endTime = this.lastTime >= 0 ? this.lastTime : this.firstTime;
      this.rec.closeAll(endTime, 'import stopped');
      for (const [t, n] of sk.unsupportedLink) {
        this.sessionIssue('unsupported-link-type', `${n} packets of link type ${linkTypeName(t)} skipped: this link type is not supported`);
      }
      for (const c of cor.first) {
        this.sessionIssue('capture-corrupt', `bytes ${c.at}–${c.at + c.bytes - 1} of the file: ${c.reason}; reading resumed after them`);
      }
      if (cor.regions > cor.first.length) {
        this.sessionIssue('capture-corrupt', `${cor.regions - cor.first.length} more corrupt regions skipped (${cor.bytes} bytes in all)`);
      }
      if (stopped) this.sessionIssue(this.reader.error ? 'capture-corrupt' : 'capture-truncated', stopped);
      Object.assign(this.meta, {
        source: { ...(this.meta.source as object), sha256 },
        linkTypes: [...this.linkTypes].map(linkTypeName),
        packets: this.reader.packets,
        ...this.rec.metaOf(),
        bytesRead: r.bytes,
        completed: !incomplete,
        ...(incomplete ? { error: stopped && damaged ? `${damaged}; ${stopped}` : incomplete } : {}),
        ...(cor.regions ? { corrupt: { regions: cor.regions, bytes: cor.bytes, first: cor.first.slice(0, 10) } } : {}),
        warnings,
      });
      this.writer.setSessionMeta(this.sessionId, this.meta);
      this.writer.endSession(this.sessionId, endTime, incomplete ? 'interrupted' : 'complete');
    };
    this.writer.transaction(end);
    r.connections = this.rec.flows.connections;
    r.frames = this.rec.frames;
    r.issues = this.rec.issues + this.sessionIssues;
    const by = { error: 0, warning: 0, note: 0 };
    for (const row of this.writer.db.prepare(`SELECT severity, count(*) n FROM issues WHERE session_id = ? GROUP BY severity`)
      .all(this.sessionId) as Array<{ severity: keyof typeof by; n: number }>) by[row.severity] = row.n;
    r.issuesBySeverity = by;
    r.packets = this.reader.packets;
    r.complete = !incomplete;
  }
}
