// End to end in Debian's Chromium, through the web host, on seeded sessions (no broker needed): the sequence diagram
// of 50 connections (lanes fit the width, the rest in one lane, sticky lane headers, labels inside the view, zoom on
// both axes, selection in step with the list, scroll back to the top for another session), the statistics view
// (legends, series toggled, axis labels apart, CSV and SVG exports), Compare (counts, hide unchanged, +/− marks, the
// previous frame on a destination), Expert Info rows unfolded by a click anywhere on them and by the keyboard, the
// Connections view (columns, sort, a row filters the list) and Follow connection. Every view passes axe-core in the
// light and the dark theme; the page logs no error or warning.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { linkSession } from '../read/links-fixture.js';
import { conversation, seedSession, type SeedFrame } from '../support/seed.js';
import { axeViolations, SHOTS, useChromiumUi } from './support.js';

/** conversation() with an ERROR from the broker after the 3rd SEND and a note on a later frame. */
function* withFindings(conns: number): Generator<SeedFrame> {
  let sends = 0;
  for (const f of conversation(40, conns)) {
    yield f;
    if (f.command === 'SEND' && ++sends === 3) {
      yield { conn: 1, from: 'broker', command: 'ERROR', headers: [['message', 'access refused']], body: 'no write permission',
        issues: [{ code: 'error-frame', severity: 'error', message: 'ERROR from the broker: access refused' }] };
    }
  }
}

