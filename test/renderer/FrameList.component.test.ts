// The virtualized frame list: only a window of rows is in the DOM (however long the session), each at its
// place; the keyboard moves the selection and the window follows it.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import FrameList from '../../src-renderer/src/components/FrameList.svelte';
import { FramesState, ROW_HEIGHT } from '../../src-renderer/src/lib/frames.svelte.js';
import { SessionsState } from '../../src-renderer/src/lib/sessions.svelte.js';
import { fakeApi, sessionHandlers, settle } from './fake-api.js';

const TOTAL = 100_000;

async function mountList(total = TOTAL) {
  const fake = fakeApi({ ...sessionHandlers(total), 'proxy.list': () => [], 'sessions.list': () => [] });
  const frames = new FramesState(fake.api);
  await frames.open(1, '');
  render(FrameList, { frames, sessions: new SessionsState(fake.api) });
  emulateLayout(screen.getByTestId('frame-list'));
  await settle();
  return { fake, frames };
}

/**
 * happy-dom has no layout: give the scroller a 400 px viewport and, like a browser, a `scroll` event when a
 * script moves its scrollTop (the list follows the selection that way).
 */
function emulateLayout(el: HTMLElement) {
  let top = 0;
  Object.defineProperty(el, 'clientHeight', { configurable: true, get: () => 400 });
  Object.defineProperty(el, 'scrollTop', {
    configurable: true,
    get: () => top,
    set: (v: number) => {
      top = v;
      el.dispatchEvent(new Event('scroll'));
    },
  });
}

const rows = () => screen.queryAllByTestId('frame-row') as HTMLElement[];
const ids = () => rows().map((r) => Number(r.dataset.id));

describe('FrameList', () => {
  it('shows each frame by its number within the session and its connection by #k, not by their ids', async () => {
    const base = sessionHandlers(3);
    // Ids far from the numbers, as in a session imported into a database that holds other sessions.
    const fake = fakeApi({
      ...base, 'proxy.list': () => [], 'sessions.list': () => [],
      'frames.window': (a) => {
        const w = base['frames.window']!(a);
        return { ...w, rows: w.rows.map((r) => ({ ...r, id: r.id + 201_498, connection: 27 })) };
      },
    });
    const frames = new FramesState(fake.api);
    await frames.open(1, '');
    render(FrameList, { frames, sessions: new SessionsState(fake.api) });
    emulateLayout(screen.getByTestId('frame-list'));
    await settle();
    expect(rows().map((r) => [r.dataset.id, r.querySelector('.no')?.textContent, r.querySelector('.conn')?.textContent]))
      .toEqual([['201499', '1', '#1'], ['201500', '2', '#1'], ['201501', '3', '#1']]);
  });

  it('renders only the rows of the window in view, at their place, with direction and command', async () => {
    const { fake, frames } = await mountList();
    expect(frames.total).toBe(TOTAL);
    // A 400 px viewport shows ~18 rows; overscan adds a few: nowhere near 100,000.
    expect(rows().length).toBeGreaterThan(10);
    expect(rows().length).toBeLessThan(60);
    expect(ids()[0]).toBe(1);
    expect(rows()[1].style.top).toBe(`${ROW_HEIGHT}px`);
    expect(rows()[0].querySelector('.cmd')!.textContent).toBe('SEND');
    expect(rows()[0].querySelector('.dir')!.textContent).toBe('→');
    expect(rows()[1].querySelector('.dir')!.textContent).toBe('←');
    expect(rows()[1].querySelector('.ref')!.textContent).toBe('r-0');
    // Rows were fetched in blocks, never the whole session.
    const fetched = fake.calls.filter((c) => c.cmd === 'frames.window').map((c) => (c.args as { count: number }).count);
    expect(Math.max(...fetched)).toBeLessThanOrEqual(400);
  });

  it('moves the selection with the keyboard, and the window follows to the end and back', async () => {
    const { frames } = await mountList();
    const list = screen.getByTestId('frame-list');
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await settle();
    expect(frames.selectedIndex).toBe(0);
    expect(rows()[0].getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await settle();
    expect(rows().filter((r) => r.getAttribute('aria-selected') === 'true').map((r) => Number(r.dataset.id))).toEqual([3]);

    await fireEvent.keyDown(list, { key: 'End' });
    await settle();
    expect(frames.selectedIndex).toBe(TOTAL - 1);
    expect(frames.selectedId).toBe(TOTAL);
    expect(ids()).toContain(TOTAL);
    expect(ids()).not.toContain(1);
    expect(screen.getByText(String(TOTAL)).closest('[data-testid=frame-row]')!.classList.contains('selected')).toBe(true);

    await fireEvent.keyDown(list, { key: 'PageUp' });
    await settle();
    expect(frames.selectedIndex).toBeLessThan(TOTAL - 10);
    await fireEvent.keyDown(list, { key: 'Home' });
    await settle();
    expect(frames.selectedId).toBe(1);
    expect(ids()[0]).toBe(1);
  });

  it('teaches what to do when a filter matches nothing', async () => {
    const fake = fakeApi({ ...sessionHandlers(0), 'proxy.list': () => [] });
    const frames = new FramesState(fake.api);
    await frames.open(1, 'command == "NACK"');
    render(FrameList, { frames, sessions: new SessionsState(fake.api) });
    await settle();
    expect(screen.getByTestId('frames-empty').textContent).toContain('No frame matches command == "NACK"');
  });
});
