// The end-to-end tests' harness: a Core on a fresh database in a temp dir, the web host (`stompscope ui`'s code)
// serving the built renderer, and Debian's Chromium (headless, its own profile in the temp dir) driven by
// playwright-core. Page errors are collected so a test can check there were none; screenshots go to
// test-results/e2e (kept by CI as artifacts). Not a test file itself, so importing it runs no tests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { startWebHost, type WebHost } from '../../src-main/web/server.js';
import { buildRenderer } from '../support/renderer-build.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SHOTS = path.resolve('test-results', 'e2e');

export interface ChromiumUi {
  readonly dir: string;
  readonly core: Core;
  readonly host: WebHost;
  readonly page: Page;
  /** Messages of uncaught exceptions in the page, in order. */
  readonly pageErrors: string[];
  /** Console errors and warnings of the page (`error: …`, `warning: …`), in order. */
  readonly consoleProblems: string[];
  /** Loads the UI from the web host (its URL carries the session token). */
  open(): Promise<unknown>;
  /** A screenshot of the page as test-results/e2e/`name`.png. */
  shot(name: string): Promise<Buffer>;
}

export interface ChromiumUiOptions {
  /** The temp dir's name prefix (`stompscope-e2e-…`). */
  dirPrefix: string;
  /** Runs first in beforeAll (e.g. a check that the broker the test needs is there). */
  before?: () => void | Promise<void>;
  /** Fills the database before the web host starts. */
  seed?: (core: Core) => void | Promise<void>;
  /** beforeAll's timeout (default: the config's hookTimeout). */
  timeoutMs?: number;
}

/**
 * Registers the beforeAll/afterAll that start and stop the harness for the enclosing describe; the returned
 * object's fields are valid inside its tests.
 */
export function useChromiumUi(opts: ChromiumUiOptions): ChromiumUi {
  let dir = '';
  let core: Core | undefined;
  let host: WebHost | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    await opts.before?.();
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(path.join(tmpdir(), opts.dirPrefix));
    core = Core.open(path.join(dir, 'ui.db'));
    await opts.seed?.(core);
    host = await startWebHost({ core, rendererDir: await buildRenderer() });
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 900 }, timeout: 60_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`);
    });
  }, opts.timeoutMs);

  afterAll(async () => {
    await context?.close();
    await host?.close();
    await core?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get dir() {
      return dir;
    },
    get core() {
      return core!;
    },
    get host() {
      return host!;
    },
    get page() {
      return page!;
    },
    pageErrors,
    consoleProblems,
    open: () => page!.goto(host!.url),
    shot: (name) => page!.screenshot({ path: path.join(SHOTS, `${name}.png`), timeout: 10_000 }),
  };
}

/** One accessibility violation that axe-core rates critical or serious, with the elements it names. */
export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on what the page shows now and returns its critical and serious
 * violations; `[]` means none. The script is injected again after a navigation drops it. `within`: only the
 * elements matching this CSS selector (a dialog), not the rest of the page.
 */
export async function axeViolations(page: Page, within?: string): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy (script-src 'self') does not
  // govern, so the policy under test stays as users get it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (within) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(within ? { include: [[within]] } : document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, within ?? null);
}

/**
 * Starts a recording proxy from the UI as a user does (Start proxy…, a free loopback port, `upstream` as the
 * broker) and returns the port it listens on, read from the sidebar.
 */
export async function startProxyInUi(page: Page, upstream: string): Promise<number> {
  await page.getByTestId('start-proxy-toggle').click();
  await page.getByTestId('proxy-listen').fill('127.0.0.1:0');
  await page.getByTestId('proxy-upstream').fill(upstream);
  await page.getByTestId('proxy-start').click();
  const address = await page.getByTestId('proxy-address').textContent({ timeout: 15_000 });
  return Number(/:(\d+)$/.exec(address ?? '')![1]);
}
