// End to end, the way a user works: the web host (`stompscope ui`'s code) serves the real UI to Debian's
// Chromium; from the UI we start a proxy towards a real RabbitMQ, run a real client (stomp.py) through it, watch
// frames arrive live, filter, open a frame's detail, open the sequence diagram and click an arrow, compare
// two frames, export, and import a capture file. Screenshots go to test-results/ (kept by CI as artifacts).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, inject, it } from 'vitest';
import { runStomppy, type StomppyRun } from '../support/clients/stomppy.js';
import { once } from '../support/once.js';
import { IMPORTED_CONVERSATION, stompPcap } from '../support/pcap-build.js';
import { useChromiumUi } from './support.js';

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('the UI in Chromium, with a proxy to RabbitMQ started from it', () => {
  const rabbit = inject('rabbitmq');
  const ui = useChromiumUi({
    dirPrefix: 'stompscope-e2e-',
    before: () => {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    },
  });
  const shot = ui.shot;
  // The page is loaded once, by whichever test comes first: the tests go on from where the one before left the UI.
  const opened = once(() => ui.open());
  // The stomp.py session the replay test replays. The first test records it through the proxy it starts from the
  // UI; when the replay test runs alone, it records the same client's session through a proxy the core starts
  // (what the UI's form asks the core for), so the replay always has a session recorded from this broker.
  let stomppySession = 0;
  const stomppyRecording = async () => {
    if (stomppySession) return stomppySession;
    const proxy = (await ui.core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `${rabbit!.host}:${rabbit!.stompPort}` })) as { session: number; listen: string };
    try {
      const r = await runStomppy({ port: Number(proxy.listen.split(':').pop()), messages: 3, timeoutMs: 60_000 });
      expect(r.ok, r.stderr).toBe(true);
    } finally {
      await ui.core.invoke('proxy.stop', { session: proxy.session });
    }
    return (stomppySession = proxy.session);
  };

  it('records live traffic, filters, details, diagrams, compares, exports, imports, renames and deletes', async () => {
    const { page, core, dir } = ui;
    await opened();
    await expect.poll(() => page.getByTestId('welcome').isVisible()).toBe(true);

    // Start a proxy from the UI, towards the real broker, on a free loopback port.
    await page.getByTestId('start-proxy-toggle').click();
    await page.getByTestId('proxy-listen').fill('127.0.0.1:0');
    await page.getByTestId('proxy-upstream').fill(`${rabbit!.host}:${rabbit!.stompPort}`);
    await shot('01-proxy-form');
    await page.getByTestId('proxy-start').click();
    const address = await page.getByTestId('proxy-address').textContent({ timeout: 15_000 });
    const port = Number(/:(\d+)$/.exec(address ?? '')![1]);
    expect(port).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('frames-empty').textContent()).toContain(address!);

    // A real client through the proxy; frames must show up while it is still connected (live).
    let run: StomppyRun | null = null;
    const client = runStomppy({ port, messages: 3, lingerS: 3, timeoutMs: 60_000 }).then((r) => (run = r));
    await expect.poll(async () => Number(await page.getByTestId('frame-count').getAttribute('data-shown')), { timeout: 20_000 }).toBeGreaterThan(10);
    expect(run).toBeNull();
    // The count comes with the appended event; the rows follow one read later.
    await expect.poll(() => page.getByTestId('frame-row').count()).toBeGreaterThan(10);
    await shot('02-live-frames');
    await client;
    expect(run!.ok).toBe(true);
    stomppySession = (core.invoke('proxy.list', {}) as Array<{ session: number }>)[0].session;
    await expect.poll(async () => (await page.getByTestId('frame-row').allTextContents()).some((t) => t.includes('DISCONNECT')), { timeout: 15_000 }).toBe(true);
    // The list followed the traffic to its end; Home goes back to the start.
    expect((await page.getByTestId('frame-row').allTextContents()).some((t) => t.includes('MESSAGE'))).toBe(true);
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Home');
    await expect.poll(async () => (await page.getByTestId('frame-row').allTextContents()).some((t) => t.includes('CONNECTED'))).toBe(true);
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toMatch(/^(CONNECT|STOMP)$/);

    // A syntax error is shown inline, at its place; a good filter shows only matching frames.
    await page.getByTestId('filter-input').fill('command == ');
    await expect.poll(() => page.getByTestId('filter-error').textContent()).toContain('expected a value');
    await shot('03-filter-error');
    await page.getByTestId('filter-input').fill('command == "SEND" and destination contains "stompscope"');
    await page.getByTestId('filter-apply').click();
    await expect.poll(async () => {
      const cmds = await page.locator('[data-testid=frame-row] .cmd').allTextContents();
      return cmds.length > 0 && cmds.every((c) => c === 'SEND');
    }).toBe(true);
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed \d+ of \d+ frames \(filtered\)$/);
    await shot('04-filtered');

    // Export what the filter shows, as JSON lines (a download from the web host).
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toMatch(/^stompscope-session-\d+-filtered\.jsonl$/);
    const exported = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; body: string });
    expect(exported.length).toBeGreaterThan(3);
    expect(exported.every((f) => f.command === 'SEND')).toBe(true);
    expect(exported[0].body).toContain('text message 0');

    // Detail of a frame: decoded headers beside the raw ones, and the body.
    await page.getByTestId('frame-row').first().click();
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SEND');
    const headers = await page.getByTestId('detail-headers').textContent();
    expect(headers).toContain('destination');
    expect(headers).toContain('receipt');
    expect(await page.getByTestId('detail-body').textContent()).toContain('text message 0');
    // Keyboard: the next SEND.
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByTestId('detail-body').textContent()).toContain('text message 1');
    await shot('05-detail');

    // Compare with the previous frame on the same destination: the header diff shows what changed.
    await page.getByTestId('diff-prev').click();
    await expect.poll(() => page.getByTestId('header-diff').isVisible()).toBe(true);
    const changed = await page.locator('[data-testid=header-diff] tr[data-kind=changed]').allTextContents();
    expect(changed.some((t) => t.includes('receipt'))).toBe(true);
    expect(await page.getByTestId('body-diff').textContent()).toMatch(/- text message 0[\s\S]*\+ text message 1/);
    await shot('06-diff');

    // The sequence diagram of everything; clicking an arrow selects its frame.
    await page.getByTestId('filter-clear').click();
    await expect.poll(() => page.getByTestId('frame-count').textContent()).toMatch(/^Displayed (\d+) of \1 frames$/);
    await page.getByTestId('tab-diagram').click();
    await expect.poll(() => page.getByTestId('diagram-arrow').count()).toBeGreaterThan(5);
    const arrow = page.locator('[data-testid=diagram-arrow]', { hasText: 'CONNECTED' }).first();
    const arrowId = await arrow.getAttribute('data-id');
    await arrow.click();
    // The diagram takes the whole height (no detail pane under it); the status bar names the selection.
    await expect.poll(() => page.getByTestId('status-selection').textContent()).toBe(`Frame ${arrowId} selected`);
    await shot('07-diagram');
    // Export the diagram as SVG: the whole session (computed by the core), not only the arrows on screen.
    const [svgDownload] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.getByTestId('export-svg').click()]);
    expect(svgDownload.suggestedFilename()).toMatch(/^stompscope-session-\d+\.svg$/);
    const svg = readFileSync((await svgDownload.path())!, 'utf8');
    const shown = Number(await page.getByTestId('frame-count').getAttribute('data-shown'));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect((svg.match(/marker-end="url\(#arrow\)"/g) ?? []).length).toBe(shown);
    expect(svg).toContain('DISCONNECT');
    expect(await page.getByTestId('export-svg-note').count()).toBe(0);
    await page.getByTestId('tab-list').click();
    await expect.poll(() => page.locator('[data-testid=frame-row][aria-selected=true]').getAttribute('data-id')).toBe(arrowId);
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('CONNECTED');

    // Stop the proxy from the UI: the session is complete.
    await page.getByTestId('proxy-stop').click();
    await expect.poll(() => page.getByTestId('proxy-address').count()).toBe(0);
    expect(core.invoke('proxy.list', {})).toEqual([]);
    await shot('08-stopped');

    // Import a capture file through the UI (an upload to the web host); its session opens when done.
    const pcap = path.join(dir, 'conversation.pcap');
    writeFileSync(pcap, stompPcap(IMPORTED_CONVERSATION));
    await page.getByTestId('import-input').setInputFiles(pcap);
    await expect.poll(() => page.locator('[data-testid=import-job][data-state=done]').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => (await page.locator('[data-testid=frame-row] .dest').allTextContents()).includes('/queue/imported')).toBe(true);
    expect(await page.getByTestId('frame-count').textContent()).toBe('Displayed 5 of 5 frames');
    await shot('09-imported');

    // Rename, then delete, the imported session from the sidebar.
    const imported = page.locator('[data-testid^=session-]', { hasText: 'conversation.pcap' });
    await imported.getByTestId('session-menu').click();
    await imported.getByTestId('rename').click();
    await page.getByTestId('rename-input').fill('imported by the e2e test');
    await page.getByTestId('rename-input').press('Enter');
    const renamed = page.locator('[data-testid^=session-]', { hasText: 'imported by the e2e test' });
    await expect.poll(() => renamed.count()).toBe(1);
    await renamed.getByTestId('session-menu').click();
    await renamed.getByTestId('delete').click();
    await renamed.getByTestId('confirm-delete').click();
    await expect.poll(() => renamed.count()).toBe(0);
    expect(((await core.invoke('sessions.list', {})) as unknown[]).length).toBe(1);
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 150_000);

  it('starts a proxy that accepts TLS from clients, with a certificate and key picked in the form', async () => {
    const { page, dir, core } = ui;
    await opened();
    // A proxy an earlier test left running (it failed before its Stop) would be a second "listening on" line.
    for (const p of core.invoke('proxy.list', {}) as Array<{ session: number }>) await core.invoke('proxy.stop', { session: p.session });
    // A throwaway self-signed certificate for 127.0.0.1, made with Debian's openssl.
    const cert = path.join(dir, 'proxy-cert.pem');
    const key = path.join(dir, 'proxy-key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });

    await page.getByTestId('start-proxy-toggle').click();
    await page.getByTestId('proxy-listen').fill('127.0.0.1:0');
    await page.getByTestId('proxy-upstream').fill(`${rabbit!.host}:${rabbit!.stompPort}`);
    await page.getByTestId('proxy-client-tls').check();
    await page.getByTestId('proxy-tls-cert').setInputFiles(cert);
    await page.getByTestId('proxy-tls-key').setInputFiles(key);
    await shot('10-proxy-form-tls');
    await page.getByTestId('proxy-start').click();
    const info = page.locator('.proxy-info', { has: page.getByTestId('proxy-address') });
    await expect.poll(() => info.textContent()).toContain('(TLS)');
    const port = Number(/:(\d+)$/.exec((await page.getByTestId('proxy-address').textContent())!)![1]);

    // A STOMP client over TLS that trusts only that certificate; the UI decodes what crossed inside TLS.
    const client = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(cert) });
    let got = '';
    client.on('data', (d) => (got += d.toString()));
    await new Promise((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
    client.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    await expect.poll(() => got, { timeout: 10_000 }).toContain('CONNECTED');
    client.end('DISCONNECT\n\n\0');
    await expect.poll(async () => page.locator('[data-testid=frame-row] .cmd').allTextContents(), { timeout: 15_000 }).toEqual(expect.arrayContaining(['CONNECT', 'CONNECTED']));
    await shot('11-tls-frames');
    await page.getByTestId('proxy-stop').click();
    await expect.poll(() => page.getByTestId('proxy-address').count()).toBe(0);
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 60_000);

  it('replays the recorded connection from the UI (confirming its own broker), opens the replay diff, and resends an edited SEND', async () => {
    const { page } = ui;
    const target = `${rabbit!.host}:${rabbit!.stompPort}`;
    // A stomp.py session recorded through a proxy to this broker (before the page loads when run alone, so the
    // sidebar lists it).
    const session = await stomppyRecording();
    await opened();
    await page.locator(`[data-testid=session-${session}] button.open`).click();
    await page.locator('[data-testid=frame-row]', { hasText: 'SEND' }).first().click();
    await expect.poll(() => page.getByTestId('detail-command').textContent()).toBe('SEND');

    await page.getByTestId('replay-connection').click();
    await expect.poll(() => page.getByTestId('replay-target').inputValue()).toBe('');
    await page.getByTestId('replay-target').fill(target);
    await page.getByTestId('replay-fast').check();
    await page.getByTestId('replay-start').click();
    // The proxy recorded this very broker: the dialog asks first.
    await expect.poll(() => page.getByTestId('replay-confirm').isVisible()).toBe(true);
    await shot('12-replay-confirm');
    await page.getByTestId('replay-confirm-yes').click();
    await expect.poll(() => page.getByTestId('replay-result').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await page.getByTestId('replay-result').textContent()).toContain('No findings.');
    await page.getByTestId('replay-open-diff').click();
    await expect.poll(() => page.getByTestId('replay-diff-summary').textContent()).toMatch(/0 missing, 0 extra, 0 changed — the same$/);
    expect(await page.getByTestId('replay-diff-ignored').textContent()).toContain('message-id');
    await shot('13-replay-diff');
    await page.getByTestId('replay-open-session').click();
    await expect.poll(() => page.getByTestId('replay-dialog').count()).toBe(0);
    await expect.poll(async () => (await page.locator('[data-testid=frame-row] .cmd').allTextContents()).includes('SEND')).toBe(true);

    // Edit and resend a SEND of the replay session on a new connection: the masked passcode is typed again.
    await page.locator('[data-testid=frame-row]', { hasText: 'SEND' }).first().click();
    await page.getByTestId('resend-frame').click();
    await page.getByTestId('resend-target').fill(target);
    await expect.poll(() => page.getByTestId('resend-problem').textContent()).toMatch(/re-enter login, passcode/);
    const names = await page.getByTestId('resend-connect-name').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    await page.getByTestId('resend-connect-value').nth(names.indexOf('login')).fill('guest');
    await page.getByTestId('resend-connect-value').nth(names.indexOf('passcode')).fill('guest');
    await page.getByTestId('resend-body').fill('edited in the browser');
    // The recorded SEND has content-length: it follows the new body (a stale one would make the broker read on).
    const headerNames = await page.getByTestId('resend-header-name').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    expect(await page.getByTestId('resend-header-value').nth(headerNames.indexOf('content-length')).inputValue()).toBe('21');
    await page.getByTestId('resend-send').click();
    await page.getByTestId('resend-confirm-yes').click();
    // The recorded SEND asks for a receipt: the broker's RECEIPT says it took the edited frame.
    await expect.poll(() => page.getByTestId('resend-received').textContent(), { timeout: 30_000 }).toMatch(/CONNECTED[\s\S]*RECEIPT receipt-id r-text-0/);
    expect(await page.getByTestId('resend-findings').count()).toBe(0);
    await shot('14-resend');
    await page.getByTestId('resend-open-session').click();
    await page.locator('[data-testid=frame-row]', { hasText: 'SEND' }).first().click();
    await expect.poll(() => page.getByTestId('detail-body').textContent()).toContain('edited in the browser');
    expect(ui.pageErrors).toEqual([]);
    expect(ui.consoleProblems).toEqual([]);
  }, 120_000);
});
