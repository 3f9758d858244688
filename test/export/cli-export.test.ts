// `stompscope export` through the real CLI: usage mistakes are one line and exit 2 with nothing written; the
// output goes to exactly the resolved --out path, whole or not at all; an existing file is replaced only with
// --force; JSON lines are the `frames --jsonl` shape, masked unless --reveal-secrets.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASK } from '../../shared/stomp/secrets.js';
import { REPO_ROOT, runCli } from '../support/proxy-cli.js';
import { frame, recordConversation, tmpDir } from '../replay/support.js';

describe('stompscope export (CLI)', () => {
  let dir = '';
  let db = '';
  let s1 = { session: 0, connection: 0 };
  let s2 = { session: 0, connection: 0 };
  const exp = (...args: string[]) => runCli(['export', '--db', db, ...args]);
  const listing = (d: string) => fs.readdirSync(d).sort();

  beforeAll(async () => {
    dir = tmpDir('stompscope-export-cli-');
    db = path.join(dir, 'rec.db');
    s1 = await recordConversation(db, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/'], ['login', 'guest'], ['passcode', 'pa55']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/x'], ['x-e', 'a\\cb']], 'hello') },
      { from: 'client', data: frame('DISCONNECT', [['receipt', 'r1']]) },
      { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r1']]) },
    ], 'one');
    s2 = await recordConversation(db, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
    ], 'two');
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints its help with exit 0, and is listed in the main help', async () => {
    const r = await runCli(['export', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: stompscope export');
    for (const f of ['pcapng', 'jsonl', 'stomp.py', 'stompjs', '--reveal-secrets', '--force']) expect(r.stdout).toContain(f);
    expect((await runCli(['--help'])).stdout).toMatch(/^\s+export\s/m);
  });

  it('refuses usage mistakes with one line and exit 2, writing nothing', async () => {
    const out = path.join(dir, 'never.out');
    const cases: Array<[string[], RegExp]> = [
      [['--session', String(s1.session), '--out', out], /--format: give one of/],
      [['--session', String(s1.session), '--format', 'xml', '--out', out], /--format: 'xml' is not one of pcapng, jsonl, stomp\.py, stompjs/],
      [['--session', String(s1.session), '--format', 'jsonl'], /--out: give the file/],
      [['--format', 'pcapng', '--out', out], /--session: give the session/],
      [['--session', 'abc', '--format', 'pcapng', '--out', out], /--session: 'abc' is not a positive integer id/],
      [['--session', '999', '--format', 'pcapng', '--out', out], /--session: no session 999/],
      [['--session', String(s1.session), '--format', 'pcapng', '--frame', '1', '--out', out], /--frame: only with --format stomp\.py or stompjs/],
      [['--format', 'stomp.py', '--out', out], /give either --connection ID or --frame ID/],
      [['--format', 'stompjs', '--connection', String(s1.connection), '--frame', '1', '--out', out], /give either --connection ID or --frame ID/],
      [['--session', String(s1.session), '--connection', String(s2.connection), '--format', 'jsonl', '--out', out], /belongs to session/],
      [['--format', 'stomp.py', '--frame', '2', '--out', out], /--frame: frame 2 was sent by the broker/],
      [['--format', 'stomp.py', '--frame', '9999', '--out', out], /--frame: no frame 9999/],
      [['--session', String(s1.session), '--format', 'jsonl', '--out', out, '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await exp(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it('writes JSON lines in the frames --jsonl shape, masked by default, everything with --reveal-secrets', async () => {
    const frames = await runCli(['frames', '--db', db, '--session', String(s1.session), '--jsonl', '--reveal-secrets']);
    expect(frames.code).toBe(0);
    expect(frames.stdout).toContain('pa55');
    const revealed = path.join(dir, 'revealed.jsonl');
    const r = await exp('--session', String(s1.session), '--format', 'jsonl', '--out', revealed, '--reveal-secrets');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/5 frames → .*revealed\.jsonl/);
    expect(fs.readFileSync(revealed, 'utf8')).toBe(frames.stdout);
    const masked = path.join(dir, 'masked.jsonl');
    expect((await exp('--session', String(s1.session), '--format', 'jsonl', '--out', masked)).code).toBe(0);
    const want = frames.stdout.split('\n').filter(Boolean).map((l) => {
      const o = JSON.parse(l) as { headers: [string, string][] };
      o.headers = o.headers.map(([n, v]) => [n, n === 'login' || n === 'passcode' ? MASK : v]);
      return o;
    });
    expect(fs.readFileSync(masked, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual(want);
    expect(fs.readFileSync(masked, 'utf8')).not.toContain('pa55');
    // `frames --jsonl` masks by default too, exactly as the export does.
    const framesMasked = await runCli(['frames', '--db', db, '--session', String(s1.session), '--jsonl']);
    expect(framesMasked.stdout).toBe(fs.readFileSync(masked, 'utf8'));
  });

  it('refuses to replace an existing file without --force, and replaces it with --force', async () => {
    const out = path.join(dir, 'exists.jsonl');
    fs.writeFileSync(out, 'keep me\n');
    const r = await exp('--session', String(s1.session), '--format', 'jsonl', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`stompscope export: --out: ${out} exists; add --force to replace it`);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me\n');
    const f = await exp('--session', String(s1.session), '--format', 'jsonl', '--out', out, '--force');
    expect(f.code, f.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('gives a clear error for a directory or a missing parent directory', async () => {
    const d = await exp('--session', String(s1.session), '--format', 'pcapng', '--out', dir, '--force');
    expect(d.code).toBe(2);
    expect(d.stderr.trim()).toBe(`stompscope export: --out: ${dir} is a directory; give a file name`);
    const missing = path.join(dir, 'no-such-dir', 'x.pcapng');
    const m = await exp('--session', String(s1.session), '--format', 'pcapng', '--out', missing);
    expect(m.code).toBe(2);
    expect(m.stderr.trim()).toBe(`stompscope export: --out: the directory ${path.join(dir, 'no-such-dir')} does not exist`);
    expect(fs.existsSync(path.join(dir, 'no-such-dir'))).toBe(false);
    // A symbolic link is never replaced, even with --force (it would be swapped for a file), nor a device.
    const target = path.join(dir, 'target.txt');
    fs.writeFileSync(target, 'target\n');
    const link = path.join(dir, 'link.pcapng');
    fs.symlinkSync(target, link);
    const l = await exp('--session', String(s1.session), '--format', 'pcapng', '--out', link, '--force');
    expect(l.code).toBe(2);
    expect(l.stderr.trim()).toBe(`stompscope export: --out: ${link} is a symbolic link; give the path of a file`);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('target\n');
    const dev = await exp('--session', String(s1.session), '--format', 'jsonl', '--out', '/dev/null', '--force');
    expect(dev.code).toBe(2);
    expect(dev.stderr.trim()).toBe('stompscope export: --out: /dev/null is not a regular file (a device, socket or pipe)');
  });

  it('an --out through a regular file (FILE/x, FILE/x/y) is one line, not a stack trace', async () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'plain\n');
    for (const out of [path.join(file, 'x'), path.join(file, 'x', 'y.jsonl')]) {
      const r = await exp('--session', String(s1.session), '--format', 'jsonl', '--out', out);
      expect([r.code, r.stderr]).toEqual([2, `stompscope export: --out: ${file} is not a directory\n`]);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('plain\n');
    const m = await exp('--session', String(s1.session), '--format', 'jsonl', '--max-body', '1K', '--format', 'pcapng', '--out', path.join(dir, 'm.pcapng'));
    expect([m.code, m.stderr]).toEqual([2, 'stompscope export: --max-body: only with --format jsonl\n']);
  });

  it('writes exactly the resolved path of an --out with ../ in it, and nothing else (no temporary file left)', async () => {
    const work = path.join(dir, 'dotdot');
    fs.mkdirSync(path.join(work, 'a', 'b'), { recursive: true });
    const before = listing(work);
    // Relative to the CLI's working directory (the repository), through ../ segments.
    const rel = path.relative(REPO_ROOT, path.join(work, 'a', 'b')) + '/../../out.pcapng';
    expect(rel).toContain('../');
    const r = await exp('--session', String(s1.session), '--format', 'pcapng', '--out', rel);
    expect(r.code, r.stderr).toBe(0);
    const resolved = path.join(work, 'out.pcapng');
    expect(r.stderr).toContain(`→ ${resolved}`);
    expect(listing(work)).toEqual([...before, 'out.pcapng'].sort());
    expect(listing(path.join(work, 'a'))).toEqual(['b']);
    expect(listing(path.join(work, 'a', 'b'))).toEqual([]);
    // A pcapng section header block, little-endian.
    const head = fs.readFileSync(resolved).subarray(0, 12);
    expect(head.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(head.readUInt32LE(8)).toBe(0x1a2b3c4d);
  });

  it('round trip through the CLI: export pcapng --reveal-secrets, import it, the same frames', async () => {
    const out = path.join(dir, 'round.pcapng');
    const e = await exp('--session', String(s1.session), '--format', 'pcapng', '--out', out, '--reveal-secrets');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/1 connection, \d+ packets, \d+ payload bytes → /);
    const db2 = path.join(dir, 'round.db');
    const i = await runCli(['import', out, '--db', db2, '--json']);
    expect(i.code, i.stderr).toBe(0);
    const frames = async (d: string, session: number) => (await runCli(['frames', '--db', d, '--session', String(session), '--jsonl'])).stdout
      .split('\n').filter(Boolean).map((l) => {
        const f = JSON.parse(l) as Record<string, unknown>;
        return { from: f.from, time: f.time, command: f.command, headers: f.headers, body: f.body, bodySha256: f.bodySha256 };
      });
    expect(await frames(db2, (JSON.parse(i.stdout) as { session: number }).session)).toEqual(await frames(db, s1.session));
  });

  it('writes copy-as-code for a connection and for one client frame', async () => {
    const py = path.join(dir, 'conn.py');
    const r = await exp('--format', 'stomp.py', '--connection', String(s1.connection), '--out', py);
    expect(r.code, r.stderr).toBe(0);
    const text = fs.readFileSync(py, 'utf8');
    expect(text).toContain('import stomp');
    expect(text).toContain(`PASSCODE = "${MASK}"`);
    expect(text).not.toContain('pa55');
    const js = path.join(dir, 'frame.mjs');
    const f = await exp('--format', 'stompjs', '--frame', '3', '--session', String(s1.session), '--out', js, '--reveal-secrets');
    expect(f.code, f.stderr).toBe(0);
    const mod = fs.readFileSync(js, 'utf8');
    expect(mod).toContain("from '@stomp/stompjs'");
    expect(mod).toContain('const PASSCODE = "pa55"');
    expect(mod).toContain('client.publish({ destination: "/queue/x", body: "hello"');
  });
});
