// Copy as code against a real RabbitMQ (test/support/global-setup.ts): connections recorded through the proxy
// are exported as a stomp.py script and a @stomp/stompjs module, which are then run, and a separate STOMP
// client checks what the broker got.
//
// - A producer (raw frames: text, binary with NULs and content-length, escaped header values, a transaction)
//   is reproduced: the separate client finds exactly the same messages on the queue again.
// - A consumer (the stomp.py scenario: SUBSCRIBE client-individual, receipts, ACKs, UNSUBSCRIBE) is
//   reproduced: the generated code waits for its own MESSAGEs, ACKs them by their new ids (the broker accepts
//   them: no ERROR, and the queue is left empty).
// - Masked credentials: the generated script refuses to run until the constants are filled in.
// - The same real recording (heart-beats included) exports to pcapng and imports back as the same frames.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exportCode, type CodeLanguage } from '../../src-main/core/export/code.js';
import { writeOutFile } from '../../src-main/core/export/out-file.js';
import { sessionPcapng } from '../../src-main/core/export/session-pcapng.js';
import { importFile } from '../capture/support/import-helper.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { findConnectionByDestination } from '../support/checks.js';
import { PYTHON, runStomppy } from '../support/clients/stomppy.js';
import { readJsonl, REPO_ROOT, startProxy, type JsonlFrame } from '../support/proxy-cli.js';
import { unescapeHeaders, WireSplitter, type WireFrame } from '../support/stomp-wire.js';
import { tmpDir } from '../replay/support.js';

