// "Copy as code" in the frame detail: the menu offers the frame (client frames only) and its connection, in
// stomp.py and stompjs; choosing one asks the core (export.code) with the detail's "show credentials" state
// and puts the answer on the clipboard; a failure is shown, not thrown.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiClient, type ExportCodeArgsDto, type FrameDetailDto } from '../../shared/api/index.js';
import CopyAsCode from '../../src-renderer/src/components/CopyAsCode.svelte';
import FrameDetail from '../../src-renderer/src/components/FrameDetail.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { CopyCodeState } from '../../src-renderer/src/lib/copy-code.svelte.js';
import { fakeApi, row, settle } from './fake-api.js';

const code = (a: ExportCodeArgsDto) => ({
  text: `# ${a.language} for ${a.frame !== undefined ? `frame ${a.frame}` : `connection ${a.connection}`}${a.revealSecrets ? ' revealed' : ''}\n`,
  filename: 'x', connection: 7, connectionNumber: 2, frameNumber: a.frame !== undefined ? 5 : null, frames: 4,
});

function mount(from: 'client' | 'broker', revealSecrets = false, fail = false) {
  const fake = fakeApi({
    'export.code': (a) => {
      if (fail) throw new Error('no frame 12');
      return code(a);
    },
  });
  const clipboard: string[] = [];
  const state = new CopyCodeState(fake.api, async (t) => {
    clipboard.push(t);
  });
  render(CopyAsCode, { state, frame: 12, connection: 7, connectionNumber: 2, from, revealSecrets });
  return { fake, clipboard, state };
}

describe('CopyAsCode', () => {
  it('offers the frame and the connection for a client frame; copies stomp.py of the frame to the clipboard', async () => {
    const { fake, clipboard } = mount('client');
    expect(screen.queryByTestId('copy-code-menu')).toBeNull();
    await fireEvent.click(screen.getByTestId('copy-code'));
    const items = [...screen.getByTestId('copy-code-menu').querySelectorAll('[role=menuitem]')].map((b) => b.textContent);
    // The connection by its number within the session (#2); the call names it by its id (7).
    expect(items).toEqual(['This frame as stomp.py', 'This frame as stompjs', 'Connection #2 as stomp.py', 'Connection #2 as stompjs']);
    await fireEvent.click(screen.getByTestId('copy-frame-stomppy'));
    await settle();
    expect(fake.calls).toEqual([{ cmd: 'export.code', args: { frame: 12, language: 'stomp.py', revealSecrets: false } }]);
    expect(clipboard).toEqual(['# stomp.py for frame 12\n']);
    expect(screen.getByTestId('copy-code-done').textContent).toBe('Copied frame 5 as stomp.py (Python); credentials are constants to fill in at the top.');
    expect(screen.queryByTestId('copy-code-menu')).toBeNull();
  });

  it('for a broker frame offers only the connection, and copies it as stompjs with credentials when the detail shows them', async () => {
    const { fake, clipboard } = mount('broker', true);
    await fireEvent.click(screen.getByTestId('copy-code'));
    expect(screen.queryByTestId('copy-frame-stomppy')).toBeNull();
    expect(screen.queryByTestId('copy-frame-stompjs')).toBeNull();
    await fireEvent.click(screen.getByTestId('copy-connection-stompjs'));
    await settle();
    expect(fake.calls).toEqual([{ cmd: 'export.code', args: { connection: 7, language: 'stompjs', revealSecrets: true } }]);
    expect(clipboard).toEqual(['# stompjs for connection 7 revealed\n']);
    expect(screen.getByTestId('copy-code-done').textContent).toBe('Copied connection #2 (4 client frames after CONNECT) as @stomp/stompjs.');
  });

  it('closes the menu on Escape', async () => {
    mount('client');
    await fireEvent.click(screen.getByTestId('copy-code'));
    expect(screen.getByTestId('copy-code-menu')).toBeTruthy();
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('copy-code-menu')).toBeNull();
  });

  it('shows why it failed, and copies nothing', async () => {
    const { clipboard } = mount('client', false, true);
    await fireEvent.click(screen.getByTestId('copy-code'));
    await fireEvent.click(screen.getByTestId('copy-connection-stomppy'));
    await settle();
    expect(clipboard).toEqual([]);
    expect(screen.getByTestId('copy-code-error').textContent).toBe('Copy as code failed: no frame 12');
    expect(screen.queryByTestId('copy-code-done')).toBeNull();
  });

  it('is in the frame detail, next to Replay connection…, wired to the app state', async () => {
    const detail: FrameDetailDto = {
      row: { ...row(0), id: 5, connection: 3 }, session: 1, version: '1.2', offset: 0, crlf: false, headers: [], bodyLength: 0, bodyBase64: '',
      bodyTruncated: false, rawBase64: '', rawTruncated: false, issues: [], sincePreviousMs: null,
    };
    const fake = fakeApi({ 'frame.detail': () => detail, 'export.code': (a) => code(a) });
    const app = new AppState(fake.api);
    // The window's clipboard, as the browser or Electron gives it.
    const written: string[] = [];
    Object.defineProperty(globalThis.navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void written.push(t) } });
    render(FrameDetail, { app });
    await app.detail.load(5);
    await settle();
    const button = screen.getByTestId('copy-code');
    expect(button.parentElement?.previousElementSibling?.getAttribute('data-testid')).toBe('replay-connection');
    await fireEvent.click(button);
    await fireEvent.click(screen.getByTestId('copy-connection-stomppy'));
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'export.code')).toEqual([{ cmd: 'export.code', args: { connection: 3, language: 'stomp.py', revealSecrets: false } }]);
    expect(written).toEqual(['# stomp.py for connection 3\n']);
    Reflect.deleteProperty(globalThis.navigator, 'clipboard');
  });
});

describe('Export pcapng…', () => {
  it('asks for a pcapng ticket of the whole open session (no filter) and hands it to the host to save', async () => {
    const calls: Array<{ cmd: string; args: unknown }> = [];
    const saved: Array<[string, string]> = [];
    const api = new ApiClient({
      invoke: async (cmd, args) => {
        calls.push({ cmd, args });
        if (cmd === 'session.export') return { ticket: 't-1', filename: 'stompscope-session-4.pcapng' } as never;
        if (cmd === 'frames.query') return { query: 1, total: 0 } as never;
        return [] as never;
      },
      saveExport: async (ticket, filename) => void saved.push([ticket, filename]),
    });
    const app = new AppState(api);
    await app.frames.open(4, 'command == "SEND"');
    await app.exportFrames('pcapng');
    expect(calls.filter((c) => c.cmd === 'session.export')).toEqual([{ cmd: 'session.export', args: { session: 4, filter: '', format: 'pcapng' } }]);
    expect(saved).toEqual([['t-1', 'stompscope-session-4.pcapng']]);
    expect(app.exportError).toBeNull();
  });
});
