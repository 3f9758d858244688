// Errors over the Electron bridge: main answers with plain data and the page's client rebuilds the ApiError, its
// code, message and detail, exactly as over the web host's WebSocket. IPC is played as Electron plays it
// (structured clone of everything that crosses, a thrown error reduced to its message), never by a mock that
// hands class instances through.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../shared/api/index.js';
import { openDb } from '../../src-main/core/store/db.js';
import { startElectronFixture, type ElectronFixture } from '../support/electron-client.js';
import { electron } from '../support/electron-mock.js';
import { conversation, seedSession } from '../support/seed.js';

vi.mock('electron', async () => (await import('../support/electron-mock.js')).electronModule());

describe('Electron IPC carries errors as {code, message, detail}', () => {
  let dir = '';
  let app: ElectronFixture;
  let session = 0;
  let frames = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-ipc-'));
    const db = path.join(dir, 'e.db');
    const seeded = openDb(db);
    ({ session, frames } = seedSession(seeded, { name: 'seeded', connections: 1, frames: conversation(4) }));
    seeded.close();
    app = await startElectronFixture(db);
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const failure = async (p: Promise<unknown>): Promise<ApiError> => {
    const e = await p.then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  };

  it('a bad display filter: the code, the message and where it is wrong reach the page', async () => {
    const e = await failure(app.api.invoke('frames.query', { session, filter: 'size > "x"' }));
    expect(e.code).toBe('bad-filter');
    expect(e.message).toMatch(/size/);
    expect(e.detail).toEqual({ message: expect.any(String), start: 7, end: expect.any(Number) });
  });

  it('validation and lookups fail with their own codes; results come through as data', async () => {
    expect((await failure(app.api.invoke('frames.window', { query: 1, start: -1, count: 5 }))).code).toBe('bad-request');
    expect((await failure(app.api.invoke('sessions.delete', { session: 999 }))).code).toBe('not-found');
    expect(await app.api.invoke('sessions.list', {})).toEqual([expect.objectContaining({ session, name: 'seeded', frames })]);
  });

  it('the file and export channels carry errors the same way', async () => {
    const file = await failure(app.api.upload({ name: 'x.pcap', size: 1, path: dir } as never));
    expect(file).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/not a regular file/) });
    electron.saveTarget.path = path.join(dir, 'out.jsonl');
    expect((await failure(app.api.saveExport('no-such-ticket', 'x.jsonl'))).code).toBe('not-found');
  });
});
