// End to end, "Capture on interface…" the way a user does it: in Chromium, open the dialog beside Start proxy…,
// pick the loopback among the listed interfaces, give the broker's port, start. A real STOMP client then talks to
// the real RabbitMQ, and its frames appear in the frame list of the capture session while it runs; Stop ends it.
// The dialog passes axe (WCAG AA) in the light and the dark theme, and screenshots are kept at two sizes.
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { axeViolations, useChromiumUi, type AxeViolation } from './support.js';
import { stompProbe } from '../support/stomp-probe.js';

/** axe's violations on the dialog's own elements (the rest of the page is other views' business). */
async function dialogViolations(page: Page): Promise<AxeViolation[]> {
  const all = await axeViolations(page);
  const inside = await page.evaluate((targets) => targets.map((t) => !!document.querySelector(t)?.closest('[data-testid=capture-dialog]')),
    all.flatMap((v) => v.targets));
  let i = 0;
  return all.map((v) => ({ ...v, targets: v.targets.filter(() => inside[i++]) })).filter((v) => v.targets.length > 0);
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('Capture on interface…, from the UI', () => {
  const rabbit = inject('rabbitmq');
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-capture-',
    before: () => {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    },
    timeoutMs: 180_000,
  });

  it('lists the interfaces, captures the loopback live into a session whose frames show, and stops', async () => {
    const { page } = ui;
    const refused: string[] = [];
    page.on('response', (r) => r.status() >= 400 && refused.push(`${r.status()} ${r.url()}`));
    await ui.open();
    await page.getByTestId('capture-toggle').click();
    const select = page.getByTestId('capture-interface');
    await expect.poll(async () => (await select.locator('option').allTextContents()).includes('lo (Loopback)'), { timeout: 15_000 }).toBe(true);
    expect(await select.inputValue()).toBe('lo');
    await page.getByTestId('capture-ports').fill(`${rabbit!.stompPort}`);

    for (const [scheme, size] of [['light', [1024, 700]], ['dark', [2560, 1440]]] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: size[0], height: size[1] });
      expect(await dialogViolations(page), scheme).toEqual([]);
      await ui.shot(`capture-dialog-${scheme}-${size[0]}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1024, height: 700 });

    await page.getByTestId('capture-start').click();
    await expect.poll(() => page.getByTestId('capture-dialog').count()).toBe(0);
    // Probe connections until the capture has recorded one: its frames show in the list of the open session.
    await expect.poll(async () => {
      await stompProbe(rabbit!.stompPort);
      return (await page.locator('[data-testid=frame-row] .cmd').allTextContents()).includes('CONNECTED');
    }, { timeout: 30_000, interval: 500 }).toBe(true);
    await ui.shot('capture-session-1024');

    await page.getByTestId('capture-toggle').click();
    await page.getByTestId('capture-stop').click();
    await expect.poll(() => page.getByTestId('capture-running').count()).toBe(0);
    await expect.poll(async () => (await ui.core.invoke('sessions.list', {}) as Array<{ kind: string; state: string }>)
      .filter((s) => s.kind === 'capture').map((s) => s.state)).toEqual(['complete']);
    expect(ui.pageErrors).toEqual([]);
    // No request of the page was refused, and the console stayed quiet.
    expect(refused).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);
});
