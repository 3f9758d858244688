// The preload bridge: a function to call the core and one to hear its events; nothing else of Node or Electron
// reaches the page (no ipcRenderer, no event objects). Built as CommonJS, because a sandboxed preload cannot load
// an ES module. Replies pass through as the plain data main sent ({ok, result} or {ok: false, error}): the page's
// transport turns an error back into an ApiError, exactly as the web transport does.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { IPC_CHANNEL, IPC_EVENT, IPC_EXPORT, IPC_FILE } from './security.js';

const bridge = {
  invoke: (command: string, args: unknown): Promise<unknown> => ipcRenderer.invoke(IPC_CHANNEL, command, args),
  onEvent: (listener: (event: string, data: unknown) => void): void => {
    ipcRenderer.on(IPC_EVENT, (_e, event: string, data: unknown) => listener(event, data));
  },
  /** A file the user dropped or picked: only such File objects have a path; one the page made has none. */
  registerFile: (file: File): Promise<unknown> => ipcRenderer.invoke(IPC_FILE, webUtils.getPathForFile(file)),
  saveExport: (ticket: string, filename: string): Promise<unknown> => ipcRenderer.invoke(IPC_EXPORT, ticket, filename),
};

contextBridge.exposeInMainWorld('stompscope', bridge);
