// The Electron host with `electron` mocked: no runtime can be downloaded on these machines, but the window
// options, CSP, sender check and bridge surface are ours to get right.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { electron } from '../support/electron-mock.js';

vi.mock('electron', async () => (await import('../support/electron-mock.js')).electronModule());

describe('Electron host', () => {
  let dbDir: string;
  beforeEach(() => {
    dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-electron-'));
    process.env.STOMPSCOPE_DB = path.join(dbDir, 'test.db');
    electron.handlers.clear();
    electron.windows.length = 0;
  });
  afterEach(() => {
    delete process.env.STOMPSCOPE_DB;
    fs.rmSync(dbDir, { recursive: true, force: true });
  });

  it('opens one isolated, sandboxed window without Node, with a CommonJS preload', async () => {
    const { createApp } = await import('../../src-main/electron/host.js');
    await createApp();
    expect(electron.windows).toHaveLength(1);
    const prefs = electron.windows[0].options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
  });

  it('sets a strict Content-Security-Policy on every response', async () => {
    const { createApp } = await import('../../src-main/electron/host.js');
    await createApp();
    let out: { responseHeaders: Record<string, string[]> } | null = null;
    electron.headersHook!({ responseHeaders: {} }, (r) => (out = r as never));
    const csp = out!.responseHeaders['Content-Security-Policy'][0];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("object-src 'none'");
  });

  it('blocks navigation and new windows', async () => {
    const { createApp } = await import('../../src-main/electron/host.js');
    await createApp();
    const wc = electron.windows[0].webContents as { listeners: Record<string, (e: unknown) => void>; openHandler: () => unknown };
    const ev = { preventDefault: vi.fn() };
    wc.listeners['will-navigate'](ev);
    expect(ev.preventDefault).toHaveBeenCalled();
    expect(wc.openHandler()).toEqual({ action: 'deny' });
  });

  it('answers only its own window, and validates every command', async () => {
    const { createApp } = await import('../../src-main/electron/host.js');
    const { IPC_CHANNEL } = await import('../../src-main/electron/security.js');
    await createApp();
    const handler = electron.handlers.get(IPC_CHANNEL)!;
    const own = { sender: electron.windows[0].webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } };
    expect(await handler(own, 'sessions.list', {})).toEqual({ ok: true, result: [] });
    const stranger = { sender: {}, senderFrame: { url: 'file:///x' } };
    expect(() => handler(stranger, 'sessions.list', {})).toThrow(/refused/);
    const remoteFrame = { sender: electron.windows[0].webContents, senderFrame: { url: 'https://evil.example/' } };
    expect(() => handler(remoteFrame, 'sessions.list', {})).toThrow(/refused/);
    // Our window gets failures as data (structured clone would keep only an Error's message).
    expect(await handler(own, 'fs.readFile', {})).toEqual({ ok: false, error: { code: 'bad-request', message: 'unknown command fs.readFile' } });
    expect(await handler(own, 'frames.page', { session: 1, after: 0, limit: 'all' }))
      .toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/limit/) } });
  });

  it('exposes exactly four functions to the page; onEvent passes no IPC event object', async () => {
    await import('../../src-main/electron/preload.js');
    const api = electron.exposed.stompscope as Record<string, unknown>;
    expect(Object.keys(api)).toEqual(['invoke', 'onEvent', 'registerFile', 'saveExport']);
    await (api.invoke as (c: string, a: unknown) => Promise<unknown>)('sessions.list', {});
    expect(electron.ipcRendererInvoke).toHaveBeenCalledWith('stompscope:invoke', 'sessions.list', {});
    const heard: unknown[][] = [];
    (api.onEvent as (fn: (e: string, d: unknown) => void) => void)((e, d) => heard.push([e, d]));
    const [channel, relay] = electron.ipcRendererOn.mock.calls[0] as [string, (...a: unknown[]) => void];
    expect(channel).toBe('stompscope:event');
    relay({ sender: 'ipc internals' }, 'frames.appended', { session: 1 });
    expect(heard).toEqual([['frames.appended', { session: 1 }]]);
  });

  it('has a menu with Open capture…, Start proxy… and Quit; menu actions and core events go to its own window', async () => {
    const { createApp } = await import('../../src-main/electron/host.js');
    await createApp();
    const menu = electron.menus[electron.menus.length - 1] as Array<{ label?: string; submenu?: Array<{ label?: string; role?: string; click?: () => void }> }>;
    const file = menu.find((m) => m.label === 'File')!;
    expect(file.submenu!.map((i) => i.label).filter(Boolean)).toEqual(['Open capture…', 'Start proxy…', 'Export…', 'Quit']);
    file.submenu!.find((i) => i.label === 'Export…')!.click!();
    expect(file.submenu!.find((i) => i.label === 'Quit')!.role).toBe('quit');
    file.submenu!.find((i) => i.label === 'Start proxy…')!.click!();
    const wc = electron.windows[0].webContents as { sent: unknown[][] };
    expect(wc.sent).toContainEqual(['stompscope:event', 'ui.action', { action: 'start-proxy' }]);
    expect(wc.sent).toContainEqual(['stompscope:event', 'ui.action', { action: 'export' }]);
    // Open capture…: the file chosen in the native dialog is imported; its outcome reaches the window as events.
    file.submenu!.find((i) => i.label === 'Open capture…')!.click!();
    await vi.waitFor(() => expect(wc.sent.some((m) => m[1] === 'import.done')).toBe(true), { timeout: 5000 });
    const done = wc.sent.find((m) => m[1] === 'import.done')!;
    expect(done[2]).toMatchObject({ name: 'capture.pcap', session: null, error: expect.stringContaining('cannot open') });
  });

  it('registers only real files from its own window, and saves exports where the save dialog says', async () => {
    const { openDb } = await import('../../src-main/core/store/db.js');
    const { conversation, seedSession } = await import('../support/seed.js');
    const seeded = openDb(process.env.STOMPSCOPE_DB!);
    seedSession(seeded, { name: 'to export', connections: 1, frames: conversation(3) });
    seeded.close();
    const { createApp } = await import('../../src-main/electron/host.js');
    const { IPC_CHANNEL, IPC_FILE, IPC_EXPORT } = await import('../../src-main/electron/security.js');
    await createApp();
    const own = { sender: electron.windows[0].webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } };
    const stranger = { sender: {}, senderFrame: { url: 'file:///x' } };
    const file = electron.handlers.get(IPC_FILE)!;
    const capture = path.join(dbDir, 'dropped.pcap');
    fs.writeFileSync(capture, 'not really a pcap');
    expect(() => file(stranger, capture)).toThrow(/refused/);
    const refusal = (message: RegExp) => ({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(message) } });
    expect(await file(own, '')).toEqual(refusal(/not a file/));
    expect(await file(own, 'relative.pcap')).toEqual(refusal(/not a file/));
    expect(await file(own, dbDir)).toEqual(refusal(/not a regular file/));
    const { result: upload } = (await file(own, capture)) as { result: string };
    expect(upload).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const invoke = electron.handlers.get(IPC_CHANNEL)!;
    expect(await invoke(own, 'import.start', { upload })).toEqual({ ok: true, result: { job: expect.any(Number) } });

    const { ticket } = ((await invoke(own, 'session.export', { session: 1, filter: '' })) as { result: { ticket: string } }).result;
    const save = electron.handlers.get(IPC_EXPORT)!;
    await expect(Promise.resolve().then(() => save(stranger, ticket, 'x.jsonl'))).rejects.toThrow(/refused/);
    electron.saveTarget.path = path.join(dbDir, 'out.jsonl');
    expect(await save(own, ticket, '../../x.jsonl')).toEqual({ ok: true, result: true });
    const exported = fs.readFileSync(electron.saveTarget.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(exported.map((f) => f.command).slice(0, 3)).toEqual(['CONNECT', 'CONNECTED', 'SUBSCRIBE']);
    expect(await save(own, ticket, 'x.jsonl')).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringMatching(/expired/) } });
  });

  it('starts and lists proxies through IPC like any command', async () => {
    const { createApp } = await import('../../src-main/electron/host.js');
    const { IPC_CHANNEL } = await import('../../src-main/electron/security.js');
    await createApp();
    const handler = electron.handlers.get(IPC_CHANNEL)!;
    const own = { sender: electron.windows[0].webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } };
    expect(await handler(own, 'proxy.list', {})).toEqual({ ok: true, result: [] });
    expect(await handler(own, 'proxy.start', { listen: '0.0.0.0:0', upstream: '127.0.0.1:1' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/loopback/) } });
  });
});
