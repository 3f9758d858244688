// The Connections view sorts by any column and turns a row into the list's `conn == N` filter (click or Enter), and
// opens Follow connection; Follow reads a connection's transcript and its raw bytes on demand; `app.followConnection`
// (the frame list's context menu calls it) opens it from anywhere; Compare counts its changes and hides the unchanged.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ConnectionOverviewDto, FollowDto, FrameDetailDto } from '../../shared/api/index.js';
import ConnectionsView from '../../src-renderer/src/components/ConnectionsView.svelte';
import DiffView from '../../src-renderer/src/components/DiffView.svelte';
import FollowView from '../../src-renderer/src/components/FollowView.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, row, sessionHandlers, settle, type Handlers } from './fake-api.js';

const conn = (connection: number, framesClient: number, client: string): ConnectionOverviewDto => ({
  session: 1, connection, number: connection, client, broker: '127.0.0.1:61613', transport: 'tcp', version: '1.2', opened: '2026-01-01T10:00:00.000000Z', closed: null,
  closeReason: null, frames: { client: framesClient, broker: 3 }, heartbeats: { client: 0, broker: 0 }, bytes: { client: 100 * framesClient, broker: 50 }, issues: 0,
  heartBeatNegotiated: { clientToBroker: 10_000, brokerToClient: 0 }, durationUs: 2_000_000, findings: { error: connection === 2 ? 1 : 0, warning: 0, note: 0 },
});
const CONNS = [conn(1, 5, '127.0.0.1:5001'), conn(2, 50, '127.0.0.1:5000'), conn(3, 20, '127.0.0.1:5002')];
const FOLLOW: FollowDto = {
  connection: 2, session: 1, client: '127.0.0.1:5000', broker: '127.0.0.1:61613', total: 2, next: null,
  entries: [
    { id: 10, seq: 0, from: 'client', t: 1_000_000, command: 'CONNECT', text: 'CONNECT\naccept-version:1.2\n\n', length: 29, truncated: false, missing: false },
    { id: 11, seq: 1, from: 'broker', t: 1_002_000, command: 'CONNECTED', text: 'CONNECTED\nversion:1.2\n\n', length: 24, truncated: false, missing: false },
  ],
};
const detail = (id: number, headers: Array<[string, string]>): FrameDetailDto => ({
  row: { ...row(id - 1), destination: '/q' }, session: 1, version: '1.2', offset: 0, crlf: false, headers: headers.map(([name, value]) => ({ name, value, rawName: name, rawValue: value, repeated: false })),
  bodyLength: 0, bodyBase64: '', bodyTruncated: false, rawBase64: btoa('CONNECT\n\n\0'), rawTruncated: false, issues: [], sincePreviousMs: null,
});

async function mountApp(extra: Handlers = {}) {
  const fake = fakeApi({
    ...sessionHandlers(100), 'connections.overview': () => CONNS, 'connection.follow': () => FOLLOW, 'frame.detail': ({ id }) => detail(id, [['a', '1']]),
    'connections.list': () => [], 'proxy.list': () => [], 'sessions.list': () => [], 'frame.links': () => ({ links: [] , total: 0 }), ...extra,
  });
  const app = new AppState(fake.api);
  await app.openSession(1);
  return { fake, app };
}

