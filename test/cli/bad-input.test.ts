// Bad input on the command line ends in one line on stderr and a non-zero exit, never a stack trace or a hang:
// PEM files (--ca, --tls-cert, --tls-key) that are devices, too big, not PEM, or the wrong PEM; a --db that is
// not a database file (a device, a pipe); a --timeout no timer can take; and every command's wrong arguments.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCert } from '../support/fake-broker.js';
import { runCli, type CliResult } from '../support/proxy-cli.js';

/** Runs the CLI with each argument list, a few at a time (each is a Node process). */
async function runAll(cases: string[][]): Promise<CliResult[]> {
  const out: CliResult[] = [];
  for (let i = 0; i < cases.length; i += 4) out.push(...(await Promise.all(cases.slice(i, i + 4).map((c) => runCli(c, 30_000)))));
  return out;
}

function expectOneLine(r: CliResult, code: number, line: string | RegExp, what: string): void {
  expect(r.signal, `${what}: killed (hang?)`).toBeNull();
  expect(r.code, `${what}: ${r.stderr}`).toBe(code);
  const lines = r.stderr.split('\n');
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(2); // one line, then the final newline
  if (typeof line === 'string') expect(lines[0], what).toBe(line);
  else expect(lines[0], what).toMatch(line);
}

describe('bad input on the command line', () => {
  let dir = '';
  let good = { cert: '', key: '' };
  let other = { cert: '', key: '' };
  const DEV_NULL_SIDE_FILES = ['/dev/null-journal', '/dev/null-wal', '/dev/null-shm'];
  let existedBefore: string[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'stompscope-badinput-'));
    existedBefore = DEV_NULL_SIDE_FILES.filter((f) => fs.existsSync(f));
    const a = makeCert(dir, 'a');
    const b = makeCert(dir, 'b');
    good = { cert: path.join(dir, 'a-cert.pem'), key: path.join(dir, 'a-key.pem') };
    other = { cert: path.join(dir, 'b-cert.pem'), key: path.join(dir, 'b-key.pem') };
    expect(a.cert && b.cert).toBeTruthy();
  });
  afterAll(() => {
    // A StompScope that opened /dev/null as a database left its journal there: remove what this test made.
    for (const f of DEV_NULL_SIDE_FILES) if (!existedBefore.includes(f)) fs.rmSync(f, { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--ca, --tls-cert, --tls-key: a device, a directory, a missing, huge, non-PEM or broken file is one line naming the option', async () => {
    const passwd = path.join(dir, 'passwd');
    fs.writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
    const huge = path.join(dir, 'huge.pem');
    fs.writeFileSync(huge, Buffer.alloc(1024 * 1024 + 1, 'A'));
    const broken = path.join(dir, 'broken.pem');
    fs.writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const up = ['proxy', '--upstream', '127.0.0.1:1', '--listen', '127.0.0.1:0', '--db', path.join(dir, 'p.db')];
    const cases: Array<[string[], string | RegExp]> = [
      [[...up, '--upstream-tls', '--ca', '/dev/zero'], 'stompscope proxy: --ca: /dev/zero: a character device, not a PEM file'],
      [[...up, '--upstream-tls', '--ca', dir], `stompscope proxy: --ca: ${dir}: a directory, not a PEM file`],
      [[...up, '--upstream-tls', '--ca', path.join(dir, 'nope.pem')], `stompscope proxy: --ca: ${path.join(dir, 'nope.pem')}: cannot read (ENOENT)`],
      [[...up, '--upstream-tls', '--ca', huge], `stompscope proxy: --ca: ${huge}: 1048577 bytes, more than a PEM file holds (at most 1048576)`],
      [[...up, '--upstream-tls', '--ca', passwd], `stompscope proxy: --ca: ${passwd}: not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)`],
      [[...up, '--upstream-tls', '--ca', broken], new RegExp(`^stompscope proxy: --ca: ${broken}: not a valid PEM certificate: certificate 1 of 1: `)],
      [[...up, '--tls-cert', broken, '--tls-key', good.key], new RegExp(`^stompscope proxy: --tls-cert: ${broken}: not a valid PEM certificate: `)],
      [[...up, '--tls-cert', good.cert, '--tls-key', good.cert], `stompscope proxy: --tls-key: ${good.cert}: not a PEM private key (no '-----BEGIN PRIVATE KEY-----' line)`],
      [[...up, '--tls-cert', good.cert, '--tls-key', '/dev/zero'], 'stompscope proxy: --tls-key: /dev/zero: a character device, not a PEM file'],
      [[...up, '--tls-cert', good.cert, '--tls-key', other.key], new RegExp(`^stompscope proxy: --tls-cert and --tls-key: ${good.cert} and ${other.key} cannot be used together: `)],
      [['replay', '--connection', '1', '--target', '127.0.0.1:1', '--target-tls', '--ca', '/dev/zero'], 'stompscope replay: --ca: /dev/zero: a character device, not a PEM file'],
      [['replay', '--connection', '1', '--target', '127.0.0.1:1', '--target-tls', '--ca', passwd], `stompscope replay: --ca: ${passwd}: not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)`],
    ];
    const results = await runAll(cases.map(([args]) => args));
    results.forEach((r, i) => expectOneLine(r, 2, cases[i][1], cases[i][0].slice(6).join(' ')));
    // Nothing was recorded for a proxy that never started.
    expect(fs.existsSync(path.join(dir, 'p.db'))).toBe(false);
  });

  it('a good --ca and --tls-cert/--tls-key still pass the checks', async () => {
    // The checks pass; the proxy then stops at the next step, the database, whose path runs through a file.
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, '');
    const r = await runCli(['proxy', '--upstream', '127.0.0.1:1', '--upstream-tls', '--ca', other.cert, '--tls-cert', good.cert, '--tls-key', good.key,
      '--listen', '127.0.0.1:0', '--db', path.join(plain, 'x.db')], 30_000);
    expectOneLine(r, 1, `stompscope: cannot open database ${path.join(plain, 'x.db')}: ENOTDIR`, 'good PEM files');
  });

  it('--db that is a device or a named pipe: every command refuses it in one line, and nothing is made beside it', async () => {
    const fifo = path.join(dir, 'db.fifo');
    execFileSync('mkfifo', [fifo]);
    const capture = path.join(dir, 'c.pcap');
    fs.writeFileSync(capture, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    const out = path.join(dir, 'x.jsonl');
    const commands = [
      ['import', capture], ['sessions'], ['connections'], ['frames'], ['report'], ['export', '--session', '1', '--format', 'jsonl', '--out', out],
      ['replay', '--connection', '1', '--target', '127.0.0.1:1'], ['diff', '--connection', '1', '--connection', '2'],
      ['proxy', '--upstream', '127.0.0.1:1', '--listen', '127.0.0.1:0'],
    ];
    for (const [db, kind] of [['/dev/null', 'a character device'], [fifo, 'a named pipe (FIFO)']]) {
      const results = await runAll(commands.map((c) => [...c, '--db', db]));
      results.forEach((r, i) => expectOneLine(r, 1, `stompscope: cannot use ${db} as a database: it is ${kind}; give a database file or a new path`, `${commands[i][0]} --db ${db}`));
    }
    for (const f of DEV_NULL_SIDE_FILES) if (!existedBefore.includes(f)) expect(fs.existsSync(f), f).toBe(false);
    // A new database under a directory where nothing can be made: Node's recursive mkdir spun there forever.
    const [imp, prx] = await runAll([['import', capture, '--db', '/proc/no-such-dir/x.db'], ['proxy', '--upstream', '127.0.0.1:1', '--listen', '127.0.0.1:0', '--db', '/proc/no-such-dir/x.db']]);
    const cannot = 'cannot open database /proc/no-such-dir/x.db: cannot create the directory /proc/no-such-dir (ENOENT)';
    expectOneLine(imp, 1, `stompscope: ${cannot}`, 'import --db /proc/no-such-dir/x.db');
    expectOneLine(prx, 1, `stompscope: cannot record into /proc/no-such-dir/x.db: ${cannot}`, 'proxy --db /proc/no-such-dir/x.db');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('db.fifo'))).toEqual(['db.fifo']);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('replay --timeout beyond what a timer takes (2^31 - 1 ms) is one line, exit 2; the largest is accepted', async () => {
    const base = ['replay', '--connection', '1', '--target', '127.0.0.1:1', '--db', path.join(dir, 'none.db')];
    const [over, max, huge] = await runAll([[...base, '--timeout', '2147483648'], [...base, '--timeout', '2147483647'], [...base, '--timeout', '1e99']]);
    expectOneLine(over, 2, "stompscope replay: --timeout: '2147483648' is more than 2147483647 ms (about 24.8 days), the longest wait a timer takes", 'over');
    // Accepted: the next check (the database) is what stops it.
    expectOneLine(max, 2, `stompscope replay: --db: no database at ${path.join(dir, 'none.db')}`, 'max');
    expectOneLine(huge, 2, "stompscope replay: --timeout: '1e99' is not a positive integer", 'huge');
  });

  it('every command: an unknown option and a bad value are one line, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['proxy', '--bogus'], "stompscope proxy: unknown option '--bogus'"],
      [['sessions', '--bogus'], "stompscope sessions: unknown option '--bogus'"],
      [['connections', '--session', 'x'], "stompscope connections: --session: 'x' is not a positive integer id"],
      [['frames', '--max-body', '-1'], "stompscope frames: --max-body: a value that starts with '-' must be written --max-body=VALUE"],
      [['frames', '--max-body=1.5M'], "stompscope frames: --max-body: '1.5M' is not a size (bytes, or with K, M: e.g. 64K, 16M)"],
      [['import', '--bogus'], "stompscope import: unknown option '--bogus'"],
      [['import', 'x.pcap', '--port', '0'], "stompscope import: --port: '0' is not a port number (1-65535)"],
      [['replay', '--connection', '1'], 'stompscope replay: --target HOST:PORT is required (the broker to replay against)'],
      [['replay', '--connection', '1', '--target', 'h', '--speed', '0'], "stompscope replay: --speed: '0' is not a positive number"],
      [['diff', '--bogus'], "stompscope diff: unknown option '--bogus'"],
      [['export', '--bogus'], "stompscope export: unknown option '--bogus'"],
      [['report', '--bogus'], "stompscope report: unknown option '--bogus'"],
      [['ui', '--bogus'], "stompscope ui: unknown option '--bogus'"],
    ];
    const results = await runAll(cases.map(([args]) => args));
    results.forEach((r, i) => expectOneLine(r, 2, cases[i][1], cases[i][0].join(' ')));
  });
});
