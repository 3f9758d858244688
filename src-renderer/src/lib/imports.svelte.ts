import type { ApiClient, UploadFile } from '../../../shared/api/index.js';

export interface ImportJob {
  /** The core's job id; negative while the file is still uploading. */
  key: number;
  name: string;
  done: number;
  total: number;
  state: 'uploading' | 'importing' | 'done' | 'failed';
  message: string | null;
  session: number | null;
}

const CAPTURE_NAME = /\.(pcapng|pcap|cap|dmp|ntar)$/i;
const KEYLOG_NAME = /(\.log|\.txt|\.keys?|keylog|sslkey)/i;

/** A TLS key log (SSLKEYLOGFILE) by its name: anything not named like a capture that is named like a log. */
export function isKeyLogName(name: string): boolean {
  return !CAPTURE_NAME.test(name) && KEYLOG_NAME.test(name);
}

/** Capture imports: a file handed to the host (upload, or its path in the desktop app), then the core's job and its progress. */
export class ImportsState {
  jobs = $state.raw<ImportJob[]>([]);
  private nextLocal = -1;

  constructor(private readonly api: ApiClient, private readonly onDone: (session: number) => void) {
    api.on('import.progress', (e) => this.upsert(e.job, e.name, { done: e.done, total: e.total, state: 'importing' }));
    api.on('import.done', (e) => {
      this.upsert(e.job, e.name, {
        state: e.session === null ? 'failed' : 'done', session: e.session, done: 1, total: 1,
        message: e.error ?? `${e.frames} frames${e.complete ? '' : ' (the file was cut short: incomplete)'}`,
      });
      if (e.session !== null) this.onDone(e.session);
    });
  }

  get canUpload(): boolean {
    return this.api.canUpload;
  }

  private upsert(key: number, name: string, patch: Partial<ImportJob>): void {
    if (this.jobs.some((j) => j.key === key)) this.jobs = this.jobs.map((j) => (j.key === key ? { ...j, ...patch } : j));
    else this.jobs = [...this.jobs, { key, name, done: 0, total: 1, state: 'importing', message: null, session: null, ...patch }];
  }

  /**
   * Imports captures. A TLS key log picked or dropped together with them (named like one: keys.log, sslkeylog.txt)
   * decrypts their TLS connections: each capture is imported with it.
   */
  async importFiles(files: UploadFile[]): Promise<void> {
    const keyLog = files.find((f) => isKeyLogName(f.name));
    const captures = files.filter((f) => !isKeyLogName(f.name));
    if (keyLog && captures.length === 0) {
      this.upsert(this.nextLocal--, keyLog.name, {
        state: 'failed', message: 'a TLS key log alone: pick or drop it together with the capture it decrypts',
      });
      return;
    }
    for (const file of captures) {
      const local = this.nextLocal--;
      this.upsert(local, file.name, { total: file.size, state: 'uploading' });
      try {
        const upload = await this.api.upload(file);
        // The core reads a key log once (and removes it): each capture gets its own copy of it.
        const keylog = keyLog ? await this.api.upload(keyLog) : undefined;
        const { job } = await this.api.invoke('import.start', { upload, name: file.name, ...(keylog ? { keylog } : {}) });
        // Events of the job may have come first: keep theirs, drop the upload's entry.
        if (this.jobs.some((j) => j.key === job)) this.jobs = this.jobs.filter((j) => j.key !== local);
        else this.jobs = this.jobs.map((j) => (j.key === local ? { ...j, key: job, state: 'importing' } : j));
      } catch (e) {
        this.upsert(local, file.name, { state: 'failed', message: (e as Error).message });
      }
    }
  }

  dismiss(key: number): void {
    this.jobs = this.jobs.filter((j) => j.key !== key);
  }
}
