// The Electron host's IPC keyhole, command by command (electron mocked: no runtime here). test/electron/host.test.ts
// asserts the window options, CSP, navigation and the bridge; this file asserts that every command of the contract
// is refused to a stranger and validated for our own window, so that no command can reach the core unchecked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES } from '../../shared/api/index.js';
import { electron } from '../support/electron-mock.js';

vi.mock('electron', async () => (await import('../support/electron-mock.js')).electronModule());

describe('Electron host: every command through the keyhole', () => {
  let dir = '';
  let own: unknown;
  const strangers: unknown[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-electron-'));
    process.env.STOMPSCOPE_DB = path.join(dir, 'e.db');
    const { createApp } = await import('../../src-main/electron/host.js');
    await createApp();
    const wc = electron.windows[0].webContents;
    own = { sender: wc, senderFrame: { url: 'file:///app/out/renderer/index.html' } };
    strangers.push(
      { sender: {}, senderFrame: { url: 'file:///app/out/renderer/index.html' } }, // another window
      { sender: wc, senderFrame: { url: 'https://evil.example/' } }, // a remote frame in our window
      { sender: wc, senderFrame: { url: 'data:text/html,<script>' } },
      { sender: wc, senderFrame: null },
    );
  });
  afterAll(() => {
    delete process.env.STOMPSCOPE_DB;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every command, and the file and export channels, to anyone but our own window', async () => {
    const { IPC_CHANNEL, IPC_FILE, IPC_EXPORT } = await import('../../src-main/electron/security.js');
    const invoke = electron.handlers.get(IPC_CHANNEL)!;
    for (const who of strangers) {
      for (const cmd of COMMAND_NAMES) expect(() => invoke(who, cmd, {}), cmd).toThrow(/refused/);
      expect(() => electron.handlers.get(IPC_FILE)!(who, '/etc/passwd')).toThrow(/refused/);
      await expect(Promise.resolve().then(() => electron.handlers.get(IPC_EXPORT)!(who, 't', 'x.jsonl'))).rejects.toThrow(/refused/);
    }
    // No other channel is handled.
    expect([...electron.handlers.keys()].sort()).toEqual([IPC_CHANNEL, IPC_EXPORT, IPC_FILE].sort());
  });

  it('validates the arguments of every command from our own window before the core runs it', async () => {
    const { IPC_CHANNEL } = await import('../../src-main/electron/security.js');
    const invoke = electron.handlers.get(IPC_CHANNEL)!;
    for (const cmd of COMMAND_NAMES) {
      for (const junk of ['args', 42, [1, 2], true]) {
        expect(await invoke(own, cmd, junk), `${cmd} ${JSON.stringify(junk)}`).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      }
    }
    // Unknown commands and prototype names never reach a handler.
    for (const name of ['fs.readFile', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '', null, 7]) {
      expect(await invoke(own, name, {}), String(name)).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/unknown command/) } });
    }
  });

  it('takes only absolute paths of regular files from the file channel', async () => {
    const { IPC_FILE } = await import('../../src-main/electron/security.js');
    const file = electron.handlers.get(IPC_FILE)!;
    for (const bad of [null, 42, { path: '/etc/passwd' }, 'relative/../../etc/passwd', '', dir, '/dev/null', path.join(dir, 'missing.pcap')]) {
      expect(await file(own, bad), String(bad)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    }
  });

  it('blocks navigation to anywhere and new windows of any kind', () => {
    const wc = electron.windows[0].webContents as { listeners: Record<string, (e: unknown, url?: string) => void>; openHandler: (d: unknown) => unknown };
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'file:///app/out/renderer/index.html', 'javascript:alert(1)']) {
      const ev = { preventDefault: vi.fn() };
      wc.listeners['will-navigate'](ev, url);
      expect(ev.preventDefault, url).toHaveBeenCalled();
      expect(wc.openHandler({ url, frameName: '', features: '', disposition: 'new-window' })).toEqual({ action: 'deny' });
    }
  });

  it('forces its CSP over whatever a response says', () => {
    let out: { responseHeaders: Record<string, string[]> } | null = null;
    electron.headersHook!({ responseHeaders: { 'Content-Security-Policy': ["default-src *; script-src 'unsafe-eval' *"] } }, (r) => (out = r as never));
    const csp = out!.responseHeaders['Content-Security-Policy'];
    expect(csp).toHaveLength(1);
    expect(csp[0]).toContain("script-src 'self'");
    expect(csp[0]).not.toMatch(/unsafe-eval|\*/);
  });
});
