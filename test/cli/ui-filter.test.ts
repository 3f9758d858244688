// `stompscope frames --filter` (the display-filter language on the command line) and `stompscope ui`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { REPO_ROOT, runCli } from '../support/proxy-cli.js';
import { buildRenderer } from '../support/renderer-build.js';
import { conversation, seedSession } from '../support/seed.js';

describe('stompscope frames --filter', () => {
  let dir = '';
  let db = '';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-cli-filter-'));
    db = path.join(dir, 'c.db');
    const core = Core.open(db);
    seedSession(core.db, { name: 'seeded', connections: 1, frames: conversation(12) });
    await core.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints only the matching frames, in the JSONL shape', async () => {
    const r = await runCli(['frames', '--db', db, '--jsonl', '--filter', 'command == "SEND" and destination contains "orders"']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(8);
    expect(rows.every((f) => f.command === 'SEND' && f.headers.some(([k, v]: string[]) => k === 'destination' && v === '/queue/orders'))).toBe(true);
    const body = await runCli(['frames', '--db', db, '--filter', 'body contains "answer 42"']);
    expect(body.stdout.trim().split('\n')).toHaveLength(3); // SEND 0 and 10, and the MESSAGE of 10
  });

  it('points at a syntax error with a caret, exit status 2', async () => {
    const r = await runCli(['frames', '--db', db, '--filter', 'size > "big"']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--filter: size is a number');
    expect(r.stderr).toContain('\n         ^');
  });
});

describe('stompscope ui', () => {
  it('prints a tokenised 127.0.0.1 URL and serves the UI there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-cli-ui-'));
    const env = { ...process.env, STOMPSCOPE_RENDERER_DIR: await buildRenderer() };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'ui', '--db', path.join(dir, 'u.db')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 30_000);
        child.stdout.setEncoding('utf8').on('data', (d) => {
          out += d;
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[0]);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const status = (u: string) => new Promise<number>((resolve, reject) => http.get(u, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject));
      expect(await status(url)).toBe(200);
      expect(await status(url.replace(/token=.*/, 'token=wrong'))).toBe(403);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'ui', '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: stompscope ui [--db FILE] [--port N] [--open]');
  });

  it('says how to build the UI when there is no build', async () => {
    const env = { ...process.env, STOMPSCOPE_RENDERER_DIR: path.join(tmpdir(), 'no-such-renderer-build') };
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'ui', '--db', path.join(tmpdir(), 'never-created.db')], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('npm run build');
  });
});
