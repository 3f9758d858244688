// "Replay connection…": the target starts empty, a target that is the connection's own broker is only replayed
// after an explicit confirmation, progress and findings come from the core's events, and
// "Open replay diff" shows added, missing and changed frames with the ignored volatile headers.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ConnectionDto, ReplayDiffDto, ReplayStartDto } from '../../shared/api/index.js';
import ReplayDialog from '../../src-renderer/src/components/ReplayDialog.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, settle } from './fake-api.js';

const conn: ConnectionDto = {
  session: 1, connection: 7, number: 2, client: '127.0.0.1:50000', broker: '127.0.0.1:61613', transport: 'tcp', version: '1.2', opened: null, closed: null,
  closeReason: null, frames: { client: 6, broker: 5 }, heartbeats: { client: 0, broker: 0 }, bytes: { client: 300, broker: 400 }, issues: 0,
};

const diff: ReplayDiffDto = {
  a: { session: 1, connection: 7, number: 2, version: '1.2' }, b: { session: 2, connection: 9, number: 1, version: '1.2' }, same: false,
  matched: 3, missing: 1, extra: 1, changed: 1, ignoredHeaders: ['message-id', 'ack', 'session'],
  differences: [
    { kind: 'changed', key: 'MESSAGE sub-0 #1', command: 'MESSAGE', a: 4, b: 4, headers: [{ name: 'destination', a: '/queue/a', b: '/queue/b' }], body: null },
    { kind: 'missing', key: 'RECEIPT r-2', command: 'RECEIPT', a: 6, b: null, aNumber: 16, bNumber: null, headers: [], body: null },
    { kind: 'extra', key: 'ERROR #1', command: 'ERROR', a: null, b: 7, headers: [], body: null },
  ],
};

async function mountDialog() {
  let job = 0;
  const fake = fakeApi({
    'connections.list': () => [conn],
    'replay.start': () => ({ job: ++job }),
    'replay.diff': () => diff,
  });
  const app = new AppState(fake.api);
  render(ReplayDialog, { replay: app.replay, onOpenSession: () => {} });
  await app.replay.openFor(1, 7);
  await settle();
  return { fake, app };
}

const starts = (fake: Awaited<ReturnType<typeof mountDialog>>['fake']) => fake.calls.filter((c) => c.cmd === 'replay.start').map((c) => c.args as ReplayStartDto);

