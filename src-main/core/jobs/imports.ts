// Capture imports started from the UI. A host registers the file it received (upload, native dialog) and gets
// an opaque id; the UI starts the import by that id, so no path ever comes from the page. Each import writes
// through its own connection, like `stompscope import`, and reports progress as events.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type Events } from '../../../shared/api/index.js';
import { importCapture } from '../capture/import-job.js';
import { KeyLogError, readKeyLogFile, type KeyLog } from '../capture/tls/keylog.js';
import { openDb } from '../store/db.js';
import { StoreWriter } from '../store/writer.js';

interface Upload {
  file: string;
  name: string;
  /** A temporary copy the host made (an upload): removed after the import. */
  owned: boolean;
}

export class ImportManager {
  private readonly uploads = new Map<string, Upload>();
  private nextJob = 1;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly dbPath: string,
    private readonly emit: <E extends 'import.progress' | 'import.done'>(event: E, data: Events[E]) => void,
    private readonly onSessionsChanged: () => void,
  ) {}

  register(file: string, name: string, owned: boolean): string {
    const id = randomBytes(12).toString('base64url');
    this.uploads.set(id, { file, name: path.basename(name), owned });
    return id;
  }

  /** `keylog`: the upload id of an NSS key log to decrypt TLS with (read now, then removed like the capture). */
  start(upload: string, name?: string, keylog?: string): { job: number } {
    const u = this.uploads.get(upload);
    if (!u) throw new ApiError('not-found', 'no such upload (it was imported already, or never received)');
    let keys: KeyLog | null = null;
    if (keylog !== undefined) {
      const k = this.uploads.get(keylog);
      if (!k || keylog === upload) throw new ApiError('not-found', 'no such key log upload (it was used already, or never received)');
      this.uploads.delete(keylog);
      try {
        keys = readKeyLogFile(k.file);
        keys.label = `key log ${k.name}`;
      } catch (e) {
        if (e instanceof KeyLogError) throw new ApiError('bad-request', `the key log ${k.name}: ${e.message.replace(/^[^:]*: /, '')}`);
        throw e;
      } finally {
        if (k.owned) fs.rmSync(path.dirname(k.file), { recursive: true, force: true });
      }
    }
    this.uploads.delete(upload);
    const job = this.nextJob++;
    const label = name?.trim() || u.name;
    const p = this.run(job, u, label, keys).finally(() => this.running.delete(p));
    this.running.add(p);
    return { job };
  }

  private async run(job: number, u: Upload, name: string, keyLog: KeyLog | null): Promise<void> {
    const writer = new StoreWriter(openDb(this.dbPath));
    let last = 0;
    try {
      const r = await importCapture(writer, u.file, {
        name, keyLog,
        onProgress: (done, total) => {
          const now = Date.now();
          if (now - last < 100 && done < total) return;
          last = now;
          this.emit('import.progress', { job, name, done, total });
        },
      });
      this.emit('import.done', { job, name, session: r.session, frames: r.frames, complete: r.complete, error: r.error ?? null });
    } catch (e) {
      this.emit('import.done', { job, name, session: null, frames: 0, complete: false, error: (e as Error).message });
    } finally {
      writer.db.close();
      if (u.owned) fs.rmSync(path.dirname(u.file), { recursive: true, force: true });
      this.onSessionsChanged();
    }
  }

  /**
   * On close: the uploads that were never imported are removed (they are private copies in the temporary
   * directory, and nothing could import them after this), then running imports are waited for.
   */
  async settle(): Promise<void> {
    for (const u of this.uploads.values()) if (u.owned) fs.rmSync(path.dirname(u.file), { recursive: true, force: true });
    this.uploads.clear();
    await Promise.allSettled([...this.running]);
  }
}
