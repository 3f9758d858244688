// Reading a capture file from start to end, for an import: one read of READ_BYTES at a time into a fresh buffer
// (packet views stay valid: the reassembler may hold them), the file's SHA-256 computed from the same reads,
// records parsed by the format's reader, and what the file itself says (link types, corrupt regions, the first and
// last packet times, a record cut short at the end). Store-agnostic: the caller says what a packet becomes and
// what wraps each read (a store transaction, or a batch posted to the recording thread). The same code runs in the
// importer's thread (small files) and in the import's reading thread (import-worker.ts), and both open the file
// with openRegularFile.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileKind } from '../file-kind.js';
import type { CaptureFormat, CaptureReader, PacketSink } from './format.js';
import { PcapReader } from './pcap-reader.js';
import { PcapngReader } from './pcapng-reader.js';

/** Bytes read per step (and per store transaction). */
export const READ_BYTES = 4 * 1024 * 1024;
/** Corrupt regions recorded one issue each; more are summed up in one more. */
export const MAX_CORRUPT_ISSUES = 100;

export interface Corruption {
  regions: number;
  bytes: number;
  first: Array<{ at: number; bytes: number; reason: string }>;
}

/** What reading the file found besides its packets: for the session's meta, its issues and the summary. */
export interface ScanSummary {
  /** Why reading stopped before the end of the file (corrupt, cut short, interrupted), or null. */
  stopped: string | null;
  /** The reader stopped at corruption (not a cut record or an interruption). */
  readerError: boolean;
  /** SHA-256 of the whole file, or null when hashing was interrupted. */
  sha256: string | null;
  /** Bytes of the file read (and parsed). */
  bytes: number;
  packets: number;
  linkTypes: number[];
  corruption: Corruption;
  /** Times (µs) of the first packet and of the latest one; -1: no packet. */
  firstTime: number;
  lastTime: number;
}

/** Thrown for files that cannot be imported at all. */
export class CaptureError extends Error {}


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

/**
 * Classic microsecond pcap is read with our own reader here, not the pcap-parser package the live capture uses
 * (pcap-reader.ts says why both exist).
 */
export function readerFor(format: CaptureFormat): CaptureReader {
  if (format === 'pcapng') return new PcapngReader();
  return new PcapReader(format);
}

/** Hashes the open file from byte `from` to its end. False when `signal` stopped it first. */
export async function hashFrom(fh: fs.promises.FileHandle, hash: ReturnType<typeof createHash>, from: number, signal?: AbortSignal): Promise<boolean> {
  const buf = Buffer.allocUnsafeSlow(READ_BYTES);
  for (let pos = from; ;) {
    if (signal?.aborted) return false;
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return true;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

export interface ScanOptions {
  readBytes?: number;
  signal?: AbortSignal;
}

/**
 * Each read: `step(parse, buf)` must call `parse()` (which parses what was read into `buf`, calling `packet` for
 * every record, whose data are views of `buf`) and return its result; `done(pos, buf)` follows it.
 */
export type ScanStep = (parse: () => number, buf: Uint8Array) => number;

export class CaptureFileScan implements PacketSink {
  private readonly reader: CaptureReader;
  private readonly hash = createHash('sha256');
  private readonly linkTypes = new Set<number>();
  private readonly corruption: Corruption = { regions: 0, bytes: 0, first: [] };
  firstTime = -1;
  lastTime = -1;

  constructor(
    private readonly fh: fs.promises.FileHandle,
    private readonly size: number,
    format: CaptureFormat,
    private readonly onPacket: (linkType: number, time: number, data: Uint8Array, originalLength: number) => void,
    private readonly opts: ScanOptions = {},
  ) {
    this.reader = readerFor(format);
  }

  get packets(): number {
    return this.reader.packets;
  }

  /**
   * Reads the whole file (or up to where it stops); `done(pos, buf)` after each read, awaited (back-pressure), with
   * the buffer that read filled: its packets' views are no longer needed by the scan and may be handed on.
   */
  async run(step: ScanStep, done: (pos: number, buf: Uint8Array) => void | Promise<void>): Promise<ScanSummary> {
    const readBytes = this.opts.readBytes ?? READ_BYTES;
    const reader = this.reader;
    let tail: Uint8Array = new Uint8Array(0);
    let pos = 0;
    let stopped: string | null = null;
    while (pos < this.size) {
      if (this.opts.signal?.aborted) {
        stopped = 'the import was interrupted';
        break;
      }
      const want = Math.max(readBytes, reader.need - tail.length);
      const buf = Buffer.allocUnsafeSlow(tail.length + want);
      buf.set(tail);
      const { bytesRead } = await this.fh.read(buf, tail.length, want, pos);
      if (bytesRead === 0) break; // the file shrank under us
      this.hash.update(buf.subarray(tail.length, tail.length + bytesRead));
      pos += bytesRead;
      const view = buf.subarray(0, tail.length + bytesRead);
      const consumed = step(() => reader.parse(view, this), buf);
      // A copy (at most one record) in a buffer of its own: `done` may hand `buf` to another thread. Nothing else
      // keeps a view of it: the reassembler, the flow table and the TLS session copy what they hold past a packet.
      // (Buffer#slice would be a view: Uint8Array's constructor copies.)
      tail = new Uint8Array(view.subarray(consumed));
      await done(pos, buf);
      if (reader.error) {
        stopped = `the file is corrupt: ${reader.error}`;
        break;
      }
    }
    if (!stopped) {
      const cut = (reader.end ? step(() => reader.end!(tail, this), tail) : tail.length) + reader.held;
      if (reader.error) stopped = `the file is corrupt: ${reader.error}`;
      else if (cut > 0) stopped = `the file ends in the middle of a record (${cut} bytes left over): it was cut short`;
    }
    // The hash identifies the whole file (for --skip-existing), also when reading stopped early.
    // Reading may have stopped at a corrupt region with gigabytes after it: Ctrl-C still ends the hashing.
    const hashed = pos >= this.size || await hashFrom(this.fh, this.hash, pos, this.opts.signal);
    if (!hashed) stopped ??= 'the import was interrupted';
    return {
      stopped, readerError: reader.error !== null, sha256: hashed ? this.hash.digest('hex') : null, bytes: pos, packets: reader.packets,
      linkTypes: [...this.linkTypes], corruption: this.corruption, firstTime: this.firstTime, lastTime: this.lastTime,
    };
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
    if (this.firstTime < 0) this.firstTime = time;
    if (time > this.lastTime) this.lastTime = time;
    this.onPacket(linkType, time, data, originalLength);
  }
}