describe('ReplayDialog', () => {
  it('starts with no target, and cannot replay until one is typed', async () => {
    await mountDialog();
    expect((screen.getByTestId('replay-target') as HTMLInputElement).value).toBe('');
    expect((screen.getByTestId('replay-start') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('replay-dialog').textContent).toContain('127.0.0.1:61613');
  });

  it('asks before replaying against the broker the connection was recorded with, and sends the confirmation', async () => {
    const { fake } = await mountDialog();
    await fireEvent.input(screen.getByTestId('replay-target'), { target: { value: 'localhost:61613' } });
    await fireEvent.click(screen.getByTestId('replay-start'));
    await settle();
    expect(screen.getByTestId('replay-confirm').textContent).toContain('is the broker this connection was recorded with');
    expect(starts(fake)).toEqual([]);
    await fireEvent.click(screen.getByTestId('replay-confirm-no'));
    expect(screen.queryByTestId('replay-confirm')).toBeNull();
    expect(starts(fake)).toEqual([]);

    await fireEvent.click(screen.getByTestId('replay-start'));
    await fireEvent.click(screen.getByTestId('replay-confirm-yes'));
    await settle();
    expect(starts(fake)).toEqual([{ connection: 7, target: 'localhost:61613', timeoutMs: 10_000, speed: 1, confirmOriginalBroker: true }]);
  });

  it('another broker: no question; the options travel as set (passcode, mapping, as fast as possible)', async () => {
    const { fake } = await mountDialog();
    await fireEvent.input(screen.getByTestId('replay-target'), { target: { value: 'test-broker:61613' } });
    await fireEvent.click(screen.getByTestId('replay-fast'));
    await fireEvent.input(screen.getByTestId('replay-passcode'), { target: { value: 's3cret' } });
    await fireEvent.click(screen.getByTestId('replay-add-mapping'));
    await fireEvent.input(screen.getByTestId('replay-map-from'), { target: { value: '/queue/a' } });
    await fireEvent.input(screen.getByTestId('replay-map-to'), { target: { value: '/queue/b' } });
    await fireEvent.click(screen.getByTestId('replay-start'));
    await settle();
    expect(screen.queryByTestId('replay-confirm')).toBeNull();
    expect(starts(fake)).toEqual([{
      connection: 7, target: 'test-broker:61613', timeoutMs: 10_000, asFastAsPossible: true, passcode: 's3cret', mapDestination: [['/queue/a', '/queue/b']],
    }]);
  });

  it('shows progress and findings from the events, then the replay diff', async () => {
    const { fake } = await mountDialog();
    await fireEvent.input(screen.getByTestId('replay-target'), { target: { value: 'test-broker:61613' } });
    await fireEvent.click(screen.getByTestId('replay-start'));
    await settle();
    fake.emit('replay.progress', { job: 1, original: 7, session: 2, sent: 3, total: 6 });
    await settle();
    const bar = screen.getByTestId('replay-progress').querySelector('progress')!;
    expect([bar.value, bar.max]).toEqual([3, 6]);
    // Another job's events are not this dialog's.
    fake.emit('replay.done', { job: 99, original: 3, session: 5, connection: 5, sent: 1, received: 1, findings: [], error: null });
    await settle();
    expect(screen.queryByTestId('replay-result')).toBeNull();
    fake.emit('replay.done', {
      job: 1, original: 7, session: 2, connection: 9, sent: 6, received: 5, error: null,
      findings: [{ code: 'replay-timeout', severity: 'warning', message: 'no RECEIPT r-2 within 10000 ms after the last frame', seq: 6, number: 15 }],
    });
    await settle();
    expect(screen.getByTestId('replay-result').dataset.state).toBe('done');
    // The recorded frame by its number in the session (as the list shows it), and its seq in the connection.
    expect(screen.getByTestId('replay-findings').textContent).toContain('replay-timeout (frame 15, seq 6) no RECEIPT r-2');

    await fireEvent.click(screen.getByTestId('replay-open-diff'));
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'replay.diff').map((c) => c.args)).toEqual([{ a: 7, b: 9, includeVolatile: false }]);
    expect(screen.getByTestId('replay-diff-summary').textContent).toBe('3 matched, 1 missing, 1 extra, 1 changed');
    expect(screen.getByTestId('replay-diff-ignored').textContent).toContain('message-id, ack, session');
    const rows = screen.getAllByTestId('replay-diff-row');
    expect(rows.map((r) => r.dataset.kind)).toEqual(['changed', 'missing', 'extra']);
    expect(rows[0].textContent).toContain('destination: /queue/a → /queue/b');
    expect(rows[1].textContent).toContain('missing in replay');
    // Frames by their numbers in their sessions where the core gave them, else by seq.
    expect([...rows[1].querySelectorAll('td')].slice(2, 4).map((td) => td.textContent)).toEqual(['16', '']);
    expect(screen.getByText(/What the broker sent/).textContent).toBe('What the broker sent: connection #2 (original) vs #1 (replay)');
    expect(rows[2].textContent).toContain('added in replay');
  });

  it('the replay diff asks for credentials masked; "show credentials" asks again with revealSecrets and the same volatile choice', async () => {
    const { fake } = await mountDialog();
    await fireEvent.input(screen.getByTestId('replay-target'), { target: { value: 'test-broker:61613' } });
    await fireEvent.click(screen.getByTestId('replay-start'));
    await settle();
    fake.emit('replay.done', { job: 1, original: 7, session: 2, connection: 9, sent: 6, received: 5, error: null, findings: [] });
    await settle();
    await fireEvent.click(screen.getByTestId('replay-open-diff'));
    await settle();
    const box = screen.getByTestId('replay-diff-reveal-secrets') as HTMLInputElement;
    expect(box.checked).toBe(false);
    await fireEvent.click(box);
    await settle();
    await fireEvent.click(box);
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'replay.diff').map((c) => c.args)).toEqual([
      { a: 7, b: 9, includeVolatile: false },
      { a: 7, b: 9, includeVolatile: false, revealSecrets: true },
      { a: 7, b: 9, includeVolatile: false },
    ]);
  });

  it('a refused start (e.g. a masked passcode) is shown in the dialog', async () => {
    const fake = fakeApi({
      'connections.list': () => [conn],
      'replay.start': () => {
        throw new Error('the recorded passcode is masked; give it with passcode (and login if needed)');
      },
    });
    const app = new AppState(fake.api);
    render(ReplayDialog, { replay: app.replay, onOpenSession: () => {} });
    await app.replay.openFor(1, 7);
    await settle();
    await fireEvent.input(screen.getByTestId('replay-target'), { target: { value: 'other:61613' } });
    await fireEvent.click(screen.getByTestId('replay-start'));
    await settle();
    expect(screen.getByTestId('replay-error').textContent).toContain('passcode is masked');
    expect(screen.queryByTestId('replay-progress')).toBeNull();
  });
});
