// End to end in Debian's Chromium, through the web host: a seeded session with issues and correlation links (as
// the analysis engine stores them) opened in the real UI; Expert Info lists the issue, a click selects its frame
// in the list and shows it in the detail; the detail's related frames jump; "Filter" applies issue.code; the
// statistics view draws its charts; the sequence diagram joins a SEND to its RECEIPT. No broker needed.
import { describe, expect, it } from 'vitest';
import { linkSession } from '../read/links-fixture.js';
import { conversation, seedSession, type SeedFrame } from '../support/seed.js';
import { useChromiumUi } from './support.js';

/** conversation() with an ERROR from the broker after the 3rd SEND: the issue Expert Info must lead to. */
function* withError(): Generator<SeedFrame> {
  let sends = 0;
  for (const f of conversation(30, 1)) {
    yield f;
    if (f.command === 'SEND' && ++sends === 3) {
      yield { conn: 1, from: 'broker', command: 'ERROR', headers: [['message', 'access refused']], body: 'no write permission on /queue/other',
        issues: [{ code: 'error-frame', severity: 'error', message: 'ERROR from the broker: access refused' }] };
    }
  }
}

describe('the analysis views in Chromium', () => {
  let session = 0;
  let errorFrame = 0;
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-analysis-',
    seed: (core) => {
      session = seedSession(core.db, { name: 'with an error', connections: 1, frames: withError() }).session;
      linkSession(core.db, session);
      errorFrame = core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND command = 'ERROR'`).pluck().get(session) as number;
    },
  });
  const shot = ui.shot;

  it('opens Expert Info, jumps to the frame of an issue, follows related frames, filters by code, and shows statistics', async () => {
    const { page } = ui;
    await ui.open();
    await page.getByTestId(`session-${session}`).locator('button.open').click();
    await expect.poll(() => page.getByTestId('frame-row').count()).toBeGreaterThan(10);
    // The frame list marks the ERROR's row with a badge of its severity.
    await expect.poll(() => page.locator('[data-testid=issue-badge].badge-error').count()).toBe(1);

    await page.getByTestId('tab-expert').click();
    const code = page.locator('[data-testid=expert-code][data-code=error-frame]');
    await expect.poll(() => code.getByTestId('expert-count').textContent()).toBe('1');
    expect(await page.getByTestId('expert-group-error').textContent()).toContain('ERROR from the broker');
    await code.getByTestId('expert-toggle').click();
    await shot('analysis-01-expert-info');
    await code.getByTestId('expert-entry').first().click();

    // The frame is selected in the list, and its detail is shown.
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id')).toBe(String(errorFrame));
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('ERROR');
    await shot('analysis-02-jumped');

    // The SEND just before it: its RECEIPT is a related frame; clicking it selects the RECEIPT.
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SEND');
    const receipt = page.locator('[data-testid=related-frame][data-kind=receipt]');
    await expect.poll(() => receipt.count()).toBe(1);
    // Seeded frames are 1 ms apart, and the ERROR came between the SEND and its RECEIPT.
    expect(await receipt.textContent()).toContain('2.00 ms');
    const receiptId = await receipt.getAttribute('data-id');
    await receipt.click();
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('RECEIPT');
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id')).toBe(receiptId);

    // "Filter" from Expert Info: only the ERROR is shown.
    await page.getByTestId('tab-expert').click();
    await page.locator('[data-testid=expert-code][data-code=error-frame]').getByTestId('expert-filter').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed 1 of \d+ frames \(filtered\)$/);
    expect(await page.getByTestId('filter-input').inputValue()).toBe('issue.code == "error-frame"');
    await expect.poll(() => page.locator('[data-testid=frame-row] .cmd').allTextContents()).toEqual(['ERROR']);

    // The sequence diagram joins frames to their answers.
    await page.getByTestId('filter-clear').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed (\d+) of \1 frames$/);
    await page.getByTestId('tab-diagram').click();
    await expect.poll(() => page.locator('[data-testid=diagram-link][data-kind=receipt]').count()).toBeGreaterThan(2);
    expect(await page.locator('[data-testid=diagram-link][data-kind=connect]').count()).toBe(1);
    await shot('analysis-03-diagram-links');

    // Statistics: rate lines per destination, and a histogram per link kind.
    await page.getByTestId('tab-stats').click();
    await expect.poll(() => page.getByTestId('rate-line').count()).toBeGreaterThan(1);
    const kinds = await Promise.all((await page.getByTestId('latency-histogram').all()).map((h) => h.getAttribute('data-kind')));
    expect(kinds).toEqual(['connect', 'receipt', 'subscription', 'ack', 'delivery']);
    expect(await page.locator('[data-testid=latency-histogram][data-kind=receipt] [data-testid=latency-bar]').count()).toBeGreaterThan(0);
    await shot('analysis-04-statistics');
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);
});
