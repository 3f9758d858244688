// The Electron host: a window, a menu, and the IPC end of the API contract. Everything else is the core,
// which is the same under every host. Keep this file thin. The entry point is main.ts.
import { app, BrowserWindow, dialog, ipcMain, Menu, session, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, isCommandName, replyOf } from '../../shared/api/index.js';
import { Core } from '../core/api.js';
import { defaultDbPath, SQLITE_BINDING_ENV } from '../core/store/db.js';
import { CONTENT_SECURITY_POLICY, IPC_CHANNEL, IPC_EVENT, IPC_EXPORT, IPC_FILE, windowOptions } from './security.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * better-sqlite3 built for Electron's ABI lives apart from the Node build the CLI and tests use
 * (`npm run build:electron-sqlite` makes it); without it, the Node build is tried.
 */
export function electronSqliteBinding(appRoot: string): string | undefined {
  const p = path.join(appRoot, 'native', 'electron', 'better_sqlite3.node');
  return fs.existsSync(p) ? p : undefined;
}

/** Throws unless the IPC message comes from our own window's top frame. */
function refuseStrangers(event: IpcMainInvokeEvent, win: BrowserWindow | null): void {
  if (!isTrustedSender(event, win)) throw new Error('refused: not the StompScope window');
}

/** Only our own window's top frame may call the core. */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  if (!win || event.sender !== win.webContents) return false;
  const url = event.senderFrame?.url ?? '';
  return url.startsWith('file://') || (!!process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL));
}

async function writeLines(file: string, lines: AsyncIterable<string | Uint8Array>): Promise<void> {
  const out = fs.createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  try {
    for await (const line of lines) if (!out.write(line)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  } catch (e) {
    // A read that failed or ran past the time limit: the file is closed as it is, and the window told why.
    out.destroy();
    throw e;
  }
  await Promise.race([new Promise<void>((r) => out.end(() => r())), failed]);
}

/**
 * The native menu. Open capture… is main's own dialog; Start proxy… and Export… ask the window (which knows the
 * open session and filter) to act.
 */
export function menuTemplate(actions: { openCapture: () => void; startProxy: () => void; exportFrames: () => void }): MenuItemConstructorOptions[] {
  return [
    {
      label: 'File',
      submenu: [
        { label: 'Open capture…', accelerator: 'CmdOrCtrl+O', click: actions.openCapture },
        { label: 'Start proxy…', accelerator: 'CmdOrCtrl+P', click: actions.startProxy },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: actions.exportFrames },
        { type: 'separator' },
        { label: 'Quit', role: 'quit' },
      ],
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
}

export async function createApp(): Promise<void> {
  let win: BrowserWindow | null = null;
  // Every database this process opens (the core's, the recorder workers', import jobs') loads the same addon.
  const binding = electronSqliteBinding(app.getAppPath());
  if (binding) process.env[SQLITE_BINDING_ENV] = binding;
  const core = Core.open(process.env.STOMPSCOPE_DB ?? defaultDbPath());

  // Every handler answers our window with a reply of plain data, {ok, result} or {ok: false, error: {code, message,
  // detail}}, as the web host does: IPC copies what crosses it by structured clone, so a thrown ApiError would reach
  // the page as a bare Error with its message only (no code, no detail such as where a display filter is wrong).
  // A stranger gets no reply of the contract at all: the refusal is thrown.
  ipcMain.handle(IPC_CHANNEL, (event, command: unknown, args: unknown) => {
    refuseStrangers(event, win);
    return replyOf(() => {
      if (!isCommandName(command)) throw new ApiError('bad-request', `unknown command ${String(command)}`);
      // The window is the caller: its newer frames.query replaces its older one still running.
      return core.invoke(command, args, event.sender);
    });
  });

  // A dropped or picked file: Electron gave the preload its path. It must be a regular file; it is only read.
  ipcMain.handle(IPC_FILE, (event, file: unknown) => {
    refuseStrangers(event, win);
    return replyOf(() => {
      if (typeof file !== 'string' || !path.isAbsolute(file)) throw new ApiError('bad-request', 'not a file on this machine');
      if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw new ApiError('bad-request', `${path.basename(file)} is not a regular file`);
      return core.registerUpload(file, path.basename(file), false);
    });
  });

  ipcMain.handle(IPC_EXPORT, (event, ticket: unknown, filename: unknown) => {
    refuseStrangers(event, win);
    return replyOf(async () => {
      if (typeof ticket !== 'string') throw new ApiError('bad-request', 'no export ticket');
      const name = path.basename(String(filename ?? 'frames.jsonl'));
      const filters = name.endsWith('.pcapng') ? [{ name: 'pcapng capture', extensions: ['pcapng'] }]
        : name.endsWith('.csv') ? [{ name: 'CSV', extensions: ['csv'] }]
          : name.endsWith('.svg') ? [{ name: 'SVG image', extensions: ['svg'] }] : [{ name: 'JSON lines', extensions: ['jsonl'] }];
      const r = await dialog.showSaveDialog({ title: 'Export frames', defaultPath: name, filters });
      if (r.canceled || !r.filePath) return false;
      const lines = core.takeExport(ticket);
      if (!lines) throw new ApiError('not-found', 'the export expired; export again');
      await writeLines(r.filePath, lines);
      return true;
    });
  });

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  win = new BrowserWindow(windowOptions(path.join(here, '../preload/preload.cjs')));
  // No navigation away from the app and no new windows: links to the outside world are not ours to open.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.once('ready-to-show', () => win?.show());
  // The core's events (frames.appended while a proxy records…) go to our window only.
  const unsubscribe = core.onEvent((event, data) => {
    if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, event, data);
  });
  const toWindow = (action: 'start-proxy' | 'export') => {
    if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, 'ui.action', { action });
  };
  // Files come from the native dialog, so their paths are the user's choice, never the page's.
  const openCapture = async () => {
    const r = await dialog.showOpenDialog({
      title: 'Open capture', properties: ['openFile', 'multiSelections'],
      filters: [{ name: 'Captures (pcap, pcapng)', extensions: ['pcap', 'pcapng', 'cap'] }, { name: 'All files', extensions: ['*'] }],
    });
    for (const file of r.canceled ? [] : r.filePaths) await core.invoke('import.start', { upload: core.registerUpload(file, path.basename(file), false) });
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({
    openCapture: () => void openCapture(),
    startProxy: () => toWindow('start-proxy'),
    exportFrames: () => toWindow('export'),
  })));

  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else await win.loadFile(path.join(here, '../renderer/index.html'));

  app.on('window-all-closed', () => {
    unsubscribe();
    // Proxies started from the UI are stopped and their sessions completed before the app goes.
    void core.close().finally(() => app.quit());
  });
}

