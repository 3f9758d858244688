// "Edit and resend…": the editor starts from the core's draft (the frame and its connection's CONNECT, credentials
// masked), a masked credential blocks sending until it is typed again, the body is edited as text or hex, the
// original broker needs a confirmation, and the broker's answers are listed with a way to open the new session.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ResendArgsDto, ResendDraftDto } from '../../shared/api/index.js';
import { MASK } from '../../shared/stomp/secrets.js';
import ResendDialog from '../../src-renderer/src/components/ResendDialog.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, settle } from './fake-api.js';

const draft: ResendDraftDto = {
  id: 12, session: 1, connection: 3, broker: '127.0.0.1:61613', version: '1.2',
  frame: { command: 'SEND', headers: [['destination', '/queue/a'], ['receipt', 'r-1']], bodyBase64: btoa('hi') },
  connect: { command: 'CONNECT', headers: [['accept-version', '1.2'], ['host', '/'], ['login', MASK], ['passcode', MASK]], bodyBase64: '' },
};

async function mountDialog() {
  const opened: number[] = [];
  const fake = fakeApi({
    'frame.resendDraft': () => draft,
    'frame.resend': () => ({
      session: 8, connection: 9, version: '1.2', findings: [],
      received: [{ seq: 2, command: 'CONNECTED', info: 'version 1.2' }, { seq: 4, command: 'RECEIPT', info: 'receipt-id r-1' }],
    }),
  });
  const app = new AppState(fake.api);
  render(ResendDialog, { resend: app.resend, onOpenSession: (s: number) => opened.push(s) });
  await app.resend.openFor(12);
  await settle();
  return { fake, app, opened };
}

const input = async (testid: string, value: string, index = 0) => {
  await fireEvent.input(screen.getAllByTestId(testid)[index], { target: { value } });
};
const sends = (fake: Awaited<ReturnType<typeof mountDialog>>['fake']) => fake.calls.filter((c) => c.cmd === 'frame.resend').map((c) => c.args as ResendArgsDto);
const connectValue = (name: string) => screen.getAllByTestId('resend-connect-name').findIndex((e) => (e as HTMLInputElement).value === name);

describe('ResendDialog', () => {
  it('shows the frame and the CONNECT as editable lists, with no target', async () => {
    await mountDialog();
    expect((screen.getByTestId('resend-command') as HTMLInputElement).value).toBe('SEND');
    expect(screen.getAllByTestId('resend-header-name').map((e) => (e as HTMLInputElement).value)).toEqual(['destination', 'receipt']);
    expect(screen.getAllByTestId('resend-connect-name').map((e) => (e as HTMLInputElement).value)).toEqual(['accept-version', 'host', 'login', 'passcode']);
    expect((screen.getByTestId('resend-body') as HTMLTextAreaElement).value).toBe('hi');
    expect((screen.getByTestId('resend-target') as HTMLInputElement).value).toBe('');
    expect((screen.getByTestId('resend-send') as HTMLButtonElement).disabled).toBe(true);
  });

  it('a masked login and passcode block sending until typed again; then the edit is sent as shown', async () => {
    const { fake, opened } = await mountDialog();
    await input('resend-target', 'test-broker:61613');
    expect(screen.getByTestId('resend-problem').textContent).toBe('re-enter login, passcode: masked values are never sent');
    expect((screen.getByTestId('resend-send') as HTMLButtonElement).disabled).toBe(true);
    await input('resend-connect-value', 'guest', connectValue('login'));
    await input('resend-connect-value', 's3cret', connectValue('passcode'));
    await input('resend-header-value', '/queue/b', 0);
    await fireEvent.click(screen.getByTestId('resend-add-header'));
    await input('resend-header-name', 'x-try', 2);
    await input('resend-header-value', '2', 2);
    await input('resend-body', 'edited');
    await fireEvent.click(screen.getByTestId('resend-send'));
    await settle();
    expect(sends(fake)).toEqual([{
      id: 12, target: 'test-broker:61613', timeoutMs: 10_000,
      connect: { command: 'CONNECT', headers: [['accept-version', '1.2'], ['host', '/'], ['login', 'guest'], ['passcode', 's3cret']], bodyBase64: '' },
      frame: { command: 'SEND', headers: [['destination', '/queue/b'], ['receipt', 'r-1'], ['x-try', '2']], bodyBase64: btoa('edited') },
    }]);
    expect(screen.getByTestId('resend-received').textContent).toContain('RECEIPT receipt-id r-1');
    await fireEvent.click(screen.getByTestId('resend-open-session'));
    expect(opened).toEqual([8]);
  });

  it('a content-length header follows the edited body', async () => {
    const { app } = await mountDialog();
    app.resend.headers = [...app.resend.headers, { name: 'content-length', value: '2' }];
    await settle();
    await input('resend-body', 'héllo');
    expect(app.resend.headers.find((h) => h.name === 'content-length')!.value).toBe('6');
    expect((screen.getAllByTestId('resend-header-value')[2] as HTMLInputElement).value).toBe('6');
  });

  it('edits the body as hex, and refuses to show non-UTF-8 bytes as text', async () => {
    const { fake } = await mountDialog();
    await fireEvent.click(screen.getByTestId('resend-body-hex'));
    expect((screen.getByTestId('resend-body') as HTMLTextAreaElement).value).toBe('68 69');
    await input('resend-body', '00 ff 1');
    await input('resend-target', 'test-broker:61613');
    await fireEvent.click(screen.getByTestId('resend-with-connect'));
    expect(screen.getByTestId('resend-problem').textContent).toMatch(/hex is not whole bytes/);
    await input('resend-body', '00 ff 10');
    await fireEvent.click(screen.getByTestId('resend-body-text'));
    expect(screen.getByTestId('resend-error').textContent).toMatch(/not UTF-8/);
    await fireEvent.click(screen.getByTestId('resend-send'));
    await settle();
    expect(sends(fake).map((a) => [a.connect, a.frame.bodyBase64])).toEqual([[null, btoa('\x00\xff\x10')]]);
  });

  it('asks before sending to the broker the frame was recorded with', async () => {
    const { fake } = await mountDialog();
    await fireEvent.click(screen.getByTestId('resend-with-connect'));
    await input('resend-target', 'localhost:61613');
    await fireEvent.click(screen.getByTestId('resend-send'));
    await settle();
    expect(screen.getByTestId('resend-confirm')).toBeTruthy();
    expect(sends(fake)).toEqual([]);
    await fireEvent.click(screen.getByTestId('resend-confirm-yes'));
    await settle();
    expect(sends(fake).map((a) => a.confirmOriginalBroker)).toEqual([true]);
  });
});
