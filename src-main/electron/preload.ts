// The preload bridge: one function, nothing else of Node or Electron reaches the page. Built as CommonJS,
// because a sandboxed preload cannot load an ES module (TOOLCHAIN.md).
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNEL } from './security.js';

const bridge = {
  invoke: (command: string, args: unknown): Promise<unknown> => ipcRenderer.invoke(IPC_CHANNEL, command, args),
};

contextBridge.exposeInMainWorld('stompscope', bridge);
