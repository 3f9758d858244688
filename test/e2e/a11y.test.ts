// Accessibility of the whole page, every view, both themes: axe-core (WCAG 2.1 A and AA) must find no critical or
// serious violation anywhere on the page, not only inside the view under test (each view's own e2e file checks its
// parts; this one checks what the user sees at once: sidebar, tabs, panes, status bar and the view). Also: no
// console error or warning and no uncaught exception while going through them. A seeded session (no broker) with
// three connections, correlation links and an ERROR with its issue, so badges, brackets and findings are drawn.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { linkSession } from '../read/links-fixture.js';
import { conversation, seedSession, type SeedFrame } from '../support/seed.js';
import { axeViolations, useChromiumUi } from './support.js';

function* withError(): Generator<SeedFrame> {
  let sends = 0;
  for (const f of conversation(20, 3)) {
    yield f;
    if (f.command === 'SEND' && ++sends === 4) {
      yield { conn: f.conn, from: 'broker', command: 'ERROR', headers: [['message', 'access refused']], body: 'no write permission',
        issues: [{ code: 'error-frame', severity: 'error', message: 'ERROR from the broker: access refused' }] };
    }
  }
}

describe('accessibility of every view, light and dark', () => {
  let session = 0;
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-a11y-',
    seed: (core) => {
      session = seedSession(core.db, { name: 'three connections', connections: 3, frames: withError() }).session;
      linkSession(core.db, session);
    },
  });

  /** Each view as a user reaches it, waiting for what the view draws. */
  const VIEWS: Array<{ name: string; open: (page: Page) => Promise<void> }> = [
    {
      name: 'frames (a frame selected: detail and bytes panes)',
      open: async (page) => {
        await page.getByTestId('tab-list').click();
        await page.locator('[data-testid=frame-row]').nth(3).click();
        await expect.poll(() => page.getByTestId('detail-command').count()).toBe(1);
      },
    },
    {
      name: 'sequence diagram',
      open: async (page) => {
        await page.getByTestId('tab-diagram').click();
        await expect.poll(() => page.getByTestId('diagram-arrow').count()).toBeGreaterThan(0);
      },
    },
    {
      name: 'compare',
      open: async (page) => {
        await page.getByTestId('tab-list').click();
        await page.locator('[data-testid=frame-row]', { hasText: 'SEND' }).nth(2).click();
        await page.getByTestId('diff-prev').click();
        await expect.poll(() => page.getByTestId('header-diff').count()).toBe(1);
      },
    },
    {
      name: 'expert info (an entry unfolded)',
      open: async (page) => {
        await page.getByTestId('tab-expert').click();
        const code = page.locator('[data-testid=expert-code][data-code=error-frame]');
        await expect.poll(() => code.count()).toBe(1);
        await code.getByTestId('expert-toggle').click();
        await expect.poll(() => code.getByTestId('expert-entry').count()).toBeGreaterThan(0);
      },
    },
    {
      name: 'statistics',
      open: async (page) => {
        await page.getByTestId('tab-stats').click();
        await expect.poll(() => page.getByTestId('stats-export-csv').isEnabled()).toBe(true);
      },
    },
    {
      name: 'connections',
      open: async (page) => {
        await page.getByTestId('tab-connections').click();
        await expect.poll(() => page.getByTestId('connection-row').count()).toBe(3);
      },
    },
    {
      name: 'follow connection',
      open: async (page) => {
        await page.getByTestId('tab-connections').click();
        await page.getByTestId('follow-connection').first().click();
        await expect.poll(() => page.getByTestId('tab-connections').getAttribute('aria-pressed')).toBe('true');
        await expect.poll(() => page.getByTestId('follow-entry').count()).toBeGreaterThan(0);
      },
    },
  ];

  for (const scheme of ['light', 'dark'] as const) {
    it(`no critical or serious violation in any view (${scheme})`, async () => {
      const { page } = ui;
      await page.emulateMedia({ colorScheme: scheme });
      await ui.open();
      await page.evaluate(() => localStorage.clear());
      await ui.open();
      await page.getByTestId(`session-${session}`).locator('button.open').click();
      await expect.poll(() => page.getByTestId('frame-row').count()).toBeGreaterThan(5);
      const found: Record<string, unknown> = {};
      for (const v of VIEWS) {
        await v.open(page);
        const violations = await axeViolations(page);
        if (violations.length) found[v.name] = violations;
      }
      await ui.shot(`a11y-${scheme}`);
      expect(found).toEqual({});
      expect(ui.pageErrors).toEqual([]);
      expect(ui.consoleProblems).toEqual([]);
    }, 180_000);
  }
});
