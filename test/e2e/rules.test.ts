// End to end, a `break` rule the way a user sets one: in Chromium, start a proxy towards a real RabbitMQ from the UI,
// open its Rules panel, add a rule that holds every SEND and apply it. A client connects through the proxy and sends;
// the frame is held (the intercept indicator counts it), opened in the intercept queue, a header edited, and
// forwarded edited. A consumer connected to RabbitMQ directly receives the edited message. The Rules panel and the
// intercept queue have no serious accessibility violation, in light and dark.
import net from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, startProxyInUi, useChromiumUi } from './support.js';

const run = `${process.pid}-${Date.now().toString(36)}`;

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('a break rule from the UI holds a frame, edited and forwarded', () => {
  const rabbit = inject('rabbitmq');
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-rules-',
    before: () => {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    },
    timeoutMs: 120_000,
  });
  const sockets: net.Socket[] = [];
  afterAll(() => {
    for (const s of sockets) s.destroy();
  });

  async function raw(port: number): Promise<{ sock: net.Socket; got: () => string }> {
    const sock = net.connect(port, '127.0.0.1');
    sockets.push(sock);
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => {});
    await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    return { sock, got: () => got };
  }

  it('creates the rule, holds the SEND, forwards it edited, and RabbitMQ delivers the edited frame', async () => {
    const { page } = ui;
    await ui.open();
    const port = await startProxyInUi(page, `${rabbit!.host}:${rabbit!.stompPort}`);

    await page.getByTestId('proxy-rules').click();
    await page.getByTestId('rule-add').click();
    await page.getByTestId('rule-name').fill('hold sends');
    await page.getByTestId('rule-when').fill('command == "SEND"');
    await page.getByTestId('rule-action').selectOption('break');
    await page.getByTestId('rules-apply').click();
    await expect.poll(() => page.getByTestId('rules-status').textContent()).toBe('In force.');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await axeViolations(page, '[data-testid=rules-dialog]'), `Rules panel, ${scheme}`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1024, height: 700 });
    await ui.shot('30-rules-panel-1024');
    await page.setViewportSize({ width: 2560, height: 1440 });
    await ui.shot('31-rules-panel-2560');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('rules-close').click();

    // A consumer straight on RabbitMQ, subscribed before anything is sent.
    const queue = `/queue/e2e-rules-${run}`;
    const consumer = await raw(rabbit!.stompPort);
    consumer.sock.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0SUBSCRIBE\nid:0\ndestination:${queue}\nack:auto\nreceipt:sub\n\n\0`);
    await expect.poll(() => consumer.got(), { timeout: 10_000 }).toContain('receipt-id:sub');

    const client = await raw(port);
    client.sock.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    await expect.poll(() => client.got(), { timeout: 10_000 }).toContain('CONNECTED');
    client.sock.write(`SEND\ndestination:${queue}\nx-note:as sent\nreceipt:r-1\n\nhello\0`);

    await expect.poll(() => page.getByTestId('intercept-indicator').textContent(), { timeout: 10_000 }).toContain('1 held');
    // Held: RabbitMQ has not seen it (its RECEIPT would come back to the client).
    expect(client.got()).not.toContain('receipt-id:r-1');
    await page.getByTestId('intercept-indicator').click();
    await expect.poll(() => page.getByTestId('intercept-command').inputValue()).toBe('SEND');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await axeViolations(page, '[data-testid=intercept-dialog]'), `intercept queue, ${scheme}`).toEqual([]);
      expect(await axeViolations(page, '[data-testid=intercept-indicator]'), `intercept indicator, ${scheme}`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1024, height: 700 });
    await ui.shot('32-intercept-1024-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 2560, height: 1440 });
    await ui.shot('33-intercept-2560');
    await page.setViewportSize({ width: 1280, height: 800 });
    const names = await page.getByTestId('intercept-header-name').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    await page.getByTestId('intercept-header-value').nth(names.indexOf('x-note')).fill('edited in the browser');
    await page.getByTestId('intercept-forward-edited').click();

    await expect.poll(() => consumer.got(), { timeout: 10_000 }).toContain('x-note:edited in the browser');
    expect(consumer.got()).not.toContain('x-note:as sent');
    await expect.poll(() => client.got(), { timeout: 10_000 }).toContain('receipt-id:r-1');
    await expect.poll(() => page.getByTestId('intercept-indicator').count()).toBe(0);
    await expect.poll(() => page.getByTestId('intercept-empty').count()).toBe(1);
    await page.getByTestId('intercept-close').click();

    // The recording says what the rule did: the SEND as the client sent it beside the one RabbitMQ got.
    await expect.poll(async () => (await page.locator('[data-testid=frame-row] .cmd').allTextContents()).includes('SEND'), { timeout: 15_000 }).toBe(true);
    await page.locator('[data-testid=frame-row]', { hasText: 'SEND' }).first().click();
    await expect.poll(() => page.getByTestId('detail-rule').textContent(), { timeout: 10_000 }).toContain('Rule “hold sends”: break');
    expect(await page.getByTestId('detail-rule-original').textContent()).toContain('x-note:as sent');
    expect(await page.getByTestId('detail-rule-rewritten').textContent()).toContain('x-note:edited in the browser');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await axeViolations(page, '[data-testid=detail-rule]'), `rule line of the frame detail, ${scheme}`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await ui.shot('34-detail-rule');

    client.sock.end('DISCONNECT\n\n\0');
    consumer.sock.end('DISCONNECT\n\n\0');
    await page.getByTestId('proxy-stop').click();
    await expect.poll(() => page.getByTestId('proxy-address').count()).toBe(0);
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);
});
