// `stompscope ui --open` hands the browser launcher a URL, and any local user can read a command line (ps): the
// launcher must get a one-time code, never the token. The host trades a code once, before it expires, for a
// redirect to the token URL; expiry follows the clock the test gives the host, never a real timer.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { OPEN_CODE_TTL_MS, startWebHost, type WebHost } from '../../src-main/web/server.js';
import { REPO_ROOT } from '../support/proxy-cli.js';

function get(port: number, target: string, headers: Record<string, string> = {}): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** A renderer build stand-in: the host only needs index.html and an asset. */
function renderer(dir: string): string {
  const r = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(r, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(r, 'index.html'), '<!doctype html><script type="module" src="./assets/app.js"></script><div id="app"></div>');
  fs.writeFileSync(path.join(r, 'assets', 'app.js'), 'export {};');
  return r;
}

describe('web host: one-time codes for a browser launcher', () => {
  let dir = '';
  let core: Core;
  let host: WebHost;
  let clock = 1_000_000;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-open-'));
    core = Core.open(path.join(dir, 'w.db'));
    host = await startWebHost({ core, rendererDir: renderer(dir), now: () => clock });
  });
  afterAll(async () => {
    await host?.close();
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const code = (url: string) => new URL(url).searchParams.get('code')!;

  it('a code URL holds no token, and is traded once for a redirect to the token URL', async () => {
    const url = host.openUrl();
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?code=[A-Za-z0-9_-]{32}$`));
    expect(url).not.toContain(host.token);
    const first = await get(host.port, `/?code=${code(url)}`, { Host: `127.0.0.1:${host.port}` });
    expect(first.status).toBe(303);
    expect(first.location).toBe(`/?token=${host.token}`);
    const again = await get(host.port, `/?code=${code(url)}`, { Host: `127.0.0.1:${host.port}` });
    expect(again.status).toBe(403);
    expect(again.body).not.toContain(host.token);
  });

  it('a code expires OPEN_CODE_TTL_MS after it was made, by the host\'s clock', async () => {
    const early = host.openUrl();
    const late = host.openUrl();
    clock += OPEN_CODE_TTL_MS - 1;
    expect((await get(host.port, `/?code=${code(early)}`)).status).toBe(303);
    clock += 1;
    expect((await get(host.port, `/?code=${code(late)}`)).status).toBe(403);
  });

  it('refuses a wrong code, a code one character off, a code on another path, and a code from another Origin or Host', async () => {
    const c = code(host.openUrl());
    const off = c.slice(0, -1) + (c.endsWith('x') ? 'y' : 'x');
    expect((await get(host.port, `/?code=${off}`)).status).toBe(403);
    expect((await get(host.port, '/?code=')).status).toBe(403);
    expect((await get(host.port, `/?code=${host.token}`)).status).toBe(403);
    expect((await get(host.port, `/index.html?code=${c}`)).status).toBe(403);
    expect((await get(host.port, `/?code=${c}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(host.port, `/?code=${c}`, { Host: `evil.example:${host.port}` })).status).toBe(421);
    // None of these used the code up.
    expect((await get(host.port, `/?code=${c}`)).status).toBe(303);
  });

  it('codes are independent: using one leaves the others valid', async () => {
    const a = code(host.openUrl());
    const b = code(host.openUrl());
    expect(a).not.toBe(b);
    expect((await get(host.port, `/?code=${b}`)).status).toBe(303);
    expect((await get(host.port, `/?code=${a}`)).status).toBe(303);
  });
});

describe.skipIf(process.platform !== 'linux')('`stompscope ui --open`', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-open-cli-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the browser launcher a one-time link, not the token it prints', async () => {
    // A stand-in xdg-open first on PATH records the command line it was given.
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const argvFile = path.join(dir, 'launcher-argv');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}.tmp' && mv '${argvFile}.tmp' '${argvFile}'\n`, { mode: 0o755 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'ui', '--open', '--db', path.join(dir, 'u.db')], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, STOMPSCOPE_RENDERER_DIR: renderer(dir) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      await expect.poll(() => fs.existsSync(argvFile) && /token=/.test(stdout), { timeout: 30_000, interval: 50 }).toBe(true);
      const printed = new URL(stdout.trim().split('\n')[0]);
      const token = printed.searchParams.get('token')!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const argv = fs.readFileSync(argvFile, 'utf8').trim().split('\n');
      expect(argv).toHaveLength(1);
      expect(argv[0]).not.toContain(token);
      const opened = new URL(argv[0]);
      expect(opened.host).toBe(printed.host);
      // The link works once, and leads to the token URL.
      const first = await get(Number(opened.port), opened.pathname + opened.search);
      expect([first.status, first.location]).toEqual([303, `/?token=${token}`]);
      expect((await get(Number(opened.port), opened.pathname + opened.search)).status).toBe(403);
    } finally {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    expect(stderr).not.toMatch(/could not run/);
  });
});
