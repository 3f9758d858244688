// The CLI's contract for people and scripts: help everywhere, one-line errors with exit status 2 for wrong
// arguments, --version.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('stompscope CLI', () => {
  it('prints its version', () => {
    const r = cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`stompscope ${pkg.version}`);
  });

  it('runs through the installed bin entry too', () => {
    const r = spawnSync(process.execPath, ['bin/stompscope.js', '--version'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout.trim()).toBe(`stompscope ${pkg.version}`);
  });

  it.each(['proxy', 'sessions', 'connections', 'frames'])('%s has --help', (cmd) => {
    const r = cli(cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: stompscope ${cmd}`));
  });

  it.each([
    [['nonsense'], /unknown command 'nonsense'/],
    [['frames', '--bogus'], /unknown option '--bogus'/],
    [['frames', '--session', 'abc'], /--session: 'abc' is not a positive integer id/],
    [['frames', '--body', 'hex'], /--body: expected 'base64'/],
    [['proxy'], /--upstream HOST:PORT is required/],
    [['proxy', '--upstream', 'localhost:99999'], /'99999' is not a port number/],
    [['proxy', '--upstream', '::1:61613'], /IPv6 addresses in brackets/],
    [['proxy', '--upstream', 'localhost', '--listen', '0.0.0.0:61623'], /not a loopback address; add --allow-remote/],
    [['proxy', '--upstream', 'localhost', '--tls-cert', 'a.pem'], /--tls-cert and --tls-key go together/],
    [['sessions', 'extra'], /unexpected argument 'extra'/],
    [['frames', '--session', '-3'], /--session: a value that starts with '-' must be written --session=VALUE/],
    [['frames', '--session=-3'], /--session: '-3' is not a positive integer id/],
  ])('rejects %j with one line and exit 2', (args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('says clearly when the database does not exist', () => {
    const r = cli('sessions', '--db', path.join(os.tmpdir(), 'no-such-stompscope.db'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^stompscope: no database at .*no-such-stompscope\.db$/);
  });

  it('refuses an id that is not in the database', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-cli-'));
    const db = path.join(dir, 'x.db');
    try {
      // An empty StompScope database: create it through a proxy that is stopped at once.
      const created = spawnSync(process.execPath, ['--import', 'tsx', '-e',
        `const { openDb } = await import('./src-main/core/store/db.ts'); openDb(${JSON.stringify(db)}).close();`],
      { cwd: root, encoding: 'utf8', timeout: 30_000 });
      expect(created.status).toBe(0);
      const r = cli('frames', '--db', db, '--session', '3');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no session 3/);
      expect(cli('sessions', '--db', db, '--jsonl')).toMatchObject({ code: 0, stdout: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
