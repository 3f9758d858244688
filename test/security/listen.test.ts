// Who can connect: the proxy and the web host listen on loopback unless told otherwise, and only the proxy can
// be told otherwise, with an explicit --allow-remote that prints a warning. Checked through the real CLI and,
// where this machine has a non-loopback address, by trying to connect through it.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { startWebHost } from '../../src-main/web/server.js';
import { spawn } from 'node:child_process';
import { REPO_ROOT, runCli, startProxy } from '../support/proxy-cli.js';

/** A non-loopback IPv4 address of this machine, if it has one. */
const external = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address ?? null;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 10_000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    // Refused (or no answer) means nothing listens there; a reset means something accepted and then closed
    // (the proxy, when its upstream refuses it).
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNRESET' || e.code === 'EPIPE'));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Runs the CLI until its stderr matches `until` (or it exits, or 20 s pass), then stops it; returns stderr. */
function stderrUntil(args: string[], until: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const stop = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (until.test(err)) child.kill('SIGINT');
    });
    child.on('exit', () => {
      clearTimeout(stop);
      resolve(err);
    });
  });
}

describe('listen addresses', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-listen-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the proxy refuses a non-loopback listen address without --allow-remote: one line, exit 2, nothing listening', async () => {
    for (const listen of ['0.0.0.0:0', '[::]:0', ...(external ? [`${external}:0`] : []), '10.1.2.3:0']) {
      const r = await runCli(['proxy', '--listen', listen, '--upstream', '127.0.0.1:1', '--db', path.join(dir, 'refused.db')]);
      expect(r.code, listen).toBe(2);
      expect(r.stderr.trim().split('\n'), listen).toHaveLength(1);
      expect(r.stderr).toMatch(/not a loopback address; add --allow-remote/);
      expect(r.stderr).not.toMatch(/listening on/);
    }
    expect(fs.existsSync(path.join(dir, 'refused.db'))).toBe(false);
  });

  it('the proxy listens on 127.0.0.1 by default (a bare port, or no --listen at all)', async () => {
    const p = await startProxy({ upstream: '127.0.0.1:1', db: path.join(dir, 'default.db'), name: 'default', extraArgs: ['--listen', '0'] });
    try {
      expect(p.host).toBe('127.0.0.1');
      expect(p.stderrText()).not.toMatch(/warning/);
      expect(await reachable('127.0.0.1', p.port)).toBe(true);
      if (external) expect(await reachable(external, p.port), `not reachable through ${external}`).toBe(false);
    } finally {
      expect((await p.stop()).code).toBe(0);
    }
    // Without --listen: the documented default, 127.0.0.1:61623 (the port may be taken by something else here,
    // in which case the refusal names the same address).
    expect(await stderrUntil(['proxy', '--upstream', '127.0.0.1:1', '--db', path.join(dir, 'bare.db')], /listening on|cannot listen/))
      .toMatch(/(proxy listening on|--listen) 127\.0\.0\.1:61623/);
  });

  it('--allow-remote listens where asked and warns that anyone who can reach the machine can use it', async () => {
    const p = await startProxy({ upstream: '127.0.0.1:1', db: path.join(dir, 'remote.db'), name: 'remote', extraArgs: ['--listen', '0.0.0.0:0', '--allow-remote'] });
    try {
      expect(p.host).toBe('0.0.0.0');
      expect(p.stderrText()).toMatch(/warning: listening on 0\.0\.0\.0: anyone who can reach this machine can use the proxy/);
      if (external) expect(await reachable(external, p.port), `reachable through ${external}`).toBe(true);
    } finally {
      expect((await p.stop()).code).toBe(0);
    }
  });

  it('the web host has no way to listen elsewhere: `ui` knows no such option, and it binds 127.0.0.1', async () => {
    for (const opt of ['--listen', '--host', '--allow-remote']) {
      const r = await runCli(['ui', opt, '0.0.0.0', '--db', path.join(dir, 'ui.db')]);
      expect(r.code, opt).toBe(2);
      expect(r.stderr, opt).toMatch(new RegExp(`unknown option '${opt}'`));
    }
    const renderer = path.join(dir, 'renderer');
    fs.mkdirSync(renderer, { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
    const core = Core.open(path.join(dir, 'web.db'));
    const host = await startWebHost({ core, rendererDir: renderer });
    try {
      expect(await reachable('127.0.0.1', host.port)).toBe(true);
      if (external) expect(await reachable(external, host.port), `not reachable through ${external}`).toBe(false);
      expect(await reachable('::1', host.port)).toBe(false);
    } finally {
      await host.close();
      await core.close();
    }
  });

  it('a proxy started from the UI (proxy.start) may listen on loopback only', async () => {
    const core = Core.open(path.join(dir, 'api.db'));
    try {
      for (const listen of ['0.0.0.0:0', '[::]:0', '10.1.2.3:0', ...(external ? [`${external}:0`] : [])]) {
        let err: unknown = null;
        try {
          await core.invoke('proxy.start', { listen, upstream: '127.0.0.1:1' });
        } catch (e) {
          err = e;
        }
        expect(err, listen).toBeInstanceOf(ApiError);
        expect((err as ApiError).message, listen).toMatch(/not a loopback address/);
      }
      expect(core.invoke('proxy.list', {})).toEqual([]);
    } finally {
      await core.close();
    }
  });
});
