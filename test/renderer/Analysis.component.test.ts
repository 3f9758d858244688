// The analysis views: the Expert Info panel groups issues by severity and code, jumps to a frame and
// applies the issue.code filter; the frame detail lists related frames and jumps to them; the statistics view
// draws rate lines and latency bars from the core's numbers; frame rows carry an issue badge by severity; the
// sequence diagram joins linked frames.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ExpertInfoDto, FrameDetailDto, FrameRowDto, LinkDto, SessionStatsDto } from '../../shared/api/index.js';
import Diagram from '../../src-renderer/src/components/Diagram.svelte';
import ExpertInfo from '../../src-renderer/src/components/ExpertInfo.svelte';
import FrameDetail from '../../src-renderer/src/components/FrameDetail.svelte';
import FrameList from '../../src-renderer/src/components/FrameList.svelte';
import Statistics from '../../src-renderer/src/components/Statistics.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, row, sessionHandlers, settle, type Handlers } from './fake-api.js';

const TOTAL = 400;

function detailOf(id: number): FrameDetailDto {
  return {
    row: row(id - 1), session: 1, version: '1.2', offset: 0, crlf: false, headers: [], bodyLength: 0, bodyBase64: '', bodyTruncated: false,
    rawBase64: '', rawTruncated: false, issues: [], sincePreviousMs: null,
  };
}

const EXPERT: ExpertInfoDto = {
  session: 1, total: 6,
  groups: [
    { severity: 'error', count: 1, codes: [{ code: 'error-frame', severity: 'error', title: 'ERROR from the broker', explanation: 'The broker sent an ERROR frame.',
      specRef: 'STOMP 1.2 §ERROR', count: 1, entries: [{ issue: 1, frameId: 120, frameNumber: 60, onFrame: true, connection: 1, connectionNumber: 1, t: 1_000_000 + 119_000, message: 'access refused' }] }] },
    { severity: 'warning', count: 5, codes: [
      { code: 'receipt-missing', severity: 'warning', title: 'Receipt requested, never answered', explanation: 'No RECEIPT came.', specRef: 'STOMP 1.2 §RECEIPT', count: 3,
        entries: [{ issue: 2, frameId: 7, frameNumber: 3, onFrame: true, connection: 1, connectionNumber: 1, t: 1_006_000, message: 'receipt r-3' }, { issue: 3, frameId: 9, frameNumber: 4, onFrame: true, connection: 1, connectionNumber: 1, t: 1_008_000, message: 'receipt r-4' }] },
      { code: 'heartbeat-late', severity: 'warning', title: 'Heart-beat late', explanation: 'A gap.', specRef: '', count: 2,
        entries: [{ issue: 4, frameId: 300, frameNumber: 150, onFrame: false, connection: 5, connectionNumber: 2, t: 1_299_000, message: 'no heart-beat for 3 s' }] },
    ] },
  ],
};

async function mountApp(extra: Handlers = {}) {
  const fake = fakeApi({
    ...sessionHandlers(TOTAL), 'frame.detail': ({ id }) => detailOf(id), 'frame.links': () => ({ links: [], total: 0 }), 'diagram.links': () => [],
    'connections.list': () => [], 'connections.overview': () => [], 'heartbeats.range': () => [], 'proxy.list': () => [], 'sessions.list': () => [], ...extra,
  });
  const app = new AppState(fake.api);
  await app.openSession(1);
  return { fake, app };
}

