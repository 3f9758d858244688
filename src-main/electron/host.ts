// The Electron host: a window, a menu, and the IPC end of the API contract. Everything else is the core,
// which is the same under every host. Keep this file thin. The entry point is main.ts.
import { app, BrowserWindow, ipcMain, Menu, session, type IpcMainInvokeEvent } from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, isCommandName } from '../../shared/api.js';
import { Core } from '../core/api.js';
import { defaultDbPath } from '../core/store/db.js';
import { CONTENT_SECURITY_POLICY, IPC_CHANNEL, windowOptions } from './security.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * better-sqlite3 built for Electron's ABI lives apart from the Node build the CLI and tests use
 * (`npm run build:electron-sqlite` makes it); without it, the Node build is tried.
 */
export function electronSqliteBinding(appRoot: string): string | undefined {
  const p = path.join(appRoot, 'native', 'electron', 'better_sqlite3.node');
  return fs.existsSync(p) ? p : undefined;
}

/** Only our own window's top frame may call the core. */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  if (!win || event.sender !== win.webContents) return false;
  const url = event.senderFrame?.url ?? '';
  return url.startsWith('file://') || (!!process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL));
}

export async function createApp(): Promise<void> {
  let win: BrowserWindow | null = null;
  const core = Core.open(process.env.STOMPSCOPE_DB ?? defaultDbPath(), { nativeBinding: electronSqliteBinding(app.getAppPath()) });

  ipcMain.handle(IPC_CHANNEL, (event, command: unknown, args: unknown) => {
    if (!isTrustedSender(event, win)) throw new Error('refused: not the StompScope window');
    if (!isCommandName(command)) throw new ApiError('bad-request', `unknown command ${String(command)}`);
    return core.invoke(command, args);
  });

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  win = new BrowserWindow(windowOptions(path.join(here, '../preload/preload.cjs')));
  // No navigation away from the app and no new windows: links to the outside world are not ours to open.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.once('ready-to-show', () => win?.show());
  Menu.setApplicationMenu(Menu.buildFromTemplate([{ role: 'fileMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }]));

  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else await win.loadFile(path.join(here, '../renderer/index.html'));

  app.on('window-all-closed', () => {
    core.close();
    app.quit();
  });
}

