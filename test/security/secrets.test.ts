// Credentials on the wire (CONNECT's login and passcode, token-like headers) through the real CLI proxy to a
// real RabbitMQ: recorded as sent (wire truth), but never printed by `stompscope proxy` (its live lines and its
// messages), masked by default in the UI's frame detail (headers and raw bytes), in every export and in the
// diff of two connections (RabbitMQ copies a SEND's headers into the MESSAGE it delivers), shown only when asked
// for explicitly (revealSecrets, --reveal-secrets). A credential line typed with '=' for ':' is not a header, but
// its value must not come back through an issue message either.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MASK } from '../../shared/stomp/secrets.js';
import { Core } from '../../src-main/core/api.js';
import { WireSplitter } from '../support/stomp-wire.js';
import { runCli, startProxy, type CliResult } from '../support/proxy-cli.js';

const SECRETS = { passcode: 'sec-pass-9Zq4', apiKey: 'sec-apikey-3Xw8', token: 'sec-token-5Yv2', authorization: 'Bearer sec-bearer-7Tu1' };
/** Carried by the two connections whose MESSAGEs are diffed, and by a mistyped CONNECT line. */
const MORE = { tokenA: 'sec-diff-a-4Rk6', tokenB: 'sec-diff-b-8Mn3', xApiKeyA: 'sec-xkey-a-2Jd5', xApiKeyB: 'sec-xkey-b-6Wc9', mistyped: 'Hunter2Secret' };