describe('Expert Info', () => {
  it('groups by severity then code, with counts, explanation and spec reference', async () => {
    const { app } = await mountApp({ 'session.expertInfo': () => EXPERT });
    render(ExpertInfo, { app });
    await app.setView('expert');
    await settle();
    expect(screen.getByTestId('expert-total').textContent).toBe('6 issues');
    const errors = screen.getByTestId('expert-group-error');
    const warnings = screen.getByTestId('expert-group-warning');
    expect(errors.compareDocumentPosition(warnings) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(warnings).getAllByTestId('expert-code').map((c) => [c.dataset.code, within(c).getByTestId('expert-count').textContent]))
      .toEqual([['receipt-missing', '3'], ['heartbeat-late', '2']]);
    expect(errors.textContent).toContain('ERROR from the broker');
    expect(screen.queryByText('No RECEIPT came.')).toBeNull();
    await fireEvent.click(within(warnings).getAllByTestId('expert-toggle')[0]);
    expect(screen.getByText('No RECEIPT came.')).toBeTruthy();
    expect(warnings.textContent).toContain('See: STOMP 1.2 §RECEIPT');
    expect(within(warnings).getAllByTestId('expert-entry').map((e) => e.dataset.frame)).toEqual(['7', '9']);
    // Shown by their numbers within the session (the list's No.), not their ids.
    expect(within(warnings).getAllByTestId('expert-entry').map((e) => e.querySelector('.where')?.textContent)).toEqual(['frame 3', 'frame 4']);
    expect(warnings.textContent).toContain('The first 2 of 3');
  });

  it('jumps to the frame of an entry: the list selects it and the detail shows it', async () => {
    const { app, fake } = await mountApp({ 'session.expertInfo': () => EXPERT });
    render(ExpertInfo, { app });
    await app.setView('expert');
    await settle();
    await fireEvent.click(screen.getAllByTestId('expert-toggle')[0]);
    await fireEvent.click(screen.getAllByTestId('expert-entry')[0]);
    await settle();
    expect(fake.calls.some((c) => c.cmd === 'frames.indexOf' && (c.args as { id: number }).id === 120)).toBe(true);
    expect(app.frames.selectedIndex).toBe(119);
    expect(app.frames.selectedId).toBe(120);
    expect(app.detail.detail?.row.id).toBe(120);
    expect(app.view).toBe('list');
  });

  it('clears a filter that hides the frame before jumping to it', async () => {
    // Query 2 is 'command == "SEND"': the SENDs only (odd ids). Frame 300 is a RECEIPT, not shown: indexOf answers the next SEND.
    const all = sessionHandlers(TOTAL);
    const sends = (k: number) => row(2 * k);
    const { app, fake } = await mountApp({
      'session.expertInfo': () => EXPERT,
      'frames.query': ({ filter }) => ({ query: filter ? 2 : 1, total: filter ? TOTAL / 2 : TOTAL }),
      'frames.window': (a) => (a.query === 2
        ? { total: TOTAL / 2, start: a.start, rows: Array.from({ length: Math.max(0, Math.min(a.count, TOTAL / 2 - a.start)) }, (_, k) => sends(a.start + k)) }
        : all['frames.window']!(a)),
      'frames.indexOf': (a) => (a.query === 2 ? { index: Math.floor(a.id! / 2), total: TOTAL / 2, exact: true } : all['frames.indexOf']!(a)),
    });
    await app.frames.open(1, 'command == "SEND"');
    expect(app.frames.applied).toBe('command == "SEND"');
    await app.jumpToFrame(300);
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'frames.query').map((c) => (c.args as { filter: string }).filter).at(-1)).toBe('');
    expect(app.frames.applied).toBe('');
    expect(app.frames.selectedId).toBe(300);
  });

  it('applies the filter issue.code == "…" from a code', async () => {
    const { app, fake } = await mountApp({ 'session.expertInfo': () => EXPERT });
    render(ExpertInfo, { app });
    await app.setView('expert');
    await settle();
    await fireEvent.click(screen.getAllByTestId('expert-filter')[1]);
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'frames.query').at(-1)!.args).toEqual({ session: 1, filter: 'issue.code == "receipt-missing"' });
    expect(app.frames.applied).toBe('issue.code == "receipt-missing"');
    expect(app.view).toBe('list');
  });

  it('says so when the session is clean', async () => {
    const { app } = await mountApp({ 'session.expertInfo': () => ({ session: 1, total: 0, groups: [] }) });
    render(ExpertInfo, { app });
    await app.setView('expert');
    await settle();
    expect(screen.getByTestId('expert-clean').textContent).toContain('No issues');
  });
});

describe('Related frames in the frame detail', () => {
  const other = (id: number, command: string): FrameRowDto => ({ ...row(id - 1), command });
  it('lists linked frames with kind and latency, and jumps to one', async () => {
    const { app, fake } = await mountApp({
      'frame.links': ({ id }) => (id === 1
        ? { links: [{ kind: 'receipt', role: 'answer', other: other(2, 'RECEIPT'), latencyUs: 1500 }, { kind: 'delivery', role: 'answer', other: other(5, 'MESSAGE'), latencyUs: 2_500_000 }], total: 2 }
        : { links: [], total: 0 }),
    });
    render(FrameDetail, { app });
    await app.selectFrameId(1);
    await settle();
    const links = screen.getAllByTestId('related-frame');
    expect(links.map((l) => [l.dataset.kind, l.dataset.id])).toEqual([['receipt', '2'], ['delivery', '5']]);
    expect(links[0].textContent).toContain('RECEIPT');
    expect(links[0].textContent).toContain('1.50 ms');
    expect(links[1].textContent).toContain('2.50 s');
    await fireEvent.click(links[0]);
    await settle();
    expect(app.frames.selectedId).toBe(2);
    expect(app.detail.detail?.row.id).toBe(2);
    expect(fake.calls.filter((c) => c.cmd === 'frame.links').map((c) => (c.args as { id: number }).id)).toEqual([1, 2]);
    // Frame 2 has no links: the section goes away.
    expect(screen.queryByTestId('related-frames')).toBeNull();
  });
});

