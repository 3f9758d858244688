// End to end, injection the way a user does it: in Chromium, start a proxy towards a real RabbitMQ from
// the UI, let a client connect through it and send a frame, open that frame in "Edit and resend…", choose "into
// this live connection", edit it and inject it. The broker answers the injected frame (its RECEIPT reaches the
// client), and the frame list shows the injected frame with its marker; its detail says it was injected.
import net from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startProxyInUi, useChromiumUi } from './support.js';

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('injecting an edited frame into a live connection, from the UI', () => {
  const rabbit = inject('rabbitmq');
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-inject-',
    before: () => {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    },
    timeoutMs: 120_000,
  });
  let client: net.Socket | null = null;

  afterAll(() => {
    client?.destroy();
  });

  it('injects an edited SEND into the connection the client keeps open, and marks it in the list', async () => {
    const { page } = ui;
    await ui.open();
    const port = await startProxyInUi(page, `${rabbit!.host}:${rabbit!.stompPort}`);

    const queue = `/queue/e2e-inject-${Math.random().toString(36).slice(2, 8)}`;
    client = net.connect(port, '127.0.0.1');
    let got = '';
    client.on('data', (d) => (got += d.toString('latin1')));
    await new Promise((resolve, reject) => client!.once('connect', resolve).once('error', reject));
    client.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    client.write(`SUBSCRIBE\nid:0\ndestination:${queue}\nack:auto\n\n\0`);
    client.write(`SEND\ndestination:${queue}\nreceipt:r-client\n\nfrom the client\0`);
    await expect.poll(() => got, { timeout: 10_000 }).toContain('receipt-id:r-client');

    await expect.poll(async () => (await page.locator('[data-testid=frame-row] .cmd').allTextContents()).includes('SEND'), { timeout: 15_000 }).toBe(true);
    await page.locator('[data-testid=frame-row]', { hasText: 'SEND' }).first().click();
    await page.getByTestId('resend-frame').click();
    await expect.poll(() => page.getByTestId('resend-mode-inject').isEnabled()).toBe(true);
    await page.getByTestId('resend-mode-inject').check();
    await expect.poll(() => page.getByTestId('resend-target').count()).toBe(0);
    const names = await page.getByTestId('resend-header-name').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    await page.getByTestId('resend-header-value').nth(names.indexOf('receipt')).fill('r-injected');
    await page.getByTestId('resend-body').fill('injected from the browser');
    await page.getByTestId('resend-send').click();
    await expect.poll(() => page.getByTestId('inject-result').textContent(), { timeout: 15_000 }).toMatch(/^Injected \d+ bytes into connection #\d+/);
    await ui.shot('20-inject');

    // RabbitMQ took it: its RECEIPT, and the MESSAGE of our own subscription, reach the client.
    await expect.poll(() => got, { timeout: 10_000 }).toContain('receipt-id:r-injected');
    await expect.poll(() => got, { timeout: 10_000 }).toContain('injected from the browser');

    await page.getByTestId('resend-close').click();
    const marked = page.locator('[data-testid=frame-row]', { has: page.getByTestId('injected-marker') });
    await expect.poll(() => marked.count(), { timeout: 15_000 }).toBe(1);
    await marked.first().click();
    await expect.poll(() => page.getByTestId('detail-injected').isVisible()).toBe(true);
    expect(await page.getByTestId('detail-body').textContent()).toContain('injected from the browser');
    await ui.shot('21-injected-frame');

    client.end('DISCONNECT\n\n\0');
    await page.getByTestId('proxy-stop').click();
    await expect.poll(() => page.getByTestId('proxy-address').count()).toBe(0);
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);
});
