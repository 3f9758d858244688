// The desktop app's path to the core as tests drive it, with `electron` mocked (see electron-mock.ts; the test
// file must vi.mock('electron') as that file says): main's real IPC handlers (host.ts) over a Core on the database
// STOMPSCOPE_DB names, the real preload bridge, IPC as Electron does it (structured clone both ways, a thrown error
// reduced to its message), and the page's real client (createClient in transport.ts) on top.
import type { ApiClient } from '../../shared/api/index.js';
import { electron, wireIpc } from './electron-mock.js';

/** What main sees as the sender of our own window's messages (after createApp). */
export function ownWindow(): unknown {
  return { sender: electron.windows[electron.windows.length - 1].webContents, senderFrame: { url: 'file:///app/out/renderer/index.html' } };
}

export interface ElectronFixture {
  api: ApiClient;
  /** Closes the app's window: the core stops (proxies, imports, replays, read workers) as in the app. */
  close(): Promise<void>;
}

/** Starts the Electron host on `db` and returns the page's client, connected to it through the preload bridge. */
export async function startElectronFixture(db: string): Promise<ElectronFixture> {
  process.env.STOMPSCOPE_DB = db;
  const appOn = electron.module.app.on;
  const before = appOn.mock.calls.length;
  const { createApp } = await import('../../src-main/electron/host.js');
  await createApp();
  delete process.env.STOMPSCOPE_DB;
  wireIpc(ownWindow());
  await import('../../src-main/electron/preload.js');
  const { createClient } = await import('../../src-renderer/src/lib/channel.js');
  const g = globalThis as { stompscope?: unknown };
  g.stompscope = electron.exposed.stompscope;
  let api: ApiClient;
  try {
    api = createClient();
  } finally {
    delete g.stompscope;
  }
  const closed = appOn.mock.calls.slice(before).find((c) => c[0] === 'window-all-closed')?.[1] as (() => void) | undefined;
  return {
    api,
    close: async () => {
      const quit = electron.module.app.quit;
      const quits = quit.mock.calls.length;
      closed?.();
      // The host quits once its core has closed.
      for (let i = 0; i < 500 && quit.mock.calls.length === quits; i++) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
