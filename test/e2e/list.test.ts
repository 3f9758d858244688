// End to end in Debian's Chromium: the frame list as a keyboard user and a Wireshark user meet it. Focus never
// leaves the list (End then ↑, PgUp twice, Home, after a related-frame chip or an Expert Info entry); Ctrl+F finds;
// columns sort (in the core), resize, hide, take a header ("Apply as column") and are remembered after a reload; the
// Time column's formats and Ctrl+T; the context menus of rows, detail headers and findings; colouring rules; the
// filter bar's completion, history, saved filters and "did you mean"; axe in light and dark with menus and dialogs
// open. No broker needed: the session is seeded.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { linkSession } from '../read/links-fixture.js';
import { conversation, seedSession, type SeedFrame } from '../support/seed.js';
import { axeViolations, useChromiumUi, type AxeViolation } from './support.js';

/** What this file builds: the list, the filter bar, the find bar, the menus, the completion and the colouring dialog. */
const OURS = ['[data-testid=list-head]', '[data-testid=frame-list]', 'form.filter', '[data-testid=find-bar]', '[data-testid=context-menu]',
  '[data-testid=filter-completions]', '[data-testid=colouring-dialog]', '[data-testid=filter-suggestion]'];

/** axe-core's critical and serious violations in the parts of the page this file's features draw. */
async function axeOurs(page: Page): Promise<AxeViolation[]> {
  await axeViolations(page);
  return page.evaluate(async (include) => {
    const present = include.filter((s) => document.querySelector(s));
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run({ include: present.map((s) => [s]) }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, OURS);
}

/** conversation() with an ERROR from the broker after the 3rd SEND (an Expert Info entry to right-click). */
function* withError(n: number): Generator<SeedFrame> {
  let sends = 0;
  for (const f of conversation(n, 2)) {
    yield f;
    if (f.command === 'SEND' && ++sends === 3) {
      yield { conn: 1, from: 'broker', command: 'ERROR', headers: [['message', 'access refused']], body: 'no write permission',
        issues: [{ code: 'error-frame', severity: 'error', message: 'ERROR from the broker: access refused' }] };
    }
  }
}

describe('the frame list in Chromium', () => {
  let session = 0;
  let total = 0;
  let firstId = 0;
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-list-',
    seed: (core) => {
      const s = seedSession(core.db, { name: 'list', connections: 2, frames: withError(400) });
      session = s.session;
      total = s.frames;
      linkSession(core.db, session);
      firstId = core.db.prepare('SELECT min(id) FROM frames WHERE session_id = ?').pluck().get(session) as number;
    },
  });

  const selectedId = (page: Page) => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id').then(Number);
  const focusedTestId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);
  const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

  /** A fresh page on the session: the user's remembered columns, colours and filters cleared first. */
  async function openList(opts: { keep?: boolean } = {}): Promise<Page> {
    const { page } = ui;
    await ui.open();
    if (!opts.keep) {
      await page.evaluate(() => localStorage.clear());
      await ui.open();
    }
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ui.host.url).origin });
    await page.getByTestId(`session-${session}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('frame-row').count()).toBeGreaterThan(10);
    return page;
  }

  function noProblems() {
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }

  it('keeps the keyboard in the list: End then ↑, PgUp twice, Home, Enter, and after a chip or an Expert Info click', async () => {
    const page = await openList();
    await page.locator('[data-testid=frame-row]').nth(2).click();
    expect(await focusedTestId(page)).toBe('frame-list');
    await page.keyboard.press('End');
    await expect.poll(() => selectedId(page)).toBe(firstId + total - 1);
    expect(await focusedTestId(page)).toBe('frame-list');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => selectedId(page)).toBe(firstId + total - 2);
    await page.keyboard.press('PageUp');
    await page.keyboard.press('PageUp');
    const afterPages = await selectedId(page);
    expect(afterPages).toBeLessThan(firstId + total - 20);
    expect(await focusedTestId(page)).toBe('frame-list');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => selectedId(page)).toBe(afterPages + 1);
    await page.keyboard.press('Home');
    await expect.poll(() => selectedId(page)).toBe(firstId);
    expect(await page.getByTestId('frame-list').getAttribute('aria-activedescendant')).toBe(`frame-row-${firstId}`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('CONNECT');

    // A related-frame chip: the list takes the keys again.
    for (let k = 0; k < 6; k++) await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SEND');
    const chip = page.locator('[data-testid=related-frame][data-kind=receipt]');
    await expect.poll(() => chip.count()).toBe(1);
    const receipt = Number(await chip.getAttribute('data-id'));
    await chip.click();
    await expect.poll(() => selectedId(page)).toBe(receipt);
    await expect.poll(() => focusedTestId(page)).toBe('frame-list');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => selectedId(page)).toBe(receipt + 1);

    // An Expert Info entry: the same.
    await page.getByTestId('tab-expert').click();
    const code = page.locator('[data-testid=expert-code][data-code=error-frame]');
    await code.getByTestId('expert-toggle').click();
    const entry = code.getByTestId('expert-entry').first();
    const errorId = Number(await entry.getAttribute('data-frame'));
    await entry.click();
    await expect.poll(() => selectedId(page)).toBe(errorId);
    await expect.poll(() => focusedTestId(page)).toBe('frame-list');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => selectedId(page)).toBe(errorId - 1);
    noProblems();
  }, 120_000);

  it('finds with Ctrl+F by command, header value or body text, next and previous, wrapping, and says "not found"', async () => {
    const page = await openList();
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Control+f');
    await expect.poll(() => focusedTestId(page)).toBe('find-input');
    // Body text: "answer 42" is in the bodies of orders 0, 10, 20… (SEND and MESSAGE).
    await page.keyboard.type('answer 42');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SEND');
    const first = await selectedId(page);
    expect(await page.getByTestId('frame-detail').textContent()).toContain('answer 42');
    await page.getByTestId('find-next').click();
    await expect.poll(() => selectedId(page)).toBeGreaterThan(first);
    await page.getByTestId('find-prev').click();
    await expect.poll(() => selectedId(page)).toBe(first);
    // Backwards from the first wraps to the last.
    await page.getByTestId('find-prev').click();
    await expect.poll(() => page.getByTestId('find-status').textContent()).toBe('wrapped around');
    expect(await selectedId(page)).toBeGreaterThan(first);
    // A header value, and a command.
    await page.getByTestId('find-input').fill('r-77');
    await page.getByTestId('find-input').press('Enter');
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true] .ref').textContent()).toBe('r-77');
    await page.getByTestId('find-input').fill('disconnect');
    await page.getByTestId('find-input').press('Enter');
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true] .cmd').textContent()).toBe('DISCONNECT');
    const shownBefore = await page.getByTestId('frame-count').textContent();
    await page.getByTestId('find-input').fill('no such thing anywhere');
    await page.getByTestId('find-input').press('Enter');
    await expect.poll(() => page.getByTestId('find-status').textContent()).toBe('not found');
    // A find, not a filter.
    expect(await page.getByTestId('frame-count').textContent()).toBe(shownBefore);
    await ui.shot('list-find');
    await page.getByTestId('find-input').press('Escape');
    expect(await page.getByTestId('find-bar').count()).toBe(0);
    await expect.poll(() => focusedTestId(page)).toBe('frame-list');
    noProblems();
  }, 120_000);

  it('sorts in the core, resizes, hides, applies a header as a column, and remembers it all after a reload', async () => {
    let page = await openList();
    const cmds = () => page.locator('[data-testid=frame-row] .cmd').allTextContents();
    await page.getByTestId('sort-command').click();
    await expect.poll(async () => (await cmds())[0]).toBe('ACK');
    expect(await page.getByTestId('sort-command').getAttribute('data-sort')).toBe('ascending');
    await page.getByTestId('sort-command').click();
    await expect.poll(async () => (await cmds())[0]).toBe('SUBSCRIBE');
    // The end of a sorted million-row list is the core's, not the window's: End shows the first command in order.
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true] .cmd').textContent()).toBe('ACK');

    // Resize the Destination column by dragging its edge.
    const head = page.getByTestId('col-head-destination');
    const w0 = (await head.boundingBox())!.width;
    const grip = (await page.getByTestId('col-grip-destination').boundingBox())!;
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(grip.x + 60, grip.y + grip.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => (await head.boundingBox())!.width - w0).toBeGreaterThan(50);
    expect((await head.boundingBox())!.width - w0).toBeLessThan(70);

    // Hide the Sub / id / receipt column from the columns menu.
    await page.getByTestId('columns-menu').click();
    await page.getByTestId('columns-submenu').click();
    await page.getByTestId('column-toggle-ref').click();
    await expect.poll(() => page.getByTestId('col-head-ref').count()).toBe(0);

    // Apply as column, from a header row of the detail pane.
    await page.locator('[data-testid=frame-row]').first().click();
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SUBSCRIBE');
    await page.locator('[data-testid=detail-header-row]', { hasText: 'ack' }).first().click({ button: 'right' });
    await page.getByTestId('apply-as-column').click();
    await expect.poll(() => page.getByTestId('col-head-h:ack').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true] [data-testid=header-cell]').textContent()).toBe('client-individual');
    await ui.shot('list-columns');

    // Reload: the sort, the width, the hidden column and the header column are the user's.
    page = await openList({ keep: true });
    await expect.poll(async () => (await cmds())[0]).toBe('SUBSCRIBE');
    expect(await page.getByTestId('sort-command').getAttribute('data-sort')).toBe('descending');
    expect(await page.getByTestId('col-head-ref').count()).toBe(0);
    expect(await page.getByTestId('col-head-h:ack').count()).toBe(1);
    expect(Math.round((await page.getByTestId('col-head-destination').boundingBox())!.width)).toBeGreaterThan(Math.round(w0) + 40);
    noProblems();
  }, 120_000);

  it('shows time as relative, absolute, delta from the previous displayed frame, and from a reference set with Ctrl+T', async () => {
    const page = await openList();
    const timeOf = (i: number) => page.locator('[data-testid=frame-row] .time').nth(i).textContent();
    // Seeded frames are 1 ms apart.
    expect(await timeOf(3)).toBe('0.003000');
    const pick = async (format: string) => {
      await page.getByTestId('col-head-time').click({ button: 'right' });
      await page.getByTestId('time-format').click();
      await page.getByTestId(`time-${format}`).click();
    };
    await pick('absolute');
    await expect.poll(() => timeOf(0)).toMatch(/^\d\d:\d\d:\d\d\.\d{6}$/);
    await pick('delta');
    await expect.poll(() => timeOf(3)).toBe('0.001000');
    // Delta from the previous *displayed* frame: through a filter, the gaps between shown frames.
    await page.getByTestId('filter-input').fill('command == "SUBSCRIBE"');
    await page.getByTestId('filter-input').press('Enter');
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed 2 of [\d,]+ frames? \(filtered\)$/);
    await expect.poll(() => timeOf(1)).toBe('0.003000');
    await page.getByTestId('filter-clear').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed ([\d,]+) of \1 frames$/);

    await page.locator('[data-testid=frame-row]').nth(5).click();
    await page.keyboard.press('Control+t');
    await expect.poll(() => page.getByTestId('time-ref-marker').count()).toBe(1);
    expect(await page.locator('[data-testid=frame-row][aria-selected=true] [data-testid=time-ref-marker]').count()).toBe(1);
    expect(await timeOf(5)).toBe('0.000000');
    expect(await timeOf(7)).toBe('0.002000');
    expect(await timeOf(4)).toBe('-0.001000');
    expect(await page.getByTestId('sort-time').textContent()).toContain('Δ ref');
    // Ctrl+T again on the same frame: no reference.
    await page.keyboard.press('Control+t');
    await expect.poll(() => page.getByTestId('time-ref-marker').count()).toBe(0);
    expect(await timeOf(5)).toBe('0.005000');
    noProblems();
  }, 120_000);

  it('offers the row menu: apply and prepare as filter, follow connection, copy, compare with, time reference — by mouse and keyboard', async () => {
    const page = await openList();
    const count = () => page.getByTestId('frame-count').textContent();
    const row = page.locator('[data-testid=frame-row]').nth(2);
    await row.locator('.dest').click({ button: 'right' });
    await page.getByTestId('apply-as-filter').click();
    await page.getByTestId('apply-selected').click();
    await expect.poll(() => page.getByTestId('filter-input').inputValue()).toBe('destination == "/queue/orders"');
    await expect.poll(count).toMatch(/\(filtered\)$/);
    const ordersCount = await count();

    // Prepare …and not selected (on a command cell): the filter bar holds it, nothing applied yet.
    await page.locator('[data-testid=frame-row] .cmd', { hasText: 'MESSAGE' }).first().click({ button: 'right' });
    await page.getByTestId('prepare-as-filter').click();
    await page.getByTestId('prepare-and-not').click();
    expect(await page.getByTestId('filter-input').inputValue()).toBe('destination == "/queue/orders" and not command == "MESSAGE"');
    expect(await focusedTestId(page)).toBe('filter-input');
    expect(await count()).toBe(ordersCount);
    await page.getByTestId('filter-input').press('Enter');
    await expect.poll(count).not.toBe(ordersCount);

    // Copy: value, row, as filter, as JSON.
    await page.getByTestId('filter-clear').click();
    await expect.poll(count).toMatch(/^Displayed ([\d,]+) of \1 frames$/);
    await expect.poll(() => page.locator('[data-testid=frame-row]').nth(2).locator('.cmd').textContent()).toBe('SUBSCRIBE');
    const copy = async (what: string) => {
      await page.locator('[data-testid=frame-row]').nth(2).locator('.cmd').click({ button: 'right' });
      await page.getByTestId('copy').click();
      await page.getByTestId(`copy-${what}`).click();
      return clipboard(page);
    };
    expect(await copy('value')).toBe('SUBSCRIBE');
    expect(await copy('filter')).toBe('command == "SUBSCRIBE"');
    expect((await copy('row')).split('\t').slice(2, 6)).toEqual(['#1', '→', 'SUBSCRIBE', '/queue/orders']);
    expect(JSON.parse(await copy('json'))).toMatchObject({ command: 'SUBSCRIBE', destination: '/queue/orders', ref: 'sub-1' });

    // Compare with: A then B opens the compare view.
    await page.locator('[data-testid=frame-row]').nth(0).click({ button: 'right' });
    await page.getByTestId('compare-with').click();
    await page.getByTestId('compare-a').click();
    await page.locator('[data-testid=frame-row]').nth(3).click({ button: 'right' });
    await page.getByTestId('compare-with').click();
    await page.getByTestId('compare-b').click();
    await expect.poll(() => page.getByTestId('tab-diff').getAttribute('class')).toContain('active');
    await page.getByTestId('tab-list').click();

    // Set as time reference.
    await page.locator('[data-testid=frame-row]').nth(4).click({ button: 'right' });
    await page.getByTestId('set-time-ref').click();
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true] [data-testid=time-ref-marker]').count()).toBe(1);

    // Keyboard: Shift+F10 on the selected row, arrows into the submenu, Enter; Escape closes and gives the list its focus back.
    await page.locator('[data-testid=frame-row]').nth(1).click();
    await page.keyboard.press('Shift+F10');
    await expect.poll(() => focusedTestId(page)).toBe('apply-as-filter');
    await ui.shot('list-row-menu');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => focusedTestId(page)).toBe('apply-selected');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('filter-input').inputValue()).toBe('not command == "CONNECTED"');
    // The filtered list is in place (the count says so) and a row of it is selected before the menu key is pressed.
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/\(filtered\)$/);
    await page.locator('[data-testid=frame-row]').nth(2).click();
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true]').count()).toBe(1);
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Shift+F10');
    await expect.poll(() => page.getByTestId('context-menu').count()).toBe(1);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('context-menu').count()).toBe(0);
    await expect.poll(() => focusedTestId(page)).toBe('frame-list');

    // Follow connection: the transcript of that connection (#1), both ways.
    await page.locator('[data-testid=frame-row]').nth(1).click({ button: 'right' });
    expect(await page.getByTestId('follow-connection').textContent()).toContain('Follow connection #1');
    await page.getByTestId('follow-connection').click();
    await expect.poll(() => page.getByTestId('follow-entry').count()).toBeGreaterThan(1);
    expect(await page.getByTestId('follow-view').count()).toBe(1);
    noProblems();
  }, 120_000);

  it('offers the menu on detail header rows and on Expert Info entries', async () => {
    const page = await openList();
    await page.locator('[data-testid=frame-row]').nth(2).click();
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SUBSCRIBE');
    const idRow = page.locator('[data-testid=detail-header-row]', { hasText: 'sub-1' }).first();
    await idRow.click({ button: 'right' });
    await page.getByTestId('copy').click();
    await page.getByTestId('copy-filter').click();
    expect(await clipboard(page)).toBe('header["id"] == "sub-1"');
    // Keyboard on a header row: focus it and press the Menu key.
    await idRow.focus();
    await page.keyboard.press('ContextMenu');
    await expect.poll(() => focusedTestId(page)).toBe('apply-as-filter');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('filter-input').inputValue()).toBe('header["id"] == "sub-1"');
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed 1 of [\d,]+ frames? \(filtered\)$/);
    await page.getByTestId('filter-clear').click();

    await page.getByTestId('tab-expert').click();
    const code = page.locator('[data-testid=expert-code][data-code=error-frame]');
    await code.getByTestId('expert-toggle').click();
    await code.getByTestId('expert-entry').first().click({ button: 'right' });
    await ui.shot('list-finding-menu');
    await page.getByTestId('apply-as-filter').click();
    await page.getByTestId('apply-selected').click();
    await expect.poll(() => page.getByTestId('filter-input').inputValue()).toBe('issue.code == "error-frame"');
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed 1 of [\d,]+ frames? \(filtered\)$/);
    noProblems();
  }, 120_000);

  it('colours rows by editable rules evaluated in the core, and resets them', async () => {
    const page = await openList();
    const sendRow = page.locator('[data-testid=frame-row]', { has: page.locator('.cmd', { hasText: /^SEND$/ }) }).first();
    await expect.poll(() => sendRow.getAttribute('data-colour')).toBe('cmd-send');
    const bg0 = await sendRow.evaluate((el) => getComputedStyle(el).backgroundColor);
    await expect.poll(() => page.locator('[data-testid=frame-row]', { has: page.locator('.cmd', { hasText: 'ERROR' }) }).first().getAttribute('data-colour')).toBe('danger-soft');

    await page.getByTestId('columns-menu').click();
    await page.getByTestId('colouring-rules').click();
    const dialog = page.getByTestId('colouring-dialog');
    await expect.poll(() => dialog.count()).toBe(1);
    // The defaults: Errors, Warnings, ERROR, Connect, SEND, …
    const sendRule = dialog.getByTestId('colour-rule').nth(4);
    expect(await sendRule.getByTestId('rule-name').inputValue()).toBe('SEND');
    await sendRule.getByTestId('rule-colour').selectOption('warning-soft');
    // A new rule on top, first match wins; a broken filter blocks OK.
    await dialog.getByTestId('rule-add').click();
    const added = dialog.getByTestId('colour-rule').first();
    await added.getByTestId('rule-filter').fill('destination ==');
    expect(await dialog.getByTestId('rules-ok').isDisabled()).toBe(true);
    await added.getByTestId('rule-filter').fill('header["receipt"] == "r-1"');
    await added.getByTestId('rule-colour').selectOption('ok-soft');
    await ui.shot('list-colouring-dialog');
    await dialog.getByTestId('rules-ok').click();
    await expect.poll(() => sendRow.getAttribute('data-colour')).toBe('warning-soft');
    expect(await sendRow.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(bg0);
    await expect.poll(() => page.locator('[data-testid=frame-row][data-colour=ok-soft]').count()).toBe(1);

    await page.getByTestId('columns-menu').click();
    await page.getByTestId('colouring-rules').click();
    await page.getByTestId('rules-reset').click();
    await page.getByTestId('rules-ok').click();
    await expect.poll(() => sendRow.getAttribute('data-colour')).toBe('cmd-send');
    noProblems();
  }, 120_000);

  it('completes fields, commands and header names, keeps a history and saved filters, and asks "did you mean =="', async () => {
    const page = await openList();
    const input = page.getByTestId('filter-input');
    await input.click();
    await page.keyboard.type('comm');
    await expect.poll(() => page.getByTestId('filter-completion').allTextContents()).toEqual([expect.stringContaining('command')]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await input.inputValue()).toBe('command');
    await page.keyboard.type(' == "SU');
    await expect.poll(() => page.getByTestId('filter-completion').allTextContents()).toEqual([expect.stringContaining('SUBSCRIBE')]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    expect(await input.inputValue()).toBe('command == "SUBSCRIBE"');
    await page.keyboard.type(' and header["rec');
    await expect.poll(() => page.getByTestId('filter-completion').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('receipt')]));
    await ui.shot('list-completion');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('filter-completion').count()).toBe(0);

    // "did you mean ==".
    await input.fill('command = "SEND"');
    await expect.poll(() => page.getByTestId('filter-suggestion').textContent()).toContain('did you mean "=="');
    await page.getByTestId('filter-suggestion-use').click();
    expect(await input.inputValue()).toBe('command == "SEND"');
    await input.press('Enter');
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed 400 of [\d,]+ frames? \(filtered\)$/);
    await input.fill('command == "ACK"');
    await input.press('Enter');
    // Applied when the count is no longer the SEND filter's 400 (both are "(filtered)").
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed (?!400 )[\d,]+ of [\d,]+ frames? \(filtered\)$/);

    // History: ↑ goes back through what was applied; Escape reverts to the filter in force, then clears it.
    await expect.poll(() => page.evaluate(() => (JSON.parse(localStorage.getItem('stompscope.filters.v1') ?? '{}') as { history?: string[] }).history?.slice(0, 2)))
      .toEqual(['command == "ACK"', 'command == "SEND"']);
    await input.fill('');
    await input.press('ArrowUp');
    expect(await input.inputValue()).toBe('command == "ACK"');
    await input.press('ArrowUp');
    expect(await input.inputValue()).toBe('command == "SEND"');
    await input.press('Escape');
    expect(await input.inputValue()).toBe('command == "ACK"');
    await input.press('Escape');
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed ([\d,]+) of \1 frames$/);
    await page.getByTestId('filter-history').click();
    await expect.poll(() => page.getByTestId('history-1').textContent()).toContain('command == "SEND"');
    await page.getByTestId('history-1').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed 400 of [\d,]+ frames? \(filtered\)$/);

    // Saved filters: a name and an expression, remembered after a reload.
    await page.getByTestId('filter-saved').click();
    await page.getByTestId('save-filter').click();
    await page.getByTestId('save-filter-name').fill('sends');
    await page.getByTestId('save-filter-ok').click();
    const again = await openList({ keep: true });
    await again.getByTestId('filter-saved').click();
    expect(await again.getByTestId('saved-0').textContent()).toContain('sends — command == "SEND"');
    await again.getByTestId('saved-0').click();
    await expect.poll(() => again.getByTestId('frame-count').textContent()).toMatch(/^Displayed 400 of [\d,]+ frames? \(filtered\)$/);
    noProblems();
  }, 120_000);

  it('has no serious accessibility violation, light and dark, with the menus, the find bar and the dialog open; Info stays wide at 1024×700', async () => {
    const page = await openList();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1024, height: 700 });
      // At 1024×700 the Info column keeps room to be read.
      await expect.poll(async () => { const b = (await page.getByTestId('col-head-info').boundingBox())!; return Math.min(b.width, 1024 - b.x); }).toBeGreaterThanOrEqual(150);
      await page.locator('[data-testid=frame-row]').nth(3).click();
      await page.keyboard.press('Control+f');
      await page.keyboard.type('answer');
      await page.locator('[data-testid=frame-row]').nth(3).locator('.cmd').click({ button: 'right' });
      await page.getByTestId('copy').hover();
      await ui.shot(`list-1024-${scheme}`);
      expect(await axeOurs(page)).toEqual([]);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      await page.getByTestId('filter-input').fill('');
      await page.keyboard.type('he');
      await expect.poll(() => page.getByTestId('filter-completion').count()).toBeGreaterThan(0);
      expect(await axeOurs(page)).toEqual([]);
      await page.keyboard.press('Escape');
      await page.getByTestId('filter-input').fill('');
      await page.getByTestId('columns-menu').click();
      await page.getByTestId('colouring-rules').click();
      await page.setViewportSize({ width: 2560, height: 1440 });
      await ui.shot(`list-colouring-2560-${scheme}`);
      expect(await axeOurs(page)).toEqual([]);
      await page.getByTestId('rules-cancel').click();
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1400, height: 900 });
    noProblems();
  }, 180_000);
});
