// "Edit and resend…", inject mode: when the frame's connection is live in a proxy of this StompScope the
// editor offers to inject the edited frame into it (no target, no CONNECT: it goes inside the client's own
// connection); otherwise the choice is disabled and says why. Injected frames carry a marker in the frame list and
// a line in the frame detail.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiError, type FrameDetailDto, type InjectArgsDto, type ResendDraftDto } from '../../shared/api/index.js';
import FrameDetail from '../../src-renderer/src/components/FrameDetail.svelte';
import FrameList from '../../src-renderer/src/components/FrameList.svelte';
import ResendDialog from '../../src-renderer/src/components/ResendDialog.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { FramesState } from '../../src-renderer/src/lib/frames.svelte.js';
import { SessionsState } from '../../src-renderer/src/lib/sessions.svelte.js';
import { fakeApi, row, settle, type Handlers } from './fake-api.js';

const draft = (inject: ResendDraftDto['inject']): ResendDraftDto => ({
  id: 12, number: 5, connectionNumber: 2, session: 1, connection: 3, broker: '127.0.0.1:61613', version: '1.2',
  frame: { command: 'SEND', headers: [['destination', '/queue/a'], ['receipt', 'r-1']], bodyBase64: btoa('hi') },
  connect: { command: 'CONNECT', headers: [['accept-version', '1.2'], ['host', '/']], bodyBase64: '' },
  inject,
});

async function mountDialog(inject: ResendDraftDto['inject'], onInject?: Handlers['frame.inject']) {
  const fake = fakeApi({
    'frame.resendDraft': () => draft(inject),
    'frame.inject': onInject ?? (() => ({ session: 1, connection: 3, connectionNumber: 2, bytes: 48, waited: true, frame: 40, frameNumber: 9 })),
  });
  const app = new AppState(fake.api);
  render(ResendDialog, { resend: app.resend, onOpenSession: () => {} });
  await app.resend.openFor(12);
  await settle();
  return { fake, app };
}

const input = async (testid: string, value: string, index = 0) => {
  await fireEvent.input(screen.getAllByTestId(testid)[index], { target: { value } });
};
const injects = (fake: Awaited<ReturnType<typeof mountDialog>>['fake']) => fake.calls.filter((c) => c.cmd === 'frame.inject').map((c) => c.args as InjectArgsDto);
const sendButton = () => screen.getByTestId('resend-send') as HTMLButtonElement;