/** Sends `frames` on one connection through the proxy and waits (bounded) for `until` frames from the broker. */
async function converse(port: number, frames: string[], until: (commands: string[]) => boolean): Promise<string[]> {
  const sock = net.connect(port, '127.0.0.1');
  const splitter = new WireSplitter();
  const got: string[] = [];
  sock.on('data', (d) => {
    for (const ev of splitter.feed(d)) if (ev.kind === 'frame') got.push(ev.frame.command);
  });
  sock.on('error', () => {});
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  for (const f of frames) sock.write(f);
  const deadline = Date.now() + 10_000;
  while (!until(got) && Date.now() < deadline && !sock.destroyed) await new Promise((r) => setTimeout(r, 20));
  sock.destroy();
  return got;
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('secrets are masked by default', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  let db = '';
  let proxyRun: CliResult;
  let core: Core;
  let diffA = 0;
  let diffB = 0;

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-secrets-'));
    db = path.join(dir, 's.db');
    const proxy = await startProxy({ upstream: `${rabbit.host}:${rabbit.stompPort}`, db, name: 'secrets' });
    try {
      // A refused login (RabbitMQ answers ERROR and closes): the passcode crosses the proxy and is recorded.
      const refused = await converse(proxy.port, [`CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:${SECRETS.passcode}\n\n\0`], (c) => c.includes('ERROR'));
      expect(refused).toContain('ERROR');
      // An accepted one, then a SEND carrying token-like headers and a receipt.
      const ok = await converse(proxy.port, [
        `CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0`,
        `SEND\ndestination:/queue/secrets-${process.pid}\napi-key:${SECRETS.apiKey}\nx-auth-token:${SECRETS.token}\nauthorization:${SECRETS.authorization}\nreceipt:r1\n\nhello\0`,
      ], (c) => c.includes('RECEIPT') || c.includes('ERROR'));
      expect(ok).toEqual(['CONNECTED', 'RECEIPT']);
      // A passcode line with '=' for ':' (RabbitMQ closes the connection on it; whatever it answers, the CONNECT is recorded).
      await converse(proxy.port, [`CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode=${MORE.mistyped}\n\n\0`],
        (c) => c.includes('CONNECTED') || c.includes('ERROR'));
      // Two connections that each send themselves a message with their own credential headers.
      const queue = `/queue/secrets-diff-${process.pid}`;
      for (const [token, xKey] of [[MORE.tokenA, MORE.xApiKeyA], [MORE.tokenB, MORE.xApiKeyB]]) {
        const got = await converse(proxy.port, [
          `CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0`,
          `SUBSCRIBE\ndestination:${queue}\nid:s1\nack:auto\n\n\0`,
          `SEND\ndestination:${queue}\nauth-token:${token}\nx-api-key:${xKey}\n\nsame body\0`,
        ], (c) => c.includes('MESSAGE') || c.includes('ERROR'));
        expect(got).toEqual(['CONNECTED', 'MESSAGE']);
      }
    } finally {
      proxyRun = await proxy.stop();
    }
    core = Core.open(db);
    [diffA, diffB] = core.db.prepare(`SELECT DISTINCT connection_id FROM frames WHERE command = 'SUBSCRIBE' ORDER BY connection_id`).pluck().all() as number[];
  });
  afterAll(async () => {
    await core?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const none = (text: string, what: string) => {
    for (const [name, value] of Object.entries({ ...SECRETS, ...MORE })) expect(text, `${what} shows the ${name}`).not.toContain(value.replace('Bearer ', ''));
  };

  it('`stompscope proxy` printed a line per frame, and no credential in its output', () => {
    expect(proxyRun.code).toBe(0);
    const lines = proxyRun.stdout.split('\n').filter(Boolean);
    expect(lines.some((l) => /CONNECT/.test(l))).toBe(true);
    expect(lines.some((l) => /SEND/.test(l))).toBe(true);
    none(proxyRun.stdout, 'the live lines');
    none(proxyRun.stderr, 'the messages');
  });

  it('the recording keeps the wire truth', () => {
    const headers = (core.db.prepare(`SELECT headers FROM frames WHERE command IN ('CONNECT', 'SEND') ORDER BY id`).pluck().all() as string[]).join('\n');
    for (const v of Object.values(SECRETS)) expect(headers).toContain(v);
  });

  it('frame detail (the UI) masks header values and raw bytes unless revealSecrets', async () => {
    const ids = core.db.prepare(`SELECT id FROM frames WHERE command IN ('CONNECT', 'SEND') AND (headers LIKE '%sec-%') AND connection_id NOT IN (?, ?) ORDER BY id`)
      .pluck().all(diffA, diffB) as number[];
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const d = (await core.invoke('frame.detail', { id })) as { headers: Array<{ name: string; value: string; rawValue: string }>; rawBase64: string | null };
      const raw = Buffer.from(d.rawBase64 ?? '', 'base64').toString('latin1');
      none(JSON.stringify(d.headers) + raw, `frame ${id}`);
      for (const h of d.headers) if (/passcode|api-key|token|authorization/.test(h.name)) expect([h.value, h.rawValue]).toEqual([MASK, MASK]);
      const shown = (await core.invoke('frame.detail', { id, revealSecrets: true })) as { headers: Array<{ value: string }>; rawBase64: string };
      const all = JSON.stringify(shown.headers) + Buffer.from(shown.rawBase64, 'base64').toString('latin1');
      expect(Object.values(SECRETS).some((v) => all.includes(v))).toBe(true);
    }
  });

  it('exports (UI ticket, `stompscope export` jsonl and pcapng) are masked by default; --reveal-secrets is explicit', async () => {
    const session = core.db.prepare('SELECT id FROM sessions ORDER BY id DESC LIMIT 1').pluck().get() as number;
    const ticket = (core.invoke('session.export', { session, filter: '' }) as { ticket: string }).ticket;
    let exported = '';
    for await (const part of core.takeExport(ticket)!) exported += part as string;
    none(exported, 'the UI export');

    for (const format of ['jsonl', 'pcapng']) {
      const masked = path.join(dir, `masked.${format}`);
      const r = await runCli(['export', '--db', db, '--session', String(session), '--format', format, '--out', masked]);
      expect(r.code, r.stderr).toBe(0);
      none(fs.readFileSync(masked).toString('latin1'), `export --format ${format}`);
      const revealed = path.join(dir, `revealed.${format}`);
      expect((await runCli(['export', '--db', db, '--session', String(session), '--format', format, '--out', revealed, '--reveal-secrets'])).code).toBe(0);
      expect(fs.readFileSync(revealed).toString('latin1')).toContain(SECRETS.passcode);
    }
  });

  it('the broker copied the credential headers into its MESSAGEs: `stompscope diff` lists them changed but masked, text and --json', async () => {
    expect(diffA).toBeGreaterThan(0);
    const messages = core.db.prepare(`SELECT headers FROM frames WHERE command = 'MESSAGE' AND connection_id IN (?, ?)`).pluck().all(diffA, diffB) as string[];
    expect(messages.join('')).toContain(MORE.tokenA);
    const text = await runCli(['diff', '--db', db, '--connection', String(diffA), '--connection', String(diffB)]);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain(`auth-token: "${MASK}" → "${MASK}"`);
    expect(text.stdout).toContain(`x-api-key: "${MASK}" → "${MASK}"`);
    none(text.stdout + text.stderr, 'diff');
    const json = await runCli(['diff', '--db', db, '--connection', String(diffA), '--connection', String(diffB), '--json', '--include-volatile']);
    expect(json.code, json.stderr).toBe(1);
    none(json.stdout, 'diff --json');
    const d = JSON.parse(json.stdout) as { differences: Array<{ command: string; headers: Array<{ name: string; a: string; b: string }> }> };
    expect(d.differences.find((x) => x.command === 'MESSAGE')!.headers).toContainEqual({ name: 'auth-token', a: MASK, b: MASK });
    const revealed = await runCli(['diff', '--db', db, '--connection', String(diffA), '--connection', String(diffB), '--reveal-secrets']);
    expect(revealed.code, revealed.stderr).toBe(1);
    expect(revealed.stdout).toContain(`auth-token: "${MORE.tokenA}" → "${MORE.tokenB}"`);
    expect(revealed.stdout).toContain(`x-api-key: "${MORE.xApiKeyA}" → "${MORE.xApiKeyB}"`);
  });

  it('replay.diff (the UI\'s replay diff) comes masked unless revealSecrets', async () => {
    const d = await core.invoke('replay.diff', { a: diffA, b: diffB });
    none(JSON.stringify(d), 'replay.diff');
    expect(d.differences.flatMap((x) => x.headers)).toContainEqual({ name: 'auth-token', a: MASK, b: MASK });
    const shown = await core.invoke('replay.diff', { a: diffA, b: diffB, revealSecrets: true });
    expect(shown.differences.flatMap((x) => x.headers)).toContainEqual({ name: 'auth-token', a: MORE.tokenA, b: MORE.tokenB });
  });

  it('the mistyped passcode line is reported without its text, in frames --jsonl and in Expert Info', async () => {
    const session = core.db.prepare('SELECT id FROM sessions ORDER BY id DESC LIMIT 1').pluck().get() as number;
    const messages = core.db.prepare(`SELECT message FROM issues WHERE code = 'malformed-header'`).pluck().all() as string[];
    expect(messages.length).toBeGreaterThan(0);
    none(messages.join('\n'), 'the malformed-header issue');
    const info = JSON.stringify(await core.invoke('session.expertInfo', { session }));
    expect(info).toContain('malformed-header');
    none(info, 'Expert Info');
    const r = await runCli(['frames', '--db', db, '--session', String(session), '--jsonl', '--reveal-secrets']);
    expect(r.stdout).toContain('malformed-header');
    expect(r.stdout).not.toContain(MORE.mistyped);
  });
});
