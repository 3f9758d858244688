// Proxy rules against a real RabbitMQ (test/support/global-setup.ts), with real applications under test: stomp.py
// (Debian's python3-stomp, test/support/clients/stomppy_rules.py) and stompjs. The proxy is the real CLI
// (`stompscope proxy --rules FILE`); each rule changes what the client sees exactly as specified, and the
// recording (`frames --jsonl`, `--filter frame.*`) says what each rule did.
//
// No timed assertions but the delay a rule introduces, with a lower bound only; heart-beat failure is the
// client's own report with small negotiated values, waited for with a bound.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client } from '@stomp/stompjs';
import { readJsonl, runCli, startProxy, type JsonlFrame } from '../support/proxy-cli.js';
import { PYTHON } from '../support/clients/stomppy.js';
import { TcpStompSocket } from '../support/clients/stompjs-scenario.js';
import { tmpDir } from '../replay/support.js';

const SCRIPT = path.resolve(import.meta.dirname, '../support/clients/stomppy_rules.py');
const run = `${process.pid}-${Date.now().toString(36)}`;
const dirs: string[] = [];

type Frame = JsonlFrame & { rule?: { name: string; action: string }; forwarded?: boolean; synthesized?: boolean; originalBase64?: string };

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function stomppy(action: string, args: Record<string, string | number>): Promise<Record<string, unknown>> {
  const argv = [SCRIPT, action, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const child = spawn(PYTHON, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STOMP_SKIP_HOSTNAME_SCAN: '1' } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`stomppy_rules.py ${action} exited ${code}\n${err}\n${out}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** A proxy run by the CLI with `rules`; returns it and its database. */
async function proxyWith(rules: unknown[], upstream: string, extra: string[] = []) {
  const dir = tmpDir();
  dirs.push(dir);
  const file = path.join(dir, 'rules.json');
  fs.writeFileSync(file, JSON.stringify(rules));
  const db = path.join(dir, 'rules.db');
  const proxy = await startProxy({ upstream, db, name: 'rules', extraArgs: [...(extra.includes('--loud') ? [] : ['--quiet']), '--rules', file, ...extra.filter((a) => a !== '--loud')] });
  return { proxy, db, file };
}

async function framesOf(db: string, filter?: string): Promise<Frame[]> {
  return readJsonl<Frame>(['frames', '--db', db, ...(filter ? ['--filter', filter] : [])]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined | null | false, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`no ${what} within ${ms} ms`);
    await sleep(20);
  }
}

/** A stompjs client through the proxy (over TCP, as the repository's stompjs scenario drives it). */
function stompjs(port: number, heartbeatIncoming = 0) {
  const log: string[] = [];
  const seen = { errors: [] as Array<{ headers: Record<string, string>; body: string }>, messages: [] as Array<{ at: number; body: string; headers: Record<string, string> }>, closed: false, connected: false };
  const client = new Client({
    webSocketFactory: () => new TcpStompSocket('127.0.0.1', port, () => {}),
    connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
    heartbeatIncoming, heartbeatOutgoing: 0, reconnectDelay: 0,
    debug: (m) => log.push(m),
    onConnect: () => (seen.connected = true),
    onStompError: (f) => seen.errors.push({ headers: { ...f.headers }, body: f.body }),
    onWebSocketClose: () => (seen.closed = true),
  });
  client.activate();
  return { client, log, seen };
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('proxy rules with RabbitMQ, stomp.py and stompjs', () => {
  const rabbit = inject('rabbitmq');
  const upstream = () => `${rabbit!.host}:${rabbit!.stompPort}`;

  it('delay: stomp.py gets the MESSAGE at least 400 ms after its SEND, and the recording names the rule', async () => {
    const queue = `/queue/rules-delay-${run}`;
    const { proxy, db } = await proxyWith([{ name: 'slow', when: `command == "MESSAGE" and destination == "${queue}"`, do: 'delay', ms: 400 }], upstream());
    const seen = await stomppy('delay', { port: proxy.port, queue });
    const stopped = await proxy.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(seen.gotMessage).toBe(true);
    expect(seen.ms as number).toBeGreaterThanOrEqual(400);
    const frames = await framesOf(db);
    const message = frames.find((f) => f.command === 'MESSAGE')!;
    expect(message.rule).toEqual({ name: 'slow', action: 'delay' });
    expect(message.forwarded).toBeUndefined();
    expect(frames.filter((f) => f.rule).map((f) => f.command)).toEqual(['MESSAGE']);
    expect((await framesOf(db, 'frame.rule == "slow"')).map((f) => f.command)).toEqual(['MESSAGE']);
  });

  it('delay: stompjs gets the MESSAGE at least 400 ms after its SEND', async () => {
    const queue = `/queue/rules-delay-js-${run}`;
    const { proxy } = await proxyWith([{ name: 'slow', when: 'command == "MESSAGE"', do: 'delay', ms: 400 }], upstream());
    const { client, seen } = stompjs(proxy.port);
    try {
      await until('stompjs CONNECTED', () => seen.connected);
      client.subscribe(queue, (m) => seen.messages.push({ at: Date.now(), body: m.body, headers: { ...m.headers } }));
      const t0 = Date.now();
      client.publish({ destination: queue, body: 'slow please' });
      const m = await until('MESSAGE', () => seen.messages[0]);
      expect(m.body).toBe('slow please');
      expect(m.at - t0).toBeGreaterThanOrEqual(400);
    } finally {
      await client.deactivate();
      await proxy.stop();
    }
  });

  it('drop: the RECEIPT r-7 never reaches stomp.py while r-8 does; recorded with forwarded false', async () => {
    const queue = `/queue/rules-drop-${run}`;
    const { proxy, db } = await proxyWith([{ name: 'lost receipt', when: 'command == "RECEIPT" and header["receipt-id"] == "r-7"', do: 'drop' }], upstream(), ['--loud']);
    const seen = await stomppy('drop', { port: proxy.port, queue });
    const stopped = await proxy.stop();
    // The console line of the dropped receipt says so.
    expect(stopped.stdout.split('\n').filter((l) => l.includes('[rule'))).toEqual([expect.stringMatching(/RECEIPT\s+r-7 \[rule "lost receipt": drop, not forwarded\]/)]);
    expect(seen.gotR8).toBe(true);
    // Per-direction order is kept: had r-7 been forwarded, it would have arrived before r-8.
    expect(seen.receipts).toEqual(['r-8']);
    const dropped = await framesOf(db, 'frame.forwarded == 0');
    expect(dropped.map((f) => [f.command, f.headers.find(([n]) => n === 'receipt-id')?.[1], f.rule, f.forwarded])).toEqual([
      ['RECEIPT', 'r-7', { name: 'lost receipt', action: 'drop' }, false],
    ]);
    // The broker's stream as recorded holds both receipts (what RabbitMQ sent), r-7 marked as never forwarded.
    const receipts = (await framesOf(db, 'command == "RECEIPT"')).map((f) => [f.headers.find(([n]) => n === 'receipt-id')?.[1], f.forwarded ?? true]);
    expect(receipts.slice(0, 2)).toEqual([['r-7', false], ['r-8', true]]);
  });

  it('set-header: the MESSAGE RabbitMQ delivers carries the header; the recording keeps the original SEND beside it', async () => {
    const queue = `/queue/rules-tag-${run}`;
    const { proxy, db } = await proxyWith([{ name: 'tag', when: 'command == "SEND"', do: 'set-header', header: 'x-trace', value: 'on' }], upstream());
    const seen = await stomppy('set-header', { port: proxy.port, 'direct-port': rabbit!.stompPort, queue });
    await proxy.stop();
    expect(seen.gotMessage).toBe(true);
    expect((seen.headers as Record<string, string>)['x-trace']).toBe('on');
    const [send] = await framesOf(db, 'frame.rule == "tag"');
    expect(send.command).toBe('SEND');
    expect(send.headers).toContainEqual(['x-trace', 'on']);
    const original = Buffer.from(send.originalBase64!, 'base64').toString('utf8');
    expect(original.startsWith('SEND\n')).toBe(true);
    expect(original).not.toContain('x-trace');
  });

  it('reply ERROR: stomp.py gets the ERROR and the connection closes; the SEND never reaches RabbitMQ', async () => {
    const queue = `/queue/rules-admin-${run}`;
    const { proxy, db } = await proxyWith([{
      name: 'forbid', when: `command == "SEND" and destination == "${queue}"`, do: 'reply', command: 'ERROR', headers: [['message', 'forbidden by rule']], body: 'no',
    }], upstream());
    const seen = await stomppy('reply', { port: proxy.port, queue });
    await proxy.stop();
    expect(seen.errors).toEqual([expect.objectContaining({ body: 'no', headers: expect.objectContaining({ message: 'forbidden by rule' }) })]);
    expect(seen.receipts).toEqual([]);
    expect(seen.closed).toBe(true);
    // The queue is empty: a marker sent directly is the first message a direct consumer gets.
    const { client, seen: direct } = stompjs(rabbit!.stompPort);
    try {
      await until('direct CONNECTED', () => direct.connected);
      client.subscribe(queue, (m) => direct.messages.push({ at: Date.now(), body: m.body, headers: { ...m.headers } }));
      client.publish({ destination: queue, body: 'marker' });
      const first = await until('the marker', () => direct.messages[0]);
      expect(first.body).toBe('marker');
    } finally {
      await client.deactivate();
    }
    const frames = await framesOf(db);
    const send = frames.find((f) => f.command === 'SEND')!;
    expect([send.rule, send.forwarded]).toEqual([{ name: 'forbid', action: 'reply' }, false]);
    const error = frames.find((f) => f.command === 'ERROR')!;
    expect([error.from, error.rule, error.synthesized, error.body]).toEqual(['broker', { name: 'forbid', action: 'reply' }, true, 'no']);
    expect((await framesOf(db, 'frame.synthesized == 1')).map((f) => f.command)).toEqual(['ERROR']);
  });

  it('reply ERROR: stompjs reports the ERROR', async () => {
    const queue = `/queue/rules-admin-js-${run}`;
    const { proxy } = await proxyWith([{
      name: 'forbid', when: `command == "SEND" and destination == "${queue}"`, do: 'reply', command: 'ERROR', headers: [['message', 'forbidden by rule']], body: 'no',
    }], upstream());
    const { client, seen } = stompjs(proxy.port);
    try {
      await until('stompjs CONNECTED', () => seen.connected);
      client.publish({ destination: queue, body: 'secret' });
      const e = await until('ERROR', () => seen.errors[0]);
      expect([e.headers.message, e.body]).toEqual(['forbidden by rule', 'no']);
      await until('the connection to close', () => seen.closed);
    } finally {
      await client.deactivate();
      await proxy.stop();
    }
  });

  it('stall-heartbeats: stomp.py and stompjs report the heart-beat failure; no broker heart-beat is recorded after CONNECTED', async () => {
    const { proxy, db } = await proxyWith([{ name: 'silent', when: 'command == "CONNECTED"', do: 'stall-heartbeats', ms: 600_000 }], upstream());
    const py = await stomppy('stall', { port: proxy.port, queue: '/queue/unused' });
    expect(py.heartbeatTimeout).toBe(true);
    const { client, log } = stompjs(proxy.port, 300);
    try {
      await until('stompjs to report the silence', () => log.some((l) => l.includes('did not receive server activity')));
    } finally {
      await client.deactivate();
    }
    await proxy.stop();
    const connected = (await framesOf(db, 'command == "CONNECTED"'));
    expect(connected.map((f) => f.rule)).toEqual([{ name: 'silent', action: 'stall-heartbeats' }, { name: 'silent', action: 'stall-heartbeats' }]);
    const conns = await readJsonl<{ heartbeats: { broker: number } }>(['connections', '--db', db]);
    expect(conns.map((c) => c.heartbeats.broker)).toEqual([0, 0]);
  });

  it('rules that match nothing: traffic and recording are as without rules', async () => {
    const queue = `/queue/rules-none-${run}`;
    const { proxy, db } = await proxyWith([{ name: 'never', when: 'command == "SEND" and destination == "/queue/nowhere"', do: 'drop' }], upstream());
    const seen = await stomppy('drop', { port: proxy.port, queue });
    await proxy.stop();
    expect(seen.receipts).toEqual(['r-7', 'r-8']);
    expect((await framesOf(db)).some((f) => f.rule || f.forwarded === false)).toBe(false);
  });
});

describe('stompscope proxy --rules: checked at start', () => {
  it('refuses a bad rule with one line naming the rule and the field (exit 2), and warns about a rule that can never match', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify([{ name: 'ok', when: 'command == "SEND"', do: 'drop' }, { name: 'slow', when: 'command == "MESSAGE"', do: 'delay', ms: -1 }]));
    const r = await runCli(['proxy', '--upstream', '127.0.0.1:1', '--db', path.join(dir, 'x.db'), '--rules', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['stompscope proxy: --rules: rule 2 ("slow"): ms: expected a whole number from 0 to 2147483647, got -1']);

    for (const [args, line] of [
      [['--rules', dir], `stompscope proxy: --rules: ${dir}: a directory, not a rules file`],
      [['--rules', path.join(dir, 'missing.json')], `stompscope proxy: --rules: ${path.join(dir, 'missing.json')}: cannot read (ENOENT)`],
      [['--rules', bad, '--upstream', 'ws://127.0.0.1:1/ws'], 'stompscope proxy: --rules: rules act on plain STOMP over TCP or TLS, not on a ws:// or wss:// upstream'],
      [['--rules-watch'], 'stompscope proxy: --rules-watch needs --rules FILE'],
    ] as const) {
      const x = await runCli(['proxy', '--upstream', '127.0.0.1:1', '--db', path.join(dir, 'z.db'), ...args]);
      expect([x.code, x.stderr.trim().split('\n')]).toEqual([2, [line]]);
    }
    const notJson = path.join(dir, 'not.json');
    fs.writeFileSync(notJson, '[{"when": ');
    const nj = await runCli(['proxy', '--upstream', '127.0.0.1:1', '--db', path.join(dir, 'z.db'), '--rules', notJson]);
    expect([nj.code, nj.stderr.trim().split('\n').length, nj.stderr]).toEqual([2, 1, expect.stringMatching(/^stompscope proxy: --rules: .*not\.json: not JSON: /)]);

    const typo = path.join(dir, 'typo.json');
    fs.writeFileSync(typo, JSON.stringify([{ when: 'command == "MESAGE"', do: 'drop' }]));
    const p = await startProxy({ upstream: '127.0.0.1:1', db: path.join(dir, 'y.db'), name: 'typo', extraArgs: ['--quiet', '--rules', typo] });
    const stopped = await p.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('stompscope: warning: --rules: rule 1: when: can never match: "MESAGE" is not a STOMP command');
  });

  it('--rules-watch reloads a changed file, and keeps the rules in force when the new version is bad', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const file = path.join(dir, 'rules.json');
    fs.writeFileSync(file, JSON.stringify([{ when: 'command == "SEND"', do: 'drop' }]));
    // A fake upstream is enough: this is about the file, not the traffic.
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const p = await startProxy({ upstream: `127.0.0.1:${port}`, db: path.join(dir, 'w.db'), name: 'watch', extraArgs: ['--quiet', '--rules', file, '--rules-watch'] });
    try {
      fs.writeFileSync(file, JSON.stringify([{ when: 'command == "SEND"', do: 'drop' }, { when: 'command == "MESSAGE"', do: 'drop' }]));
      await until('the reload', () => p.stderrText().includes('rules reloaded from'));
      expect(p.stderrText()).toContain(`rules reloaded from ${file}: 2 rules`);
      fs.writeFileSync(file, '[{"when": "command == \\"SEND\\"", "do": "explode"}]');
      await until('the refusal', () => p.stderrText().includes('rules not reloaded'));
      expect(p.stderrText()).toContain('rules not reloaded, the 2 rules in force stay: rule 1: do: expected one of');
    } finally {
      await p.stop();
      server.close();
    }
  });
});
