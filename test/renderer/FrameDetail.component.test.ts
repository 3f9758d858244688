// Frame detail: repeated headers are marked as ignored (the first one wins, STOMP 1.2), and credentials stay
// masked until the user ticks "show credentials", which asks the core again with revealSecrets.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FrameDetailDto } from '../../shared/api/index.js';
import { MASK } from '../../shared/stomp/secrets.js';
import FrameDetail from '../../src-renderer/src/components/FrameDetail.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, row, settle } from './fake-api.js';

const b64 = (s: string) => btoa(s);

/** What the core answers for frame 1: a CONNECT with credentials and a repeated header. */
function detail(reveal: boolean): FrameDetailDto {
  const secret = (v: string) => (reveal ? v : MASK);
  return {
    row: { ...row(0), command: 'CONNECT', destination: null }, session: 1, version: '1.2', offset: 0, crlf: false,
    headers: [
      { name: 'accept-version', value: '1.2', rawName: 'accept-version', rawValue: '1.2', repeated: false },
      { name: 'login', value: secret('admin'), rawName: 'login', rawValue: secret('admin'), repeated: false },
      { name: 'passcode', value: secret('s3cr3t!'), rawName: 'passcode', rawValue: secret('s3cr3t!'), repeated: false },
      { name: 'host', value: '/', rawName: 'host', rawValue: '/', repeated: false },
      { name: 'host', value: 'other', rawName: 'host', rawValue: 'other', repeated: true },
    ],
    bodyLength: 0, bodyBase64: b64(''), bodyTruncated: false, rawBase64: b64('CONNECT\n\n\0'), rawTruncated: false, issues: [], sincePreviousMs: null,
  };
}

async function mountDetail() {
  const fake = fakeApi({ 'frame.detail': ({ revealSecrets }) => detail(!!revealSecrets) });
  const app = new AppState(fake.api);
  render(FrameDetail, { app });
  await app.detail.load(1);
  await settle();
  return { fake, app };
}

const headerRows = () => [...screen.getByTestId('detail-headers').querySelectorAll('tbody tr')] as HTMLTableRowElement[];

describe('FrameDetail', () => {
  it('marks a repeated header as an ignored repeat, and only that one', async () => {
    await mountDetail();
    const hosts = headerRows().filter((r) => r.cells[0].textContent!.startsWith('host'));
    expect(hosts).toHaveLength(2);
    expect(hosts[0].classList.contains('repeated')).toBe(false);
    expect(hosts[1].classList.contains('repeated')).toBe(true);
    expect(hosts[1].textContent).toContain('ignored repeat');
    expect(hosts[1].title).toMatch(/first one wins/);
    expect(headerRows().filter((r) => r.classList.contains('repeated'))).toHaveLength(1);
  });

  it('masks credentials until asked, and masks them again when unticked', async () => {
    const { fake } = await mountDetail();
    const table = () => screen.getByTestId('detail-headers').textContent!;
    expect(table()).not.toContain('s3cr3t!');
    expect(table()).not.toContain('admin');
    expect(table()).toContain(MASK);
    const toggle = screen.getByTestId('reveal-secrets') as HTMLInputElement;
    expect(toggle.checked).toBe(false);

    await fireEvent.click(toggle);
    await settle();
    expect(fake.calls.at(-1)).toEqual({ cmd: 'frame.detail', args: { id: 1, revealSecrets: true } });
    expect(table()).toContain('s3cr3t!');
    expect(table()).toContain('login:admin');

    await fireEvent.click(toggle);
    await settle();
    expect(fake.calls.at(-1)!.args).toEqual({ id: 1, revealSecrets: false });
    expect(table()).not.toContain('s3cr3t!');
  });
});