describe('ResendDialog, inject into the live connection', () => {
  it('offers injection for a live connection: no target, no CONNECT, the edited frame goes into connection #2 (id 3)', async () => {
    const { fake } = await mountDialog({ available: true, reason: null });
    const radio = screen.getByTestId('resend-mode-inject') as HTMLInputElement;
    expect(radio.disabled).toBe(false);
    expect(screen.getByTestId('resend-target')).toBeTruthy();
    await fireEvent.click(radio);
    await settle();
    expect(screen.queryByTestId('resend-target')).toBeNull();
    expect(screen.queryByTestId('resend-with-connect')).toBeNull();
    // The connection and frames by their numbers within the session (as the list shows them); the call takes the id.
    expect(screen.getByTestId('resend-inject-hint').textContent).toContain('inside connection #2');
    expect(sendButton().textContent).toBe('Inject');
    expect(sendButton().disabled).toBe(false);
    await input('resend-header-value', '/queue/b', 0);
    await input('resend-body', 'edited');
    await fireEvent.click(sendButton());
    await settle();
    expect(injects(fake)).toEqual([{
      connection: 3, timeoutMs: 10_000,
      frame: { command: 'SEND', headers: [['destination', '/queue/b'], ['receipt', 'r-1']], bodyBase64: btoa('edited') },
    }]);
    expect(fake.calls.some((c) => c.cmd === 'frame.resend')).toBe(false);
    expect(screen.getByTestId('inject-result').textContent).toBe(
      'Injected 48 bytes into connection #2, right after the frame the client was in the middle of (frame 9, marked injected in the list).');
  });

  it('refuses what cannot go into a connected stream: CONNECT, a broker command', async () => {
    const { fake } = await mountDialog({ available: true, reason: null });
    await fireEvent.click(screen.getByTestId('resend-mode-inject'));
    await input('resend-command', 'CONNECT');
    expect(screen.getByTestId('resend-problem').textContent).toBe('CONNECT cannot be injected: the connection is already connected');
    expect(sendButton().disabled).toBe(true);
    await input('resend-command', 'MESSAGE');
    expect(screen.getByTestId('resend-problem').textContent).toMatch(/^only client commands can be injected \(SEND, SUBSCRIBE/);
    await fireEvent.click(sendButton());
    await settle();
    expect(injects(fake)).toEqual([]);
    // Back on a new connection, MESSAGE is the user's business (a broker may answer ERROR), but a target is needed.
    await fireEvent.click(screen.getByTestId('resend-mode-new'));
    await settle();
    expect(screen.getByTestId('resend-target')).toBeTruthy();
  });

  it("shows the core's refusal (the connection closed meanwhile)", async () => {
    await mountDialog({ available: true, reason: null }, () => {
      throw new ApiError('conflict', 'nothing injected: connection 3 closed (the client closed its side of the connection)');
    });
    await fireEvent.click(screen.getByTestId('resend-mode-inject'));
    await fireEvent.click(sendButton());
    await settle();
    expect(screen.getByTestId('resend-error').textContent).toBe('nothing injected: connection 3 closed (the client closed its side of the connection)');
    expect(screen.queryByTestId('inject-result')).toBeNull();
  });

  it('disables injection, and says why, when the connection is not live in a proxy of this StompScope', async () => {
    const { app } = await mountDialog({ available: false, reason: 'connection 3 is closed' });
    expect((screen.getByTestId('resend-mode-inject') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId('resend-inject-unavailable').textContent).toBe('Injection is not possible: connection 3 is closed.');
    app.resend.setMode('inject');
    await settle();
    expect(app.resend.mode).toBe('new');
    expect(screen.getByTestId('resend-target')).toBeTruthy();
  });

  it('a draft from an older core (no inject field) offers only a new connection', async () => {
    await mountDialog(undefined);
    expect((screen.getByTestId('resend-mode-inject') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId('resend-inject-unavailable').textContent).toMatch(/only a connection open in a proxy started in this window/);
  });
});

describe('injected frames in the list and the detail', () => {
  it('the frame list marks injected rows, and only those', async () => {
    const rows = [row(0), { ...row(1), id: 2, command: 'SEND', from: 'client' as const, injected: true }, row(2)];
    const fake = fakeApi({
      'frames.query': () => ({ query: 1, total: 3 }),
      'frames.window': () => ({ total: 3, start: 0, rows }),
      'frames.close': () => ({ closed: true }),
      'proxy.list': () => [],
      'sessions.list': () => [],
    });
    const frames = new FramesState(fake.api);
    await frames.open(1, '');
    render(FrameList, { frames, sessions: new SessionsState(fake.api) });
    await settle();
    const marked = (screen.getAllByTestId('frame-row') as HTMLElement[]).filter((r) => r.querySelector('[data-testid="injected-marker"]'));
    expect(marked.map((r) => Number(r.dataset.id))).toEqual([2]);
  });

  it('the frame detail says the frame was injected', async () => {
    const detail: FrameDetailDto = {
      row: { ...row(0), injected: true }, session: 1, version: '1.2', offset: 0, crlf: false, headers: [], bodyLength: 0, bodyBase64: '',
      bodyTruncated: false, rawBase64: btoa('SEND\n\n\0'), rawTruncated: false, issues: [], sincePreviousMs: null,
    };
    const fake = fakeApi({
      'frame.detail': ({ id }) => (id === 1 ? detail : { ...detail, row: { ...row(1), id } }),
      'frame.links': () => ({ links: [], total: 0 }),
    });
    const app = new AppState(fake.api);
    render(FrameDetail, { app });
    await app.detail.load(1);
    await settle();
    expect(screen.getByTestId('detail-injected').textContent).toMatch(/^Injected: StompScope wrote this frame into the live connection/);
    await app.detail.load(2);
    await settle();
    expect(screen.queryByTestId('detail-injected')).toBeNull();
  });
});