const run = Math.random().toString(36).slice(2, 8);
const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\0NUL\0')]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plain socket that writes frames and waits (bounded) for RECEIPTs: the "application" recorded by the proxy. */
async function rawClient(host: string, port: number) {
  const sock = net.connect(port, host);
  const splitter = new WireSplitter();
  const frames: WireFrame[] = [];
  sock.on('data', (d) => {
    for (const ev of splitter.feed(d)) if (ev.kind === 'frame') frames.push(ev.frame);
  });
  sock.on('error', () => {});
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  const waitFor = async (what: string, pred: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!pred()) {
      const err = frames.find((f) => f.command === 'ERROR');
      if (err) throw new Error(`ERROR while waiting for ${what}: ${err.body.toString()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  };
  return {
    frames,
    write: (b: string | Buffer) => sock.write(b),
    receipt: (id: string) => waitFor(`RECEIPT ${id}`, () => frames.some((f) => f.command === 'RECEIPT' && f.rawHeaders.some(([n, v]) => n === 'receipt-id' && v === id))),
    waitFor,
    close: () => sock.destroy(),
  };
}

/** A separate consumer (ack:auto): the MESSAGEs on `queue` within `ms` after its SUBSCRIBE was confirmed. */
async function collect(host: string, port: number, queue: string, ms = 1000) {
  const c = await rawClient(host, port);
  try {
    c.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    c.write(`SUBSCRIBE\nid:check\ndestination:${queue}\nack:auto\nreceipt:r-check\n\n\0`);
    await c.receipt('r-check');
    await sleep(ms);
    return c.frames.filter((f) => f.command === 'MESSAGE').map((f) => ({ headers: unescapeHeaders('MESSAGE', f.rawHeaders, '1.2'), body: f.body }));
  } finally {
    c.close();
  }
}

const hv = (h: [string, string][], name: string) => h.find(([n]) => n === name)?.[1];

function runProcess(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STOMP_SKIP_HOSTNAME_SCAN: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((r) => child.once('exit', (code) => {
    clearTimeout(t);
    r({ code, stdout, stderr });
  }));
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('copy as code, run against RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  let db = '';
  const producerQueue = `/queue/export-producer-${run}`;
  const consumerQueue = `/queue/export-consumer-${run}`;
  let producer = 0;
  let consumer = 0;

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = tmpDir('stompscope-export-code-');
    // stompjs modules import '@stomp/stompjs': resolvable from the temp dir through a node_modules link.
    fs.mkdirSync(path.join(dir, 'node_modules', '@stomp'), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', '@stomp', 'stompjs'), path.join(dir, 'node_modules', '@stomp', 'stompjs'));
    db = path.join(dir, 'rec.db');
    const proxy = await startProxy({ upstream: `${rabbit.host}:${rabbit.stompPort}`, db, name: 'copy-as-code', extraArgs: ['--quiet'] });
    try {
      const c = await rawClient(proxy.host, proxy.port);
      c.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
      await c.waitFor('CONNECTED', () => c.frames.some((f) => f.command === 'CONNECTED'));
      c.write(`SEND\ndestination:${producerQueue}\ncontent-type:text/plain\nreceipt:r-1\n\ntext message: héllo\0`);
      await c.receipt('r-1');
      c.write(Buffer.concat([Buffer.from(`SEND\ndestination:${producerQueue}\ncontent-type:application/octet-stream\ncontent-length:${binary.length}\nreceipt:r-2\n\n`), binary, Buffer.from([0])]));
      await c.receipt('r-2');
      c.write(`SEND\ndestination:${producerQueue}\nx-escaped:a\\cb\\nc\\\\d\nreceipt:r-3\n\nescaped headers\0`);
      await c.receipt('r-3');
      c.write(`BEGIN\ntransaction:tx-1\n\n\0SEND\ndestination:${producerQueue}\ntransaction:tx-1\n\nin transaction 1\0`);
      c.write(`SEND\ndestination:${producerQueue}\ntransaction:tx-1\n\nin transaction 2\0COMMIT\ntransaction:tx-1\nreceipt:r-4\n\n\0`);
      await c.receipt('r-4');
      c.write('DISCONNECT\nreceipt:bye\n\n\0');
      await c.receipt('bye');
      c.close();
      const s = await runStomppy({ port: proxy.port, version: '1.2', queue: consumerQueue, lingerS: 2.5, heartbeatMs: 1000, messages: 2 });
      expect(s.ok, `stomp.py scenario failed: ${JSON.stringify(s.summary.errors)}\n${s.stderr}`).toBe(true);
    } finally {
      const stopped = await proxy.stop(30_000);
      expect(stopped.code, stopped.stderr).toBe(0);
    }
    const frames = await readJsonl<JsonlFrame>(['frames', '--db', db]);
    producer = Number(findConnectionByDestination(frames, producerQueue));
    consumer = Number(findConnectionByDestination(frames, consumerQueue));
    // The original run left its messages on the producer's queue (nobody consumed them): take them away.
    expect((await collect(rabbit.host, rabbit.stompPort, producerQueue)).length).toBe(5);
  });

  afterAll(() => {
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') fs.rmSync(dir, { recursive: true, force: true });
  });

  const generate = (connection: number, language: CodeLanguage, reveal: boolean, name: string) => {
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const file = path.join(dir, name);
      fs.writeFileSync(file, exportCode(reader, { connection }, language, reveal).text);
      return file;
    } finally {
      reader.close();
    }
  };
  const runCode = (language: CodeLanguage, file: string) => (language === 'stomp.py' ? runProcess(PYTHON, [file], dir) : runProcess(process.execPath, [file], dir));

  /** The producer's five messages, as the separate client sees them. */
  const expectProducerMessages = (got: Awaited<ReturnType<typeof collect>>) => {
    expect(got.map((m) => m.body.toString('latin1'))).toEqual(
      ['text message: héllo', binary, 'escaped headers', 'in transaction 1', 'in transaction 2'].map((b) => Buffer.from(b).toString('latin1')),
    );
    expect(got[1].body.equals(binary)).toBe(true);
    expect(hv(got[0].headers, 'content-type')).toBe('text/plain');
    expect(hv(got[1].headers, 'content-type')).toBe('application/octet-stream');
    expect(hv(got[2].headers, 'x-escaped')).toBe('a:b\nc\\d');
  };

  for (const language of ['stomp.py', 'stompjs'] as const) {
    describe(language, () => {
      it('reproduces a producer: the broker gets the same messages (text, binary, escaped headers, transaction)', async () => {
        expect(producer).toBeGreaterThan(0);
        const file = generate(producer, language, true, `producer.${language === 'stomp.py' ? 'py' : 'mjs'}`);
        if (language === 'stompjs') {
          const check = await runProcess(process.execPath, ['--check', file], dir);
          expect(check.code, check.stderr).toBe(0);
        }
        const r = await runCode(language, file);
        expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
        expectProducerMessages(await collect(rabbit!.host, rabbit!.stompPort, producerQueue));
      });

      it('reproduces a consumer: waits for its MESSAGEs, ACKs them by their new ids, the queue is left empty', async () => {
        expect(consumer).toBeGreaterThan(0);
        const file = generate(consumer, language, true, `consumer.${language === 'stomp.py' ? 'py' : 'mjs'}`);
        const text = fs.readFileSync(file, 'utf8');
        // The ACKs are written against the messages of this run, not the recorded ids.
        expect(text).toMatch(language === 'stomp.py' ? /m = answers\.message\("sub-1", 1\)\nconn\.ack\(m\["ack"\]/ : /const m = await message\("sub-1", 1\);\n\s+client\.ack\(m\.headers\.ack, m\.headers\.subscription\);/);
        const r = await runCode(language, file);
        expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
        expect(r.stderr).not.toMatch(/ERROR/);
        expect(await collect(rabbit!.host, rabbit!.stompPort, consumerQueue, 500)).toEqual([]);
      });
    });
  }

  it('the real recording (stomp.py through the proxy, heart-beats and all) exports to pcapng and imports back as the same frames', async () => {
    const reader = new StoreReader(openDb(db, { readonly: true }));
    const out = path.join(dir, 'real.pcapng');
    let session = 0;
    let original: Array<{ connection: number; from: string; command: string; headers: unknown; sha: string | null }> = [];
    let beats: Array<Record<string, number>> = [];
    try {
      session = reader.connection(consumer)!.sessionId;
      writeOutFile(out, sessionPcapng(reader, session, { revealSecrets: true }, { connections: 0, packets: 0, bytes: 0, missingBytes: 0 }), true);
      original = [...reader.frames({ session })].map((f) => ({
        connection: f.connectionId, from: f.from, command: f.command, headers: f.rawHeaders, sha: f.bodySha256?.toString('hex') ?? null,
      }));
      beats = reader.connections(session).map((c) => c.heartbeats);
    } finally {
      reader.close();
    }
    expect(beats.some((h) => h.client > 0 && h.broker > 0)).toBe(true);
    const back = await importFile(dir, out);
    expect(back.connections.map((c) => c.heartbeats)).toEqual(beats);
    const byConn = <F extends { connection: number }>(fs: F[]) => [...new Set(fs.map((f) => f.connection))].map((c) => fs.filter((f) => f.connection === c));
    const mine = byConn(original).map((fs) => fs.map((f) => [f.from, f.command]));
    const theirs = byConn(back.frames).map((fs) => fs.map((f) => [f.from, f.command]));
    expect(theirs).toEqual(mine);
    expect(back.issues.filter((i) => i.severity !== 'note')).toEqual([]);
  });

  it('masked credentials: the script refuses to run until the constants at its top are filled in', async () => {
    const file = generate(producer, 'stomp.py', false, 'masked.py');
    const masked = await runCode('stomp.py', file);
    expect(masked.code).toBe(1);
    expect(masked.stderr.trim()).toBe('LOGIN is masked in the recording: fill it in at the top of this script (a masked value is never sent)');
    expect(await collect(rabbit!.host, rabbit!.stompPort, producerQueue, 300)).toEqual([]);
    // The user fills them in.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^LOGIN = .*$/m, 'LOGIN = "guest"').replace(/^PASSCODE = .*$/m, 'PASSCODE = "guest"'));
    const filled = await runCode('stomp.py', file);
    expect(filled.code, filled.stderr).toBe(0);
    expectProducerMessages(await collect(rabbit!.host, rabbit!.stompPort, producerQueue));
  });
});
