// The UI shell end to end in Debian's Chromium, on seeded sessions (no broker): the three panes and their
// splitters (mouse and keyboard, remembered after a reload), the collapsible sessions sidebar, the global keys
// (/ ? Alt+← Alt+→ Ctrl+G), dialogs (initial focus, Tab kept inside, Escape, focus back to the opener), the theme
// (toggle, remembered, and the system's dark), the status bar, the favicon, the bytes pane's highlight, the JSON
// body, and axe-core on the main view and every dialog in both themes.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { linkSession } from '../read/links-fixture.js';
import { conversation, seedSession } from '../support/seed.js';
import { axeViolations, useChromiumUi, type AxeViolation } from './support.js';

/**
 * axe's violations outside the frame list and the filter bar: those two are built and checked by their own tests
 * (test/e2e of the list); here the shell, the detail and bytes panes, the sidebar and the dialogs are checked.
 */
async function shellViolations(page: Page): Promise<AxeViolation[]> {
  const out: AxeViolation[] = [];
  for (const v of await axeViolations(page)) {
    const targets: string[] = [];
    for (const t of v.targets) {
      const mine = await page.evaluate((sel) => {
        try {
          return !document.querySelector(sel)?.closest('[data-testid=pane-list], form.filter');
        } catch {
          return true;
        }
      }, t);
      if (mine) targets.push(t);
    }
    if (targets.length) out.push({ ...v, targets });
  }
  return out;
}

