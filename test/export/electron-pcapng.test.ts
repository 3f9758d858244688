// The desktop app's "Export pcapng…" (Electron mocked by test/support/electron-mock.ts: no runtime here): the
// save dialog offers a pcapng file for a pcapng ticket, and main writes the ticket's binary blocks unchanged.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importFile } from '../capture/support/import-helper.js';
import { frame, recordConversation } from '../replay/support.js';
import { electron } from '../support/electron-mock.js';

vi.mock('electron', async () => (await import('../support/electron-mock.js')).electronModule());

describe('Electron host: pcapng export', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-electron-pcapng-'));
    process.env.STOMPSCOPE_DB = path.join(dir, 'test.db');
  });
  afterEach(() => {
    delete process.env.STOMPSCOPE_DB;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers a .pcapng file and writes the capture, masked, which imports back', async () => {
    const { session } = await recordConversation(process.env.STOMPSCOPE_DB!, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/'], ['passcode', 'desk-secret']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/d']], 'from the desktop') },
    ]);
    const { createApp } = await import('../../src-main/electron/host.js');
    const { IPC_CHANNEL, IPC_EXPORT } = await import('../../src-main/electron/security.js');
    await createApp();
    const own = { sender: electron.windows[0].webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } };
    // Main answers the window with replies of plain data ({ok, result} or {ok: false, error}).
    const exported = (await electron.handlers.get(IPC_CHANNEL)!(own, 'session.export', { session, filter: '', format: 'pcapng' })) as { result: { ticket: string; filename: string } };
    const { ticket, filename } = exported.result;
    electron.saveTarget.path = path.join(dir, 'saved.pcapng');
    expect(await electron.handlers.get(IPC_EXPORT)!(own, ticket, filename)).toEqual({ ok: true, result: true });
    expect(electron.module.dialog.showSaveDialog).toHaveBeenCalledWith(expect.objectContaining({
      defaultPath: `stompscope-session-${session}.pcapng`, filters: [{ name: 'pcapng capture', extensions: ['pcapng'] }],
    }));
    const bytes = fs.readFileSync(electron.saveTarget.path);
    expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(bytes.includes(Buffer.from('desk-secret'))).toBe(false);
    const back = await importFile(dir, electron.saveTarget.path);
    expect(back.frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'SEND']);
    expect(back.frames[2].body).toBe('from the desktop');
  });
});
