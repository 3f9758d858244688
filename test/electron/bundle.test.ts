// The desktop bundle as electron-vite builds it (npm install runs the build): the recording worker is an
// entry of its own beside the main bundle, where the core looks for it, and it runs. Proxies started from
// the desktop app depend on it; no Electron runtime is needed to check either.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openDb } from '../../src-main/core/store/db.js';

const out = fileURLToPath(new URL('../../out/main/', import.meta.url));

describe('desktop bundle', () => {
  it('has the recorder worker beside the main bundle that starts it', () => {
    expect(fs.existsSync(path.join(out, 'index.js')), 'out/main/index.js: run `npm run build`').toBe(true);
    expect(fs.existsSync(path.join(out, 'worker.js'))).toBe(true);
    // The Recorder resolves './worker.js' against its own module: it must be bundled into index.js itself.
    expect(/["']\.\/worker\.js["']/.test(fs.readFileSync(path.join(out, 'index.js'), 'utf8'))).toBe(true);
  });

  it('has the core\'s read worker beside the main bundle, and it answers a read', async () => {
    expect(fs.existsSync(path.join(out, 'read-worker.js'))).toBe(true);
    // The read pool resolves './read-worker.js' against its own module, bundled into index.js.
    expect(/["']\.\/read-worker\.js["']/.test(fs.readFileSync(path.join(out, 'index.js'), 'utf8'))).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bundle-'));
    try {
      openDb(path.join(dir, 'r.db')).close();
      const w = new Worker(path.join(out, 'read-worker.js'), { workerData: { dbPath: path.join(dir, 'r.db'), firstHandle: 1 } });
      const answers: unknown[] = [];
      const got = new Promise<void>((resolve, reject) => {
        w.on('message', (m: { t: string }) => {
          answers.push(m);
          if (m.t === 'ready') w.postMessage({ t: 'call', id: 1, cmd: 'sessions.list', args: {} });
          if (m.t === 'done') resolve();
        });
        w.once('error', reject);
      });
      await got;
      expect(answers).toEqual([{ t: 'ready' }, { t: 'done', id: 1, ok: true, result: [] }]);
      await w.terminate();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the import\'s reading thread beside the main bundle, and it reads a capture', async () => {
    expect(fs.existsSync(path.join(out, 'import-worker.js'))).toBe(true);
    // import-job.ts resolves './import-worker.js' against its own module, bundled into index.js.
    expect(/["']\.\/import-worker\.js["']/.test(fs.readFileSync(path.join(out, 'index.js'), 'utf8'))).toBe(true);
    const file = fileURLToPath(new URL('../capture/fixtures/rabbitmq.pcap', import.meta.url));
    const w = new Worker(path.join(out, 'import-worker.js'), { workerData: { file, size: fs.statSync(file).size, mtime: 0, format: 'pcap' } });
    const kinds: string[] = [];
    const done = await new Promise<{ summary: { packets: number; sha256: string | null }; ended: { connections: number } }>((resolve, reject) => {
      w.on('message', (m: { type: string }) => {
        kinds.push(m.type);
        if (m.type === 'batch') w.postMessage({ type: 'ack' });
        if (m.type === 'done') resolve(m as never);
        if (m.type === 'error') reject(new Error(JSON.stringify(m)));
      });
      w.once('error', reject);
    });
    await w.terminate();
    expect(kinds.at(-1)).toBe('done');
    expect(kinds).toContain('batch');
    expect(done.summary.packets).toBeGreaterThan(10);
    expect(done.summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.ended.connections).toBeGreaterThan(0);
  });

  it('runs the bundled worker: it opens a database and starts a session', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bundle-'));
    try {
      const w = new Worker(path.join(out, 'worker.js'), {
        workerData: { dbPath: path.join(dir, 'b.db'), kind: 'proxy', name: 'bundle', meta: {}, started: 1, live: false },
      });
      const first = await new Promise<{ t: string; session?: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      expect(first).toEqual({ t: 'ready', session: 1 });
      w.postMessage({ t: 'end', time: 2, state: 'complete' });
      const ended = await new Promise<{ t: string }>((resolve) => w.on('message', (m: { t: string }) => m.t === 'ended' && resolve(m)));
      expect(ended).toMatchObject({ t: 'ended', summary: { session: 1, frames: 0 } });
      await w.terminate();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