describe('the UI shell in Chromium', () => {
  let session = 0;
  let single = 0;
  let frames = 0;
  let ids: number[] = [];
  const failed: string[] = [];
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-shell-',
    seed: (core) => {
      const s = seedSession(core.db, { name: 'orders (seeded)', connections: 1, frames: conversation(10, 1) });
      session = s.session;
      frames = s.frames;
      linkSession(core.db, session);
      core.db.prepare(`UPDATE connections SET profile = 'rabbitmq' WHERE session_id = ?`).run(session);
      ids = core.db.prepare(`SELECT id FROM frames WHERE session_id = ? ORDER BY id`).pluck().all(session) as number[];
      single = seedSession(core.db, { name: 'one frame', connections: 1, state: 'interrupted',
        frames: [{ conn: 1, from: 'client', command: 'CONNECT', headers: [['accept-version', '1.2'], ['host', '/'],
          // A long name beside a long unbroken value: the value may break anywhere, the name must not.
          ['x-correlation-identifier-of-the-tracing-system', `trace-${'0123456789abcdef'.repeat(12)}`]] }] }).session;
    },
  });

  const selectedId = (page: Page) => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id');
  const height = (page: Page, testid: string) => page.getByTestId(testid).evaluate((e) => Math.round(e.getBoundingClientRect().height));
  const width = (page: Page, testid: string) => page.getByTestId(testid).evaluate((e) => Math.round(e.getBoundingClientRect().width));
  const focusedTestid = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? null);
  const insideDialog = (page: Page, testid: string) => page.evaluate((t) => !!document.querySelector(`[data-testid=${t}]`)?.contains(document.activeElement), testid);

  /** A fresh page on the seeded session, with nothing remembered from an earlier test. */
  async function fresh(opts: { keepStorage?: boolean } = {}) {
    const { page } = ui;
    page.removeAllListeners('response');
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await ui.open();
    if (!opts.keepStorage) {
      await page.evaluate(() => localStorage.clear());
      await ui.open();
    }
    await page.getByTestId(`session-${session}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('frame-row').count()).toBeGreaterThan(5);
  }

  async function openSessionAndSelect(page: Page, id: number) {
    await page.locator(`[data-testid=frame-row][data-id="${id}"]`).click();
    await expect.poll(() => selectedId(page)).toBe(String(id));
  }

  it('loads with a favicon and no failed request, and says how many frames it displays (with the right plural)', async () => {
    const { page } = ui;
    await page.setViewportSize({ width: 1400, height: 900 });
    failed.length = 0;
    await fresh();
    expect(await page.locator('link[rel=icon]').count()).toBe(1);
    const icon = await page.locator('link[rel=icon]').evaluate((l) => (l as HTMLLinkElement).href);
    expect(await page.evaluate(async (u) => (await fetch(u)).ok, icon)).toBe(true);
    expect(failed).toEqual([]);

    await expect.poll(() => page.getByTestId('frame-count').textContent()).toBe(`Displayed ${frames} of ${frames} frames`);
    expect(await page.getByTestId('status-profile').textContent()).toBe('Broker: RabbitMQ');
    expect(await page.getByTestId('status-state').textContent()).toBe('Complete');
    await openSessionAndSelect(page, ids[3]);
    expect(await page.getByTestId('status-selection').textContent()).toBe(`Frame ${ids[3]} selected`);
    await page.getByTestId('filter-input').fill('command == "CONNECTED"');
    await page.getByTestId('filter-apply').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toBe(`Displayed 1 of ${frames} frames (filtered)`);
    await page.getByTestId(`session-${single}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toBe('Displayed 1 of 1 frame');
    expect(await page.getByTestId('status-state').textContent()).toBe('Interrupted recording');
    expect(await page.getByTestId(`session-${single}`).getByTestId('session-state').textContent()).toBe('interrupted');
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('drags and keys the splitters, remembers the sizes and the collapsed sidebar after a reload', async () => {
    const { page } = ui;
    await page.setViewportSize({ width: 1400, height: 900 });
    await fresh();
    const list0 = await height(page, 'pane-list');
    const box = (await page.getByTestId('splitter-list').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + 80, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => height(page, 'pane-list')).toBe(list0 + 80);

    const bytes0 = await height(page, 'pane-bytes');
    await page.getByTestId('splitter-bytes').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => height(page, 'pane-bytes')).toBe(bytes0 + 32);
    expect(await page.getByTestId('splitter-bytes').getAttribute('aria-valuenow')).toBe(String(bytes0 + 32));
    await page.getByTestId('splitter-sidebar').focus();
    await page.keyboard.press('ArrowRight');
    const side = await width(page, 'sidebar');

    await fresh({ keepStorage: true });
    expect(await height(page, 'pane-list')).toBe(list0 + 80);
    expect(await height(page, 'pane-bytes')).toBe(bytes0 + 32);
    expect(await width(page, 'sidebar')).toBe(side);

    // Collapsed, the sidebar is a narrow rail that still starts a proxy; remembered too.
    await page.getByTestId('sidebar-toggle').click();
    await expect.poll(() => width(page, 'sidebar')).toBeLessThan(60);
    expect(await page.getByTestId(`session-${session}`).count()).toBe(0);
    expect(await page.getByTestId('sidebar-toggle').getAttribute('aria-expanded')).toBe('false');
    await page.reload();
    await expect.poll(() => page.getByTestId('sidebar-toggle').getAttribute('aria-expanded')).toBe('false');
    await page.getByTestId('sidebar-toggle').click();
    await expect.poll(() => page.getByTestId(`session-${session}`).count()).toBe(1);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('gives views without a use for the detail pane the whole height, and keeps the tabs on one line at 1024×700', async () => {
    const { page } = ui;
    await page.setViewportSize({ width: 1024, height: 700 });
    await fresh();
    const tabH = await page.getByTestId('tab-list').evaluate((e) => e.getBoundingClientRect().height);
    expect(await height(page, 'tabs')).toBeLessThanOrEqual(Math.ceil(tabH) + 8);
    const tops = await page.locator('[data-testid^=tab-]').evaluateAll((els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size);
    expect(tops).toBe(1);
    // and none is cut off: every tab can be reached without scrolling the strip.
    const clipped = await page.getByTestId('tabs').evaluate((strip) => {
      const edge = strip.getBoundingClientRect().right;
      return [...strip.querySelectorAll('button')].filter((b) => b.getBoundingClientRect().right > edge + 0.5).map((b) => b.dataset.testid);
    });
    expect(clipped).toEqual([]);
    for (const view of ['diagram', 'expert', 'stats', 'diff']) {
      await page.getByTestId(`tab-${view}`).click();
      await expect.poll(() => page.getByTestId('pane-view').count()).toBe(1);
      expect(await page.getByTestId('pane-detail').count()).toBe(0);
      expect(await page.getByTestId('frame-detail').count()).toBe(0);
    }
    await page.getByTestId('tab-list').click();
    await expect.poll(() => page.getByTestId('pane-detail').count()).toBe(1);
    await page.setViewportSize({ width: 1400, height: 900 });
  }, 120_000);

  it('focuses the filter with /, opens the help with ?, and goes back and forward through selections with Alt+← / Alt+→', async () => {
    const { page } = ui;
    await fresh();
    await openSessionAndSelect(page, ids[1]);
    await page.keyboard.press('/');
    expect(await focusedTestid(page)).toBe('filter-input');
    // Typed in a field, / is a character.
    await page.keyboard.press('/');
    expect(await page.getByTestId('filter-input').inputValue()).toBe('/');
    await page.getByTestId('filter-input').fill('');

    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('help-dialog').isVisible()).toBe(true);
    const help = await page.getByTestId('help-overlay').textContent();
    for (const k of ['Ctrl+G', 'Ctrl+F', 'Ctrl+T', 'Alt+←', 'Alt+→', 'PgUp', 'Home', 'Enter', 'Esc']) expect(help).toContain(k);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('help-dialog').count()).toBe(0);
    expect(await focusedTestid(page)).toBe('frame-list');

    await openSessionAndSelect(page, ids[4]);
    await openSessionAndSelect(page, ids[7]);
    await page.keyboard.press('Alt+ArrowLeft');
    await expect.poll(() => selectedId(page)).toBe(String(ids[4]));
    await page.keyboard.press('Alt+ArrowLeft');
    await expect.poll(() => selectedId(page)).toBe(String(ids[1]));
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(() => selectedId(page)).toBe(String(ids[4]));
    await expect.poll(() => page.getByTestId('detail-time').count()).toBe(1);
    // A new selection after going back drops the forward entries, as a browser does.
    await openSessionAndSelect(page, ids[2]);
    expect(await page.getByTestId('history-forward').isDisabled()).toBe(true);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('goes to a frame number with Ctrl+G, and says so when there is none', async () => {
    const { page } = ui;
    await fresh();
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Control+g');
    await expect.poll(() => page.getByTestId('goto-dialog').isVisible()).toBe(true);
    expect(await focusedTestid(page)).toBe('goto-input');
    await page.keyboard.type('99999999');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('goto-message').textContent()).toBe('There is no frame 99999999 in this session.');
    // Frames are numbered 1..N within their session, in capture order: the one before the last is N-1.
    await page.getByTestId('goto-input').fill(String(ids.length - 1));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('goto-dialog').count()).toBe(0);
    await expect.poll(() => selectedId(page)).toBe(String(ids[ids.length - 2]));
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('dialogs take focus, keep Tab inside, close on Escape and give focus back; disabled buttons say why', async () => {
    const { page } = ui;
    await fresh();
    const dialogs: Array<{ opener: string; dialog: string; first?: string }> = [
      { opener: 'help-button', dialog: 'help-dialog' },
      { opener: 'goto-button', dialog: 'goto-dialog', first: 'goto-input' },
      { opener: 'start-proxy-toggle', dialog: 'proxy-dialog', first: 'proxy-listen' },
    ];
    for (const d of dialogs) {
      await page.getByTestId(d.opener).focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId(d.dialog).isVisible()).toBe(true);
      expect(await insideDialog(page, d.dialog)).toBe(true);
      if (d.first) expect(await focusedTestid(page)).toBe(d.first);
      for (let i = 0; i < 25; i++) {
        await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
        expect(await insideDialog(page, d.dialog)).toBe(true);
      }
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId(d.dialog).count()).toBe(0);
      expect(await focusedTestid(page)).toBe(d.opener);
    }

    // Replay: the Start button is disabled until a target is typed, and says so.
    await openSessionAndSelect(page, ids[5]);
    await page.getByTestId('replay-connection').click();
    await expect.poll(() => page.getByTestId('replay-dialog').isVisible()).toBe(true);
    expect(await focusedTestid(page)).toBe('replay-target');
    expect(await page.getByTestId('replay-start').isDisabled()).toBe(true);
    expect(await page.getByTestId('replay-why').textContent()).toBe('the target broker is required (HOST:PORT)');
    expect(await page.getByTestId('replay-start').getAttribute('title')).toBe('the target broker is required (HOST:PORT)');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('replay-dialog').count()).toBe(0);
    expect(await focusedTestid(page)).toBe('replay-connection');
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('highlights the selected header and the body in the bytes pane; a JSON body opens pretty-printed', async () => {
    const { page } = ui;
    await page.setViewportSize({ width: 1024, height: 700 });
    await fresh();
    const send = ids[5]; // conversation(): CONNECT, CONNECTED, SUBSCRIBE, SEND + RECEIPT of message 0, then the SEND of message 1 (application/json)
    await openSessionAndSelect(page, send);
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SEND');
    expect(await page.getByTestId('body-json').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('detail-body').textContent()).toMatch(/^\{\n {2}"order": 1,/);

    const hexOf = (s: string) => [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const highlighted = async () => (await page.locator('[data-testid=bytes-pane] mark:not([hidden])').evaluateAll((els) => els
      .filter((e) => e.parentElement!.classList.contains('hex')).map((e) => e.textContent).join(''))).replace(/\s+/g, '');
    await page.locator('[data-testid=detail-header-name]', { hasText: 'destination' }).click();
    await expect.poll(highlighted).toBe(hexOf('destination:/queue/orders'));
    await page.getByTestId('body-summary').click();
    const body = await page.getByTestId('body-text').click().then(() => page.getByTestId('detail-body').textContent());
    await expect.poll(highlighted).toBe(hexOf(body!));

    await page.setViewportSize({ width: 1400, height: 900 });
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('keeps header names on one line and the header rows their height when the raw frame is shown, at 1024×700', async () => {
    const { page } = ui;
    await page.setViewportSize({ width: 1024, height: 700 });
    await fresh();
    await page.getByTestId(`session-${single}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('frame-row').count()).toBe(1);
    await page.getByTestId('frame-row').click();
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('CONNECT');
    // Header names are whole words on one line, at the narrowest supported window.
    // (A text node broken across lines has one client rect per line.)
    const lines = await page.locator('[data-testid=detail-headers] tbody td:first-child').evaluateAll((cells) => cells.map((c) => {
      const walk = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
      let most = 0;
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const r = document.createRange();
        r.selectNodeContents(n);
        most = Math.max(most, r.getClientRects().length);
      }
      return most;
    }));
    expect(lines).toEqual(lines.map(() => 1));
    const rowHeights = () => page.locator('[data-testid=detail-headers] tbody tr').evaluateAll((rows) => rows.map((r) => Math.round(r.getBoundingClientRect().height)));
    const before = await rowHeights();
    await page.getByLabel('raw frame').check();
    expect(await rowHeights()).toEqual(before);
    await page.setViewportSize({ width: 1400, height: 900 });
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);

  it('toggles the theme (remembered), follows the system dark, and has no serious axe violation in either theme, dialogs included', async () => {
    const { page } = ui;
    await fresh();
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme ?? 'system');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await theme()).toBe('system');
    const light = await bg();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bg();
    expect(dark).not.toBe(light);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('light');
    await page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('dark');
    expect(await bg()).toBe(dark);
    await page.reload();
    await expect.poll(theme).toBe('dark');
    await page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('system');

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await fresh();
      await openSessionAndSelect(page, ids[8]);
      await page.getByTestId('body-summary').click();
      expect(await shellViolations(page), `main view, ${scheme}`).toEqual([]);
      for (const [opener, dialog] of [['help-button', 'help-dialog'], ['goto-button', 'goto-dialog'], ['start-proxy-toggle', 'proxy-dialog'],
        ['replay-connection', 'replay-dialog'], ['resend-frame', 'resend-dialog']]) {
        await page.getByTestId(opener).click();
        await expect.poll(() => page.getByTestId(dialog).isVisible()).toBe(true);
        expect(await shellViolations(page), `${dialog}, ${scheme}`).toEqual([]);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.getByTestId(dialog).count()).toBe(0);
      }
      await page.getByTestId(`session-${session}`).getByTestId('session-menu').click();
      expect(await shellViolations(page), `session menu, ${scheme}`).toEqual([]);
      await page.keyboard.press('Escape');
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(ui.consoleProblems).toEqual([]);
    expect(ui.pageErrors).toEqual([]);
  }, 180_000);
});