describe('Statistics', () => {
  const STATS: SessionStatsDto = {
    session: 1, t0: 0, t1: 9_999_999, bucketUs: 1_000_000, buckets: 10,
    destinations: [
      { destination: '/queue/orders', send: 15, message: 12, sendBuckets: [1, 2, 3, 4, 5, 0, 0, 0, 0, 0], messageBuckets: [0, 2, 2, 2, 2, 2, 2, 0, 0, 0] },
      { destination: '/queue/audit', send: 3, message: 0, sendBuckets: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1], messageBuckets: new Array(10).fill(0) },
    ],
    otherDestinations: { destinations: 2, frames: 4 },
    latency: [
      { kind: 'receipt', count: 10, min: 300, p50: 800, p90: 1500, p99: 4000, max: 4000, mean: 1000, bins: [{ lo: 200, hi: 500, count: 2 }, { lo: 500, hi: 1000, count: 5 }, { lo: 1000, hi: 2000, count: 2 }, { lo: 2000, hi: 5000, count: 1 }] },
      { kind: 'ack', count: 3, min: 10, p50: 12, p90: 15, p99: 15, max: 15, mean: 12, bins: [{ lo: 10, hi: 20, count: 3 }] },
    ],
    commands: [{ command: 'SEND', client: 18, broker: 0 }, { command: 'MESSAGE', client: 0, broker: 12 }],
    bytes: { client: 1800, broker: 1500 },
    destinationTable: [{ destination: '/queue/orders', send: 15, message: 12 }, { destination: '/queue/audit', send: 3, message: 0 }],
  };

  it('draws a line per destination and command, and a histogram per link kind', async () => {
    const { app, fake } = await mountApp({ 'session.stats': () => STATS });
    render(Statistics, { app });
    await app.setView('stats');
    await settle();
    expect(fake.calls.find((c) => c.cmd === 'session.stats')!.args).toEqual({ session: 1, buckets: 60 });
    const lines = screen.getAllByTestId('rate-line');
    // /queue/audit has no MESSAGE: no line for it.
    expect(lines.map((l) => `${l.dataset.command} ${l.dataset.destination}`)).toEqual(['SEND /queue/orders', 'MESSAGE /queue/orders', 'SEND /queue/audit']);
    const pts = lines[0].querySelector('polyline')!.getAttribute('points')!.split(' ').map((p) => p.split(',').map(Number));
    expect(pts).toHaveLength(10);
    // Higher rate, higher on screen (smaller y): bucket 4 (5/s) above bucket 0 (1/s); empty buckets on the axis.
    expect(pts[4][1]).toBeLessThan(pts[0][1]);
    expect(pts[9][1]).toBe(pts[8][1]);
    expect(lines[1].querySelector('polyline')!.getAttribute('stroke-dasharray')).toBe('6 3');
    expect(screen.getByTestId('rate-legend').textContent).toContain('/queue/audit');
    expect(screen.getByTestId('statistics').textContent).toContain('2 more destinations (4 frames) not drawn');

    const hists = screen.getAllByTestId('latency-histogram');
    expect(hists.map((h) => h.dataset.kind)).toEqual(['receipt', 'ack']);
    const bars = within(hists[0]).getAllByTestId('latency-bar');
    expect(bars.map((b) => Number(b.dataset.count))).toEqual([2, 5, 2, 1]);
    const heights = bars.map((b) => Number(b.getAttribute('height')));
    expect(heights[1]).toBeGreaterThan(heights[0]);
    expect(heights[0]).toBe(heights[2]);
    expect(hists[0].textContent).toContain('p50 800 µs');
    expect(hists[0].textContent).toContain('p99 4.00 ms');
  });

  it('says when there is nothing to chart', async () => {
    const { app } = await mountApp({ 'session.stats': () => ({ ...STATS, destinations: [], latency: [], otherDestinations: { destinations: 0, frames: 0 } }) });
    render(Statistics, { app });
    await app.setView('stats');
    await settle();
    expect(screen.getByTestId('rate-empty')).toBeTruthy();
    expect(screen.getByTestId('latency-empty')).toBeTruthy();
  });
});

