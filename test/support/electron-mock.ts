// A stand-in for the `electron` module: no Electron runtime can be downloaded on these machines, but what the
// host does with it (window options, CSP hook, IPC handlers, the bridge, menus, dialogs) is ours to get right.
// It records what the host registers and lets tests drive it. A test file mocks `electron` with it by
//
//   import { electron } from '../support/electron-mock.js';
//   vi.mock('electron', async () => (await import('../support/electron-mock.js')).electronModule());
//
// (the factory's import and the test's own resolve to this one module instance, so `electron` is what the host
// was given). Must not import `electron` itself.
import { vi } from 'vitest';

type Handler = (...a: unknown[]) => unknown;
type HeadersHook = (d: unknown, cb: (r: unknown) => void) => void;

export interface MockWindow {
  options: Record<string, unknown>;
  webContents: Record<string, unknown>;
  /** What loadFile/loadURL was given last. */
  loaded: string | null;
}

function createElectronMock() {
  const handlers = new Map<string, Handler>();
  const windows: MockWindow[] = [];
  let headersHook: HeadersHook | null = null;
  const exposed: Record<string, unknown> = {};
  const ipcRendererInvoke = vi.fn(async (...a: unknown[]): Promise<unknown> => a);
  const ipcRendererOn = vi.fn();
  const menus: unknown[] = [];
  /** Where the save dialog "chooses" to save. */
  const saveTarget = { path: '' };
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
        sent: [] as unknown[][],
        send(...a: unknown[]) { (this.sent as unknown[][]).push(a); },
      };
      windows.push(this);
    }
    once() {}
    show() {}
    isDestroyed() { return false; }
    async loadFile(f: string) { this.loaded = f; }
    async loadURL(u: string) { this.loaded = u; }
  }
  return {
    handlers, windows, exposed, ipcRendererInvoke, ipcRendererOn, menus, saveTarget,
    get headersHook() { return headersHook; },
    module: {
      app: { getAppPath: () => '/nonexistent', on: vi.fn(), quit: vi.fn(), whenReady: () => new Promise(() => {}), exit: vi.fn() },
      BrowserWindow,
      ipcMain: { handle: (ch: string, fn: Handler) => handlers.set(ch, fn) },
      dialog: {
        showOpenDialog: vi.fn(async (_o?: unknown) => ({ canceled: false, filePaths: ['/nonexistent/capture.pcap'] })),
        showSaveDialog: vi.fn(async (_o?: unknown) => ({ canceled: false, filePath: saveTarget.path })),
      },
      Menu: { setApplicationMenu: (m: unknown) => menus.push(m), buildFromTemplate: (t: unknown) => t },
      session: { defaultSession: { webRequest: { onHeadersReceived: (fn: HeadersHook) => (headersHook = fn) } } },
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => (exposed[name] = api) },
      ipcRenderer: { invoke: ipcRendererInvoke, on: ipcRendererOn },
      webUtils: { getPathForFile: (f: { path?: string }) => f.path ?? '' },
    },
  };
}

/**
 * Connects the preload's ipcRenderer.invoke to main's ipcMain.handle as Electron does: the arguments and the reply
 * cross by structured clone (no class survives, only plain data), and an error thrown in main reaches the renderer
 * as a new Error holding only its message, prefixed as Electron prefixes it. `event` is what main sees as the
 * sender (our window's, or a stranger's).
 */
export function wireIpc(event: unknown): void {
  electron.ipcRendererInvoke.mockImplementation(async (...a: unknown[]) => {
    const [channel, ...args] = a as [string, ...unknown[]];
    const handler = electron.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    try {
      return structuredClone(await handler(event, ...structuredClone(args)));
    } catch (e) {
      throw new Error(`Error invoking remote method '${channel}': ${String(e)}`);
    }
  });
}

/** The one mock of this test file's module graph. */
export const electron = createElectronMock();

/** For vi.mock's factory: the module, as named exports and as the default export. */
export const electronModule = () => ({ ...electron.module, default: electron.module });
