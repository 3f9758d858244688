// The Electron host's security settings in one place, so that tests can assert them: the page gets no Node and
// reaches main only through the preload's few functions and these channels.
import type { BrowserWindowConstructorOptions } from 'electron';

/** Strict CSP for the renderer: only our own bundled code; no inline scripts, no remote anything. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    title: 'StompScope',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** The single IPC channel the preload bridge uses. */
export const IPC_CHANNEL = 'stompscope:invoke';

/** The single channel main uses to push the core's events (frames.appended…) and menu actions to the window. */
export const IPC_EVENT = 'stompscope:event';

/** Main's save dialog for an export ticket (`session.export`). */
export const IPC_EXPORT = 'stompscope:export';

/** Registers a file the user dropped or picked (its path comes from Electron, not from the page) for import. */
export const IPC_FILE = 'stompscope:file';
