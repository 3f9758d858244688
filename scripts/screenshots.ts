// `npm run screenshots`: the README's pictures. Seeds a realistic session (three connections, deliveries, ACKs,
// receipts, an ERROR, correlation links) into a temporary database, serves the current renderer through the web
// host, and photographs every view and every dialog in Debian's Chromium, light and dark, at 1024×700 and
// 2560×1440 (device scale 1, to keep the PNGs small), into docs/screenshots/. Views the UI does not have (yet)
// are skipped, not failed.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { Core } from '../src-main/core/api.js';
import { startWebHost } from '../src-main/web/server.js';
import { linkSession } from '../test/read/links-fixture.js';
import { buildRenderer } from '../test/support/renderer-build.js';
import { conversation, seedSession, type SeedFrame } from '../test/support/seed.js';

// The e2e harness's browser (test/e2e/support.ts, which needs vitest's runner, so not imported here).
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = path.resolve('docs', 'screenshots');
const SIZES = [{ width: 1024, height: 700 }, { width: 2560, height: 1440 }];
const THEMES = ['light', 'dark'] as const;
const VIEWS = ['list', 'diagram', 'diff', 'expert', 'stats', 'connections'];

/** The conversation of three clients, with an ERROR from the broker after the 5th SEND. */
function* session(): Generator<SeedFrame> {
  let sends = 0;
  for (const f of conversation(36, 3)) {
    yield f;
    if (f.command === 'SEND' && ++sends === 5) {
      yield { conn: f.conn, from: 'broker', command: 'ERROR', headers: [['message', 'access refused'], ['content-type', 'text/plain']],
        body: 'no write permission on /queue/other', issues: [{ code: 'error-frame', severity: 'error', message: 'ERROR from the broker: access refused' }] };
    }
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-shots-'));
  const core = Core.open(path.join(dir, 'shots.db'));
  const seeded = seedSession(core.db, { name: 'orders service → RabbitMQ', connections: 3, frames: session(), stepUs: 1700 });
  linkSession(core.db, seeded.session);
  core.db.prepare(`UPDATE connections SET profile = 'rabbitmq' WHERE session_id = ?`).run(seeded.session);
  seedSession(core.db, { name: 'billing capture.pcapng', connections: 1, frames: conversation(8, 1), state: 'interrupted' });
  // The third SEND to /queue/orders: "compare with previous on destination" has one to compare with.
  const laterSend = (core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND command = 'SEND' AND destination = '/queue/orders' ORDER BY id`)
    .pluck().all(seeded.session) as number[])[2];
  const frameOf = (command: string, n: number) => (core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND command = ? ORDER BY id`)
    .pluck().all(seeded.session, command) as number[])[n];
  for (const [id, number] of core.db.prepare(`SELECT id, number FROM frames WHERE session_id = ?`).raw().all(seeded.session) as Array<[number, number]>) {
    numbers.set(id, number);
  }
  const message = frameOf('MESSAGE', 1);
  const firstSend = frameOf('SEND', 0);
  const host = await startWebHost({ core, rendererDir: await buildRenderer() });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  let count = 0;
  try {
    for (const size of SIZES) {
      for (const theme of THEMES) {
        const page = await browser.newPage({ viewport: size, deviceScaleFactor: 1, colorScheme: theme });
        page.setDefaultTimeout(15_000);
        await page.goto(host.url);
        await page.getByTestId(`session-${seeded.session}`).locator('button.open').click();
        await page.getByTestId('frame-row').first().waitFor();
        const shot = async (name: string) => {
          await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
          await page.screenshot({ path: path.join(OUT, `${name}-${theme}-${size.width}x${size.height}.png`) });
          count++;
        };
        // A MESSAGE with a JSON body, its destination header picked (highlighted in the bytes pane).
        await goTo(page, message);
        await page.locator('[data-testid=detail-header-name]', { hasText: 'destination' }).first().click();
        for (const view of VIEWS) {
          const tab = page.getByTestId(`tab-${view}`);
          if ((await tab.count()) === 0) {
            console.log(`(no ${view} view: skipped)`);
            continue;
          }
          if (view === 'diff') {
            await page.getByTestId('tab-list').click();
            await goTo(page, laterSend);
            await page.getByTestId('diff-prev').click();
            await page.getByTestId('header-diff').waitFor().catch(() => undefined);
          } else {
            await tab.click();
          }
          await settle(page);
          await shot(`view-${view === 'list' ? 'frames' : view}`);
        }
        await page.getByTestId('tab-list').click();
        await goTo(page, firstSend);
        await page.getByTestId('detail-command').waitFor();
        for (const [opener, dialog] of [['help-button', 'help'], ['goto-button', 'goto'], ['start-proxy-toggle', 'proxy'], ['replay-connection', 'replay'],
          ['resend-frame', 'resend']]) {
          await page.getByTestId(opener).click();
          await page.getByTestId(`${dialog}-dialog`).waitFor();
          await shot(`dialog-${dialog}`);
          await page.keyboard.press('Escape');
          await page.getByTestId(`${dialog}-dialog`).waitFor({ state: 'detached' });
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await host.close();
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${count} screenshots in ${path.relative(process.cwd(), OUT)}/`);
}

/** Ctrl+G, the frame's number in its session, Enter; then the frame `id` is the one selected. */
async function goTo(page: Page, id: number): Promise<void> {
  const number = numbers.get(id);
  if (number === undefined) throw new Error(`frame ${id} is not in the seeded session`);
  await page.keyboard.press('Control+g');
  await page.getByTestId('goto-input').fill(String(number));
  await page.keyboard.press('Enter');
  await page.getByTestId('goto-dialog').waitFor({ state: 'detached' });
  await page.locator(`[data-testid=frame-row][data-id="${id}"][aria-selected=true]`).waitFor();
  await page.locator('[data-testid=detail-command]').waitFor();
}

/** Charts and the diagram draw after their data arrives: wait until nothing is loading, at most a few frames. */
async function settle(page: Page): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await page.evaluate('new Promise((r) => requestAnimationFrame(r))');
  }
  await page.waitForTimeout(300);
}

/** The seeded session's frame numbers (what Ctrl+G takes), by frame id. */
const numbers = new Map<number, number>();

main().catch((e: unknown) => {
  console.error(`screenshots: ${(e as Error).message}`);
  process.exit(1);
});
