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

  async importFiles(files: UploadFile[]): Promise<void> {
    for (const file of files) {
      const local = this.nextLocal--;
      this.upsert(local, file.name, { total: file.size, state: 'uploading' });
      try {
        const upload = await this.api.upload(file);
        const { job } = await this.api.invoke('import.start', { upload, name: file.name });
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