describe('issue badges and diagram links', () => {
  it('marks rows with issues by their worst severity', async () => {
    const withIssues = (i: number): FrameRowDto => ({ ...row(i), issues: i === 1 ? 2 : i === 2 ? 1 : 0, severity: i === 1 ? 'error' : i === 2 ? 'note' : null });
    const { app } = await mountApp({
      'frames.window': ({ start, count }) => ({ total: TOTAL, start, rows: Array.from({ length: Math.min(count, TOTAL - start) }, (_, k) => withIssues(start + k)) }),
    });
    render(FrameList, { frames: app.frames, sessions: app.sessions });
    await settle();
    const badges = screen.getAllByTestId('issue-badge');
    expect(badges).toHaveLength(2);
    expect(badges[0].classList.contains('badge-error')).toBe(true);
    expect(badges[0].textContent).toContain('2');
    expect(badges[1].classList.contains('badge-note')).toBe(true);
    expect(badges[0].closest('[data-testid=frame-row]')!.getAttribute('data-id')).toBe('2');
  });

  it('joins linked frames on screen in the sequence diagram and highlights them with the selection', async () => {
    const links: LinkDto[] = [
      { kind: 'receipt', from: 1, to: 2, latencyUs: 1000 },
      { kind: 'subscription', from: 1, to: 4, latencyUs: 3000 },
      { kind: 'ack', from: 3, to: 100_000, latencyUs: 5 },
    ];
    const { app, fake } = await mountApp({
      'diagram.links': ({ ids }) => links.filter((l) => ids.includes(l.to)),
      'connections.list': () => [{ session: 1, connection: 1, number: 1, client: '127.0.0.1:4000', broker: 'b', transport: 'tcp', version: '1.2', opened: null, closed: null,
        closeReason: null, frames: { client: 0, broker: 0 }, heartbeats: { client: 0, broker: 0 }, bytes: { client: 0, broker: 0 }, issues: 0 }],
    });
    render(Diagram, { app });
    await app.setView('diagram');
    await settle();
    expect(fake.calls.some((c) => c.cmd === 'diagram.links')).toBe(true);
    // The receipt is drawn; subscription is not drawn by default (it fans out); the ack's frames are not both on screen.
    const drawn = screen.getAllByTestId('diagram-link');
    expect(drawn.map((d) => [d.dataset.kind, d.dataset.from, d.dataset.to])).toEqual([['receipt', '1', '2']]);
    expect(drawn[0].textContent).toContain('1.00 ms');
    expect(drawn[0].querySelector('path')!.getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+ C/);
    await app.selectFrameId(1);
    await settle();
    expect(drawn[0].classList.contains('hot')).toBe(true);
    const arrow2 = screen.getAllByTestId('diagram-arrow').find((a) => a.dataset.id === '2')!;
    expect(arrow2.classList.contains('linked')).toBe(true);
  });
});

describe('live sessions', () => {
  it('reloads Expert Info when frames are appended to the open session', async () => {
    let total = 1;
    const { app, fake } = await mountApp({ 'session.expertInfo': () => ({ ...EXPERT, total: total++ }) });
    await app.setView('expert');
    expect(app.expert.info?.total).toBe(1);
    fake.emit('frames.appended', { session: 1, lastId: 401, frames: 401 });
    await settle();
    expect(app.expert.info?.total).toBe(2);
    // Another session's frames do not.
    fake.emit('frames.appended', { session: 2, lastId: 500, frames: 10 });
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'session.expertInfo')).toHaveLength(2);
  });
  it('reloads Expert Info when an issue comes without a frame (a heart-beat silence), for the open session only', async () => {
    let total = 1;
    const { app, fake } = await mountApp({ 'session.expertInfo': () => ({ ...EXPERT, total: total++ }) });
    await app.setView('expert');
    fake.emit('issues.appended', { session: 1, lastId: 7 });
    await settle();
    expect(app.expert.info?.total).toBe(2);
    fake.emit('issues.appended', { session: 2, lastId: 8 });
    await app.setView('list');
    fake.emit('issues.appended', { session: 1, lastId: 9 }); // Expert Info not on screen: loaded when it is opened
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'session.expertInfo')).toHaveLength(2);
  });
});
