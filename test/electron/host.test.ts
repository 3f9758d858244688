// The Electron host with `electron` mocked: no runtime can be downloaded on these machines, but the window
// options, CSP, sender check and bridge surface are ours to get right.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (...a: unknown[]) => unknown>();
  const windows: Array<{ options: Record<string, unknown>; webContents: Record<string, unknown>; loaded: string | null }> = [];
  let headersHook: ((d: unknown, cb: (r: unknown) => void) => void) | null = null;
  const exposed: Record<string, unknown> = {};
  const ipcRendererInvoke = vi.fn(async (...a: unknown[]) => a);
  class BrowserWindow {
    webContents: Record<string, unknown>;
    loaded: string | null = null;
    constructor(readonly options: Record<string, unknown>) {
      const listeners: Record<string, (...a: unknown[]) => void> = {};
      this.webContents = {
        on: (ev: string, fn: (...a: unknown[]) => void) => (listeners[ev] = fn),
        listeners,
        openHandler: null as unknown,
        setWindowOpenHandler(fn: unknown) { this.openHandler = fn; },
      };
      windows.push(this as never);
    }
    once() {}
    show() {}
    async loadFile(f: string) { this.loaded = f; }
    async loadURL(u: string) { this.loaded = u; }
  }
  return {
    handlers, windows, exposed, ipcRendererInvoke,
    get headersHook() { return headersHook; },
    module: {
      app: { getAppPath: () => '/nonexistent', on: vi.fn(), quit: vi.fn(), whenReady: () => new Promise(() => {}), exit: vi.fn() },
      BrowserWindow,
      ipcMain: { handle: (ch: string, fn: (...a: unknown[]) => unknown) => handlers.set(ch, fn) },
      Menu: { setApplicationMenu: vi.fn(), buildFromTemplate: (t: unknown) => t },
      session: { defaultSession: { webRequest: { onHeadersReceived: (fn: typeof headersHook) => (headersHook = fn) } } },
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => (exposed[name] = api) },
      ipcRenderer: { invoke: ipcRendererInvoke },
    },
  };
});

vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

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
    expect(await handler(own, 'sessions.list', {})).toEqual([]);
    const stranger = { sender: {}, senderFrame: { url: 'file:///x' } };
    expect(() => handler(stranger, 'sessions.list', {})).toThrow(/refused/);
    const remoteFrame = { sender: electron.windows[0].webContents, senderFrame: { url: 'https://evil.example/' } };
    expect(() => handler(remoteFrame, 'sessions.list', {})).toThrow(/refused/);
    expect(() => handler(own, 'fs.readFile', {})).toThrow(/unknown command/);
    expect(() => handler(own, 'frames.page', { session: 1, after: 0, limit: 'all' })).toThrow(/limit/);
  });

  it('exposes exactly one function to the page', async () => {
    await import('../../src-main/electron/preload.js');
    const api = electron.exposed.stompscope as Record<string, unknown>;
    expect(Object.keys(api)).toEqual(['invoke']);
    await (api.invoke as (c: string, a: unknown) => Promise<unknown>)('sessions.list', {});
    expect(electron.ipcRendererInvoke).toHaveBeenCalledWith('stompscope:invoke', 'sessions.list', {});
  });
});
