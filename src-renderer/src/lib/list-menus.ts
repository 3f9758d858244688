// The items of the context menus on frames (list rows), on the detail pane's header rows and on Expert Info
// entries: apply / prepare as filter, follow connection, copy, compare with, set as time reference. One place, so
// that the three menus say and do the same things.
import type { FrameRowDto } from '../../../shared/api/index.js';
import type { AppState } from './app.svelte.js';
import { applyAsColumn } from './columns.svelte.js';
import { contextMenu, type MenuItem } from './context-menu.svelte.js';
import { combine, FILTER_MODES, headerFilter, issueFilter, rowCellFilter, rowText, type FilterMode } from './filter-actions.js';
import type { FramesState } from './frames.svelte.js';

/** Applies (or only prepares, in the filter bar, for the user to edit) `expr` combined with the filter in force. */
export async function useFilter(frames: FramesState, expr: string, mode: FilterMode, apply: boolean): Promise<void> {
  const text = combine(frames.applied, expr, mode);
  frames.typeFilter(text);
  if (apply) await frames.applyFilter();
  else {
    const input = document.querySelector<HTMLInputElement>('[data-testid=filter-input]');
    input?.focus();
    input?.setSelectionRange(text.length, text.length);
  }
}

/** "Apply as filter ▸" and "Prepare as filter ▸", each with the six ways to combine. */
export function filterMenu(frames: FramesState, expr: string, prefix = ''): MenuItem[] {
  const sub = (apply: boolean): MenuItem[] => FILTER_MODES.map((m) => ({
    label: m.label, testid: `${prefix}${apply ? 'apply' : 'prepare'}-${m.mode}`,
    // "…and / …or" need a filter in force to combine with.
    disabled: m.mode !== 'selected' && m.mode !== 'not' && !frames.applied.trim(),
    why: m.mode !== 'selected' && m.mode !== 'not' && !frames.applied.trim() ? 'no filter in force to combine with' : undefined,
    run: () => useFilter(frames, expr, m.mode, apply),
  }));
  return [
    { label: 'Apply as filter', items: sub(true), testid: `${prefix}apply-as-filter` },
    { label: 'Prepare as filter', items: sub(false), testid: `${prefix}prepare-as-filter` },
  ];
}

/** Follow connection: `connection` is its id (what the core takes), `number` its `#k` in the session (what people read). */
function followItem(app: AppState | undefined, connection: number, number: number): MenuItem {
  const session = app?.frames.session ?? null;
  return {
    label: `Follow connection #${number}`, testid: 'follow-connection', separator: true,
    disabled: !app || session === null, why: app && session !== null ? undefined : 'not available here',
    run: () => void app!.followConnection(session!, connection),
  };
}

function compareItems(app: AppState | undefined, id: number): MenuItem {
  const pick = async (side: 'A' | 'B') => {
    await app!.detail.load(id);
    if (side === 'A') app!.detail.setA();
    else {
      app!.detail.setB();
      await app!.setView('diff');
    }
  };
  return {
    label: 'Compare with', testid: 'compare-with', disabled: !app,
    items: [
      { label: 'Set as A', run: () => pick('A'), testid: 'compare-a' },
      { label: 'Set as B and compare', run: () => pick('B'), disabled: !app?.detail.diffA, why: app?.detail.diffA ? undefined : 'set a frame as A first', testid: 'compare-b' },
    ],
  };
}

/** The menu of a frame in the list; `column`: the cell right-clicked (what "…as filter" and "Copy value" take). */
export function rowMenu(o: { frames: FramesState; app?: AppState; row: FrameRowDto; index: number; column: string; time: string }): MenuItem[] {
  const { frames, app, row, index, column, time } = o;
  const expr = rowCellFilter(row, column);
  const cell = document.getElementById(`frame-row-${row.id}`)?.querySelector<HTMLElement>(`[data-col="${CSS.escape(column)}"]`)?.textContent?.trim() ?? row.command;
  return [
    ...filterMenu(frames, expr),
    followItem(app, row.connection, row.connectionNumber),
    {
      label: 'Copy', separator: true, testid: 'copy',
      items: [
        { label: 'Value', run: () => contextMenu.copy(cell), testid: 'copy-value' },
        { label: 'Row as text', run: () => contextMenu.copy(rowText(row, time)), testid: 'copy-row' },
        { label: 'As filter', run: () => contextMenu.copy(expr), testid: 'copy-filter' },
        { label: 'As JSON', run: () => contextMenu.copy(JSON.stringify(row, null, 2)), testid: 'copy-json' },
      ],
    },
    compareItems(app, row.id),
    { label: frames.timeRef?.id === row.id ? 'Unset time reference' : 'Set as time reference', run: () => frames.toggleTimeReference(index), testid: 'set-time-ref' },
  ];
}

/** The menu of a header row in the detail pane. */
export function headerMenu(o: { app: AppState; row: FrameRowDto; name: string; value: string }): MenuItem[] {
  const { app, row, name, value } = o;
  const expr = headerFilter(name, value);
  return [
    ...filterMenu(app.frames, expr),
    { label: 'Apply as column', run: () => applyAsColumn(name), testid: 'apply-as-column' },
    followItem(app, row.connection, row.connectionNumber),
    {
      label: 'Copy', separator: true, testid: 'copy',
      items: [
        { label: 'Value', run: () => contextMenu.copy(value), testid: 'copy-value' },
        { label: 'Header line', run: () => contextMenu.copy(`${name}:${value}`), testid: 'copy-row' },
        { label: 'As filter', run: () => contextMenu.copy(expr), testid: 'copy-filter' },
        { label: 'As JSON', run: () => contextMenu.copy(JSON.stringify({ [name]: value })), testid: 'copy-json' },
      ],
    },
    compareItems(app, row.id),
  ];
}

/** The menu of an Expert Info entry (an issue, with the frame it is on or near). */
export function findingMenu(o: { app: AppState; code: string; message: string; frameId: number | null; connection: number | null; connectionNumber: number | null }): MenuItem[] {
  const { app, code, message, frameId, connection, connectionNumber } = o;
  const expr = issueFilter(code);
  const items: MenuItem[] = [...filterMenu(app.frames, expr)];
  items.push({ label: 'Go to frame', disabled: frameId === null, run: () => app.jumpToFrame(frameId!), testid: 'goto-frame', separator: true });
  if (connection !== null) items.push(followItem(app, connection, connectionNumber ?? connection));
  items.push({
    label: 'Copy', separator: true, testid: 'copy',
    items: [
      { label: 'Message', run: () => contextMenu.copy(message), testid: 'copy-value' },
      { label: 'As filter', run: () => contextMenu.copy(expr), testid: 'copy-filter' },
      { label: 'As JSON', run: () => contextMenu.copy(JSON.stringify({ code, message, frame: frameId, connection: connectionNumber })), testid: 'copy-json' },
    ],
  });
  if (frameId !== null) {
    items.push(compareItems(app, frameId));
    items.push({
      label: 'Set as time reference', testid: 'set-time-ref',
      run: async () => {
        await app.jumpToFrame(frameId);
        app.frames.toggleTimeReference();
      },
    });
  }
  return items;
}
