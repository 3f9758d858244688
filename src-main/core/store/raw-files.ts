import fs from 'node:fs';
import path from 'node:path';

// The raw bytes of each session live in one append-only file beside the database, like a capture file beside
// its index: `<db>-raw/session-<id>.raw`. SQLite holds the index (the `chunks` table says which stream bytes
// are where in the file). Written once, with no journal and no fsync in the way, this is what lets recording
// keep up with the proxy (bench/store.ts): raw bytes in SQLite blobs went through the WAL and then the
// database file, twice the writes.

export function rawDirOf(dbFile: string): string {
  return `${path.resolve(dbFile)}-raw`;
}

export function rawFileOf(dbFile: string, sessionId: number): string {
  return path.join(rawDirOf(dbFile), `session-${sessionId}.raw`);
}

/** Removes a session's raw file (when the session is deleted). */
export function deleteRawFile(dbFile: string, sessionId: number): void {
  fs.rmSync(rawFileOf(dbFile, sessionId), { force: true });
}

/** Appends to the raw files of the sessions one writer records. */
export class RawFileWriter {
  private readonly open = new Map<number, { fd: number; size: number }>();

  constructor(private readonly dbFile: string) {}

  /**
   * Appends `data` (or its pieces, in order, in one write: no copy joins them first) to the session's file; returns
   * the file offset where it starts.
   */
  append(sessionId: number, data: Uint8Array | readonly Uint8Array[]): number {
    let f = this.open.get(sessionId);
    if (!f) {
      fs.mkdirSync(rawDirOf(this.dbFile), { recursive: true });
      const fd = fs.openSync(rawFileOf(this.dbFile, sessionId), 'a');
      f = { fd, size: fs.fstatSync(fd).size };
      this.open.set(sessionId, f);
    }
    const at = f.size;
    const pieces = Array.isArray(data) ? data as readonly Uint8Array[] : [data as Uint8Array];
    let length = 0;
    for (const p of pieces) length += p.byteLength;
    let done = 0;
    try {
      done = pieces.length > 1 ? fs.writevSync(f.fd, pieces as Uint8Array[]) : 0;
      // What a short write left (a piece at a time from where it stopped).
      for (let i = 0, start = 0; i < pieces.length && done < length; start += pieces[i++].byteLength) {
        const p = pieces[i];
        for (let w = Math.max(0, done - start); w < p.byteLength;) {
          const n = fs.writeSync(f.fd, p, w, p.byteLength - w);
          w += n;
          done += n;
        }
      }
    } catch (e) {
      // Disk full mid-write: cut the partial write off again, so that the next append lands at `size` as indexed.
      if (done > 0) {
        try {
          fs.ftruncateSync(f.fd, f.size);
        } catch { /* the index never points past `size` anyway */ }
      }
      throw e;
    }
    f.size += length;
    return at;
  }

  close(sessionId: number): void {
    const f = this.open.get(sessionId);
    if (!f) return;
    fs.closeSync(f.fd);
    this.open.delete(sessionId);
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }
}

/** Reads the raw files of a database; files are opened on first use and kept open. */
export class RawFileReader {
  private readonly fds = new Map<number, number>();

  constructor(private readonly dbFile: string) {}

  /** `length` bytes at `fileOffset` of the session's file, or null if the file is missing or short. */
  read(sessionId: number, fileOffset: number, length: number): Buffer | null {
    let fd = this.fds.get(sessionId);
    if (fd === undefined) {
      try {
        fd = fs.openSync(rawFileOf(this.dbFile, sessionId), 'r');
      } catch {
        return null; // not there (yet, or any more): tried again next time
      }
      this.fds.set(sessionId, fd);
    }
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, fileOffset + done);
      if (n === 0) return null; // shorter than the index says: the file was truncated or replaced
      done += n;
    }
    return out;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}