describe('the views in Chromium', () => {
  let big = 0;
  let small = 0;
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-views-',
    seed: (core) => {
      big = seedSession(core.db, { name: 'fifty connections', connections: 50, frames: conversation(400, 50) }).session;
      linkSession(core.db, big);
      small = seedSession(core.db, { name: 'two connections', connections: 2, frames: withFindings(2) }).session;
      linkSession(core.db, small);
      // The recorder keeps per-connection counts as it writes; the seed writes frames only.
      core.db.prepare(`UPDATE connections SET frames_client = (SELECT count(*) FROM frames f WHERE f.connection_id = connections.id AND f.dir = 0),
        frames_broker = (SELECT count(*) FROM frames f WHERE f.connection_id = connections.id AND f.dir = 1),
        bytes_client = (SELECT coalesce(sum(length), 0) FROM frames f WHERE f.connection_id = connections.id AND f.dir = 0),
        bytes_broker = (SELECT coalesce(sum(length), 0) FROM frames f WHERE f.connection_id = connections.id AND f.dir = 1)`).run();
    },
  });

  // What the page had logged before this test: each test checks only its own.
  let marks = { errors: 0, console: 0, failed: 0 };
  // Paths the page failed to load (none may fail).
  const failed: string[] = [];
  let listening = false;
  const clean = () => {
    expect(ui.pageErrors.slice(marks.errors), JSON.stringify(ui.pageErrors.slice(marks.errors))).toEqual([]);
    expect(failed.slice(marks.failed)).toEqual([]);
    expect(ui.consoleProblems.slice(marks.console)).toEqual([]);
  };

  /** A fresh page with `session` open in the frame list. */
  async function openSession(session: number): Promise<Page> {
    const { page } = ui;
    if (!listening) {
      listening = true;
      page.on('console', (m) => {
        if (m.type() === 'error' && m.text().startsWith('Failed to load resource')) failed.push(new URL(m.location().url || 'about:blank').pathname);
      });
    }
    marks = { errors: ui.pageErrors.length, console: ui.consoleProblems.length, failed: failed.length };
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    await ui.open();
    await page.getByTestId(`session-${session}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('frame-row').count()).toBeGreaterThan(5);
    return page;
  }

  /**
   * No critical or serious axe-core violation inside the view (`root`, a data-testid), in the light and in the dark
   * theme. The page around it (sidebar, tabs, detail pane) has its own tests.
   */
  async function accessible(page: Page, name: string, root: string): Promise<void> {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const all = await axeViolations(page);
      const found = (await Promise.all(all.map(async (v) => ({
        ...v,
        targets: await page.evaluate(([targets, r]) => targets.filter((t) => document.querySelector(t)?.closest(`[data-testid="${r}"]`)), [v.targets, root] as const),
      })))).filter((v) => v.targets.length);
      expect(found, `${name}, ${scheme}: ${JSON.stringify(found)}`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  /** Screenshots at 1024×700 and 2560×1440 (dark), then back to the harness's size. */
  async function shots(page: Page, name: string): Promise<void> {
    // A resize makes the views lay out again (the diagram asks the core for its rows): let that land first. Only
    // the pictures wait on it; no assertion does.
    const settled = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 300)))));
    await page.setViewportSize({ width: 1024, height: 700 });
    await settled();
    await ui.shot(`views-${name}-1024`);
    await page.setViewportSize({ width: 2560, height: 1440 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await settled();
    await ui.shot(`views-${name}-2560-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1400, height: 900 });
  }

  const box = async (page: Page, selector: string) => (await page.locator(selector).first().boundingBox())!;

  it('draws 50 connections readably: lanes fit, sticky headers, labels in view, zoom on both axes, selection in step, scroll reset', async () => {
    const page = await openSession(big);
    await page.getByTestId('tab-diagram').click();
    await expect.poll(() => page.getByTestId('diagram-arrow').count()).toBeGreaterThan(10);
    const diagram = page.getByTestId('diagram');

    // Lanes share the width: no sideways scrolling at 100%, and the connections that do not fit share one lane.
    const fits = () => diagram.evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(await fits()).toBe(true);
    expect(await page.locator('[data-testid=diagram-lane][data-key=others]').count()).toBe(1);
    expect(await page.locator('[data-testid=diagram-lane][data-key=broker]').count()).toBe(1);
    const shown = await page.getByTestId('lanes-button').textContent();
    expect(shown).toMatch(/Connections: \d+ of 50 shown/);

    // Every label on screen is inside the diagram's box.
    const inside = async () => {
      const view = (await diagram.boundingBox())!;
      const labels = await page.getByTestId('diagram-label').evaluateAll((els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: e.textContent };
      }));
      const visible = labels.filter((l) => l.bottom > view.y && l.top < view.y + view.height && l.text);
      expect(visible.length).toBeGreaterThan(5);
      for (const l of visible) {
        expect(l.left, l.text!).toBeGreaterThanOrEqual(view.x - 0.5);
        expect(l.right, l.text!).toBeLessThanOrEqual(view.x + view.width + 0.5);
      }
    };
    await inside();

    // Lane headers stay at the top while the rows scroll.
    const top0 = (await diagram.boundingBox())!.y;
    await diagram.evaluate((el) => el.scrollTo({ top: 3000 }));
    await expect.poll(() => page.locator('[data-testid=diagram-arrow]').evaluateAll((els) => els.some((e) => Number(e.getAttribute('data-id')) > 120))).toBe(true);
    const head = await box(page, '[data-testid=diagram-lane-headers]');
    expect(Math.abs(head.y - top0)).toBeLessThan(1);
    expect(await page.getByTestId('diagram-lane-headers').isVisible()).toBe(true);
    await inside();
    await accessible(page, 'diagram', 'diagram-view');
    await shots(page, 'diagram-50');

    // Zoom the time axis (button, key, Ctrl+wheel) and the lanes (button, key).
    const spacing = async () => {
      const ys = await page.getByTestId('diagram-arrow').evaluateAll((els) => els.slice(0, 2).map((e) => e.getBoundingClientRect().top));
      return ys[1] - ys[0];
    };
    const before = await spacing();
    await page.getByTestId('zoom-y-in').click();
    await expect.poll(spacing).toBeGreaterThan(before * 1.2);
    expect(await page.getByTestId('zoom-y').textContent()).toBe('125%');
    await diagram.focus();
    await page.keyboard.press('-');
    await expect.poll(() => page.getByTestId('zoom-y').textContent()).toBe('100%');
    const dBox = (await diagram.boundingBox())!;
    await page.mouse.move(dBox.x + dBox.width / 2, dBox.y + dBox.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await expect.poll(() => page.getByTestId('zoom-y').textContent()).toBe('125%');
    const laneGap = async () => {
      const xs = await page.getByTestId('diagram-lane').evaluateAll((els) => els.slice(0, 2).map((e) => e.getBoundingClientRect().left));
      return xs[1] - xs[0];
    };
    const lanes = await laneGap();
    await page.getByTestId('zoom-x-in').click();
    await expect.poll(laneGap).toBeGreaterThan(lanes * 1.1);
    await diagram.focus();
    await page.keyboard.press(']');
    await expect.poll(() => page.getByTestId('zoom-x').textContent()).toBe('156%');
    expect(await fits()).toBe(false);
    await page.keyboard.press('0');
    await expect.poll(() => page.getByTestId('zoom-x').textContent()).toBe('100%');
    await expect.poll(fits).toBe(true);

    // Picking the lanes: only the ones chosen get a lane.
    await page.getByTestId('lanes-button').click();
    await page.getByTestId('lanes-auto').click();
    const first = page.getByTestId('lane-choice').first();
    const firstConn = await first.getAttribute('data-connection');
    const had = await first.isChecked();
    await first.click();
    await expect.poll(() => page.locator(`[data-testid=diagram-lane][data-key=c${firstConn}]`).count()).toBe(had ? 0 : 1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('lanes-menu').count()).toBe(0);

    // Diagram → list: a click selects the frame in the list.
    await diagram.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect.poll(() => page.getByTestId('diagram-arrow').evaluateAll((els) => Math.min(...els.map((e) => Number(e.getAttribute('data-id')))))).toBeLessThan(60);
    const arrow = page.getByTestId('diagram-arrow').nth(6);
    const id = await arrow.getAttribute('data-id');
    await arrow.locator('rect').first().click();
    await expect.poll(() => page.locator('[data-testid=diagram-arrow].selected').getAttribute('data-id')).toBe(id);
    await page.getByTestId('tab-list').click();
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id')).toBe(id);
    // List → diagram: the row selected in the list is scrolled into view in the diagram.
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('End');
    const last = await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id')).not.toBe(id)
      .then(() => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id'));
    await page.getByTestId('tab-diagram').click();
    const sel = page.locator(`[data-testid=diagram-arrow][data-id="${last}"]`);
    await expect.poll(() => sel.count()).toBe(1);
    const selBox = (await sel.boundingBox())!;
    const view = (await diagram.boundingBox())!;
    expect(selBox.y).toBeGreaterThan(view.y);
    expect(selBox.y + selBox.height / 2).toBeLessThan(view.y + view.height);
    // Keys in the diagram move the selection.
    await diagram.focus();
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.locator('[data-testid=diagram-arrow].selected').getAttribute('data-id')).not.toBe(last);

    // Another session: the diagram starts at its top again.
    expect(await diagram.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    await page.getByTestId(`session-${small}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('lanes-button').textContent()).toMatch(/of 2 shown/);
    expect(await diagram.evaluate((el) => [el.scrollTop, el.scrollLeft])).toEqual([0, 0]);
    expect(await page.locator('[data-testid=diagram-lane][data-key=others]').count()).toBe(0);
    clean();
  }, 180_000);

  it('statistics: legends, toggled series, readable axes, frames by command, tables, CSV and SVG exports', async () => {
    const page = await openSession(small);
    await page.getByTestId('tab-stats').click();
    await expect.poll(() => page.getByTestId('rate-line').count()).toBeGreaterThan(1);
    const lines = await page.getByTestId('rate-line').count();
    // The legend names every series and switches it off and on.
    expect(await page.getByTestId('rate-toggle').count()).toBe(lines);
    const toggle = page.getByTestId('rate-toggle').first();
    const [dest, cmd] = [await toggle.getAttribute('data-destination'), await toggle.getAttribute('data-command')];
    await toggle.click();
    await expect.poll(() => page.getByTestId('rate-line').count()).toBe(lines - 1);
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    expect(await page.locator(`[data-testid=rate-line][data-destination="${dest}"][data-command="${cmd}"]`).count()).toBe(0);
    await toggle.press('Enter');
    await expect.poll(() => page.getByTestId('rate-line').count()).toBe(lines);

    // Axis labels never overlap one another and stay inside their chart.
    const apart = async (selector: string, within: string) => {
      const chart = await box(page, within);
      const rects = await page.locator(selector).evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { l: r.left, r: r.right }; }));
      expect(rects.length).toBeGreaterThan(1);
      rects.sort((a, b) => a.l - b.l);
      for (let i = 0; i < rects.length; i++) {
        expect(rects[i].l).toBeGreaterThanOrEqual(chart.x - 0.5);
        expect(rects[i].r).toBeLessThanOrEqual(chart.x + chart.width + 0.5);
        if (i) expect(rects[i].l).toBeGreaterThanOrEqual(rects[i - 1].r);
      }
    };
    await apart('[data-testid=rate-chart] [data-testid=rate-x-tick]', '[data-testid=rate-chart]');
    await apart('[data-testid=latency-histogram][data-kind=receipt] [data-testid=latency-edge]', '[data-testid=latency-histogram][data-kind=receipt] svg');

    // Percentile legend, and latencies named after what they measure.
    expect(await page.getByTestId('latency-legend').textContent()).toMatch(/p50[\s\S]*p90[\s\S]*p99/);
    expect(await page.locator('[data-testid=latency-histogram][data-kind=subscription] [data-testid=latency-name]').textContent()).toBe('time since SUBSCRIBE, per MESSAGE');
    expect(await page.locator('[data-testid=latency-histogram][data-kind=receipt] [data-testid=latency-marker]').count()).toBe(3);
    // Frames by command, bytes by direction, per destination and per connection.
    expect(await page.getByTestId('stats-commands').textContent()).toMatch(/SEND\s*40\s*0\s*40/);
    expect(await page.locator('[data-testid=stats-bytes] tbody tr').count()).toBe(2);
    expect(await page.locator('[data-testid=stats-destinations] tbody tr').count()).toBe(2);
    expect(await page.locator('[data-testid=stats-connections] tbody tr').count()).toBe(2);
    await accessible(page, 'statistics', 'statistics');
    await shots(page, 'statistics');

    // Exports through the host's save path (a download from the web host).
    for (const [button, ext] of [['stats-export-csv', 'csv'], ['stats-export-svg', 'svg']] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(button).click()]);
      expect(download.suggestedFilename()).toBe(`stompscope-session-${small}-stats.${ext}`);
      const file = path.join(SHOTS, `views-stats.${ext}`);
      await download.saveAs(file);
      const text = readFileSync(file, 'utf8');
      if (ext === 'csv') expect(text).toContain('SEND,40,0,40');
      else expect(text).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
    clean();
  }, 120_000);

  it('compare: previous frame on the destination, counts, +/− marks, hide unchanged', async () => {
    const page = await openSession(small);
    // The first MESSAGE: no MESSAGE before it on its destination, but its SEND and SUBSCRIBE are.
    await page.getByTestId('filter-input').fill('command == "MESSAGE"');
    await page.getByTestId('filter-input').press('Enter');
    await expect.poll(() => page.locator('[data-testid=frame-row] .cmd').first().textContent()).toBe('MESSAGE');
    await page.getByTestId('frame-row').first().click();
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('MESSAGE');
    await page.getByTestId('diff-prev').click();
    await expect.poll(() => page.getByTestId('header-diff').isVisible()).toBe(true);
    expect(await page.getByTestId('diff-note').textContent()).toContain('no earlier MESSAGE on /queue/orders');
    const counts = await page.getByTestId('diff-counts').textContent();
    expect(counts).toMatch(/\+\d+ added/);
    const added = Number(/\+(\d+) added/.exec(counts!)![1]);
    expect(await page.locator('[data-testid=header-diff] tr[data-kind=added]').count()).toBe(added);
    expect(added).toBeGreaterThan(0);
    // Each changed row carries a sign, not only a colour.
    const marks = await page.locator('[data-testid=header-diff] tr[data-kind=added] [data-testid=diff-mark]').allTextContents();
    expect(new Set(marks)).toEqual(new Set(['+']));
    expect(await page.locator('[data-testid=header-diff] tr[data-kind=removed] [data-testid=diff-mark]').allTextContents()).toEqual(
      Array(await page.locator('[data-testid=header-diff] tr[data-kind=removed]').count()).fill('−'));
    const same = await page.locator('[data-testid=header-diff] tr[data-kind=same]').count();
    await page.getByTestId('diff-hide-unchanged').check();
    await expect.poll(() => page.locator('[data-testid=header-diff] tr[data-kind=same]').count()).toBe(0);
    expect(same).toBeGreaterThanOrEqual(0);
    await page.getByTestId('diff-hide-unchanged').uncheck();
    await accessible(page, 'compare', 'diff');
    await shots(page, 'compare');
    clean();
  }, 120_000);

  it('expert info: a click anywhere on a row, or Enter and Space on it, unfolds it; groups carry counts', async () => {
    const page = await openSession(small);
    await page.getByTestId('tab-expert').click();
    const code = page.locator('[data-testid=expert-code][data-code=error-frame]');
    await expect.poll(() => code.getByTestId('expert-count').textContent()).toBe('1');
    expect(await page.getByTestId('expert-group-error').getByTestId('expert-group-count').textContent()).toBe('1');
    const toggle = code.getByTestId('expert-toggle');
    // A click on the row's title (not the small arrow) unfolds it, another folds it.
    await code.locator('.title').click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => code.getByTestId('expert-entry').count()).toBe(1);
    await code.locator('.count').click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('false');
    // The keyboard: the row is one control.
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Space');
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Enter');
    await accessible(page, 'expert info', 'expert-info');
    await shots(page, 'expert');
    clean();
  }, 120_000);

  it('connections view: one row per connection with its columns, sorted by a click, a row filters the list', async () => {
    const page = await openSession(big);
    await page.getByTestId('tab-connections').click();
    await expect.poll(() => page.getByTestId('connection-row').count()).toBe(50);
    const headers = await page.locator('[data-testid=connections-table] thead th').allTextContents();
    for (const h of ['Client', 'Broker', 'Transport', 'Version', 'Heart-beat', 'Beats seen', 'Opened', 'Closed', 'Duration', 'Close reason',
      'Frames →', 'Frames ←', 'Bytes →', 'Bytes ←', 'Findings']) expect(headers.some((t) => t.startsWith(h)), h).toBe(true);
    const firstRow = page.getByTestId('connection-row').first();
    expect(await firstRow.textContent()).toContain('1 s / 1 s');
    // Sort by frames from the client, most first.
    const column = async () => page.locator('[data-testid=connection-row] td:nth-child(12)').allTextContents().then((xs) => xs.map(Number));
    await page.getByTestId('sort-framesClient').click();
    await page.getByTestId('sort-framesClient').click();
    expect(await page.locator('th[aria-sort=descending]').count()).toBe(1);
    const desc = await column();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(desc[0]).toBeGreaterThan(desc[desc.length - 1]);
    await page.getByTestId('sort-client').click();
    const clients = await page.locator('[data-testid=connection-row] td:nth-child(2)').allTextContents();
    expect(clients).toEqual([...clients].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await accessible(page, 'connections', 'connections-view');
    await shots(page, 'connections');

    // Enter on a row (and a click) filters the list to that connection.
    const row = page.getByTestId('connection-row').nth(2);
    const conn = await row.getAttribute('data-connection');
    const n = (await row.locator('td').first().textContent())!.trim();
    await row.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('filter-input').inputValue()).toBe(`conn == ${n}`);
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toContain('(filtered)');
    const rowConns = await page.getByTestId('frame-row').evaluateAll((els) => els.length);
    expect(rowConns).toBeGreaterThan(3);
    expect(conn).not.toBeNull();
    await page.getByTestId('tab-connections').click();
    await page.getByTestId('connection-row').first().click();
    await expect.poll(() => page.getByTestId('frame-list').isVisible()).toBe(true);
    clean();
  }, 120_000);

  it('follow connection: the transcript both ways in two colours, raw bytes on demand, back to the list', async () => {
    const page = await openSession(small);
    await page.getByTestId('tab-connections').click();
    await expect.poll(() => page.getByTestId('connection-row').count()).toBe(2);
    await page.getByTestId('connection-row').first().getByTestId('follow-connection').click();
    await expect.poll(() => page.getByTestId('follow-entry').count()).toBeGreaterThan(10);
    const froms = await page.getByTestId('follow-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-from')));
    expect(froms.slice(0, 3)).toEqual(['client', 'broker', 'client']);
    const first = page.getByTestId('follow-entry').first();
    expect(await first.locator('pre').textContent()).toContain('CONNECT\naccept-version:1.2');
    const colours = await page.getByTestId('follow-entry').evaluateAll((els) => els.slice(0, 2).map((e) => getComputedStyle(e).borderLeftColor));
    expect(colours[0]).not.toBe(colours[1]);
    expect(await page.getByTestId('follow-summary').textContent()).toContain('frames');
    await first.getByTestId('follow-raw').click();
    await expect.poll(() => first.getByTestId('follow-hex').textContent()).toContain('43 4f 4e 4e 45 43 54');
    await accessible(page, 'follow', 'follow-view');
    await shots(page, 'follow');
    await page.getByTestId('follow-back-list').click();
    await expect.poll(() => page.getByTestId('filter-input').inputValue()).toMatch(/^conn == \d+$/);
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toContain('(filtered)');
    clean();
  }, 120_000);
});