describe('Connections view', () => {
  it('sorts by a column (again: the other way), shows what each connection negotiated, and a row filters the list', async () => {
    const { app, fake } = await mountApp();
    render(ConnectionsView, { app });
    await app.setView('connections');
    await settle();
    const clients = () => screen.getAllByTestId('connection-row').map((r) => r.querySelectorAll('td')[1].textContent);
    expect(clients()).toEqual(['127.0.0.1:5001', '127.0.0.1:5000', '127.0.0.1:5002']);
    await fireEvent.click(screen.getByTestId('sort-framesClient'));
    expect(screen.getAllByTestId('connection-row').map((r) => r.dataset.connection)).toEqual(['1', '3', '2']);
    await fireEvent.click(screen.getByTestId('sort-framesClient'));
    expect(screen.getAllByTestId('connection-row').map((r) => r.dataset.connection)).toEqual(['2', '3', '1']);
    expect(screen.getByTestId('sort-framesClient').closest('th')!.getAttribute('aria-sort')).toBe('descending');
    await fireEvent.click(screen.getByTestId('sort-client'));
    expect(clients()).toEqual(['127.0.0.1:5000', '127.0.0.1:5001', '127.0.0.1:5002']);
    const first = screen.getAllByTestId('connection-row')[0];
    expect(first.textContent).toContain('10 s / off');
    expect(first.textContent).toContain('2.00 s');
    expect(within(first).getByTitle('errors').textContent).toContain('1');

    await fireEvent.keyDown(first, { key: 'Enter' });
    await settle();
    expect(app.view).toBe('list');
    expect(app.frames.applied).toBe('conn == 2');
    expect(fake.calls.some((c) => c.cmd === 'frames.query' && (c.args as { filter: string }).filter === 'conn == 2')).toBe(true);
  });

  it('opens Follow connection from a row', async () => {
    const { app } = await mountApp();
    render(ConnectionsView, { app });
    await app.setView('connections');
    await settle();
    await fireEvent.click(within(screen.getAllByTestId('connection-row')[2]).getByTestId('follow-connection'));
    await settle();
    expect(app.view).toBe('follow');
    expect(app.follow.connection).toBe(3);
  });
});

describe('Follow connection', () => {
  it('shows the transcript both ways, raw bytes on demand, and leads back to the list through conn == N', async () => {
    const { app, fake } = await mountApp();
    render(FollowView, { app });
    await app.followConnection(1, 2);
    await settle();
    const entries = screen.getAllByTestId('follow-entry');
    expect(entries.map((e) => e.dataset.from)).toEqual(['client', 'broker']);
    expect(entries[0].querySelector('pre')!.textContent).toBe('CONNECT\naccept-version:1.2\n\n');
    await fireEvent.click(within(entries[0]).getByTestId('follow-raw'));
    await settle();
    expect(within(entries[0]).getByTestId('follow-hex').textContent).toContain('43 4f 4e 4e 45 43 54');
    expect(fake.calls.filter((c) => c.cmd === 'frame.detail').map((c) => (c.args as { id: number }).id)).toEqual([10]);
    await fireEvent.click(screen.getByTestId('follow-back-list'));
    await settle();
    expect(app.view).toBe('list');
    expect(app.frames.applied).toBe('conn == 2');
  });
});

describe('Compare', () => {
  it('counts added, removed and changed headers, marks them with a sign, and hides the unchanged', async () => {
    const { app } = await mountApp({
      'frame.detail': ({ id }) => (id === 1 ? detail(1, [['destination', '/q'], ['receipt', 'r-1'], ['x', 'old']]) : detail(2, [['destination', '/q'], ['x', 'new'], ['message-id', 'm-1'], ['ack', 'a']])),
      'frame.previousOnDestination': () => ({ id: 1, sameCommand: false }),
    });
    render(DiffView, { detail: app.detail });
    await app.detail.load(2);
    expect(await app.detail.compareWithPrevious()).toBe(true);
    await settle();
    expect(screen.getByTestId('diff-count-added').textContent).toBe('+2 added');
    expect(screen.getByTestId('diff-count-removed').textContent).toBe('−1 removed');
    expect(screen.getByTestId('diff-count-changed').textContent).toBe('±1 changed');
    expect(screen.getByTestId('diff-note').textContent).toContain('compared with the previous frame there');
    const marks = () => screen.getAllByTestId('diff-mark').map((m) => m.textContent);
    expect(marks()).toEqual([' ', '−', '±', '+', '+']);
    await fireEvent.click(screen.getByTestId('diff-hide-unchanged'));
    expect(marks()).toEqual(['−', '±', '+', '+']);
  });
});
