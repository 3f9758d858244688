// Injection into a live proxied connection against a real RabbitMQ (test/support/global-setup.ts):
//
//   client (raw socket, our bytes) → proxy run by the core (proxy.start) → tee → RabbitMQ
//                                                                                ↑ subscriber (direct)
//
// The client is in the middle of a frame when `frame.inject` asks for a SEND: the injected frame waits, and goes
// to the broker right after the client's frame ends, never inside it. Then, with the client idle, a second one
// goes at once. Checked on the wire (the tee is a witness with no STOMP knowledge, and the tests' own splitter,
// not the product's decoder, reads what it saw): the broker received exactly the client's bytes with the injected
// frames inserted at frame boundaries; both streams split cleanly; the subscriber got the injected messages in
// that order; RabbitMQ answered the injected receipts. In the store: the client stream holds the same bytes, the
// injected frames have frames.injected = 1, `frames --jsonl` and the export say `"injected": true` for them only,
// and `--filter frame.injected` finds exactly them.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FrameRowDto, InjectResultDto, ProxyDto, ResendDraftDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { sessionJsonLines } from '../../src-main/core/jobs/exports.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { readJsonl, runCli, type JsonlFrame } from '../support/proxy-cli.js';
import { once } from '../support/once.js';
import { splitStream, WireSplitter, type WireFrame } from '../support/stomp-wire.js';
import { startTee, type Tee } from '../support/tee.js';
import { tmpDir } from '../replay/support.js';

const run = Math.random().toString(36).slice(2, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw STOMP client: what it wrote, and the frames it got (split by the tests' oracle). */
class RawClient {
  readonly sent: Buffer[] = [];
  readonly frames: WireFrame[] = [];
  private readonly splitter = new WireSplitter();
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      for (const e of this.splitter.feed(d)) if (e.kind === 'frame') this.frames.push(e.frame);
    });
    sock.on('error', () => {});
  }
  static async connect(host: string, port: number): Promise<RawClient> {
    const sock = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    return new RawClient(sock);
  }
  write(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.sent.push(b);
    this.sock.write(b);
  }
  async waitFor(pred: (f: WireFrame) => boolean, what: string, ms = 10_000): Promise<WireFrame> {
    const t0 = Date.now();
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (Date.now() - t0 > ms) throw new Error(`no ${what} within ${ms} ms; got ${this.frames.map((x) => x.command).join(', ')}`);
      await sleep(10);
    }
  }
  receipt(id: string): Promise<WireFrame> {
    return this.waitFor((f) => f.command === 'RECEIPT' && f.rawHeaders.some(([n, v]) => n === 'receipt-id' && v === id), `RECEIPT ${id}`);
  }
}

const header = (f: WireFrame, n: string) => f.rawHeaders.find(([k]) => k === n)?.[1];

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('injection into a live proxied connection, RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  let db = '';
  let core: Core;
  let tee: Tee;
  let proxy: ProxyDto;
  let client: RawClient;
  let subscriber: RawClient;
  let connection = 0;
  const queue = `/queue/inject-${run}`;
  const injectedFrame = (n: number, receipt: string) => ({
    command: 'SEND', headers: [['destination', queue], ['receipt', receipt], ['x-note', `injected:${n}`]] as Array<[string, string]>,
    bodyBase64: Buffer.from(`injected body ${n}`).toString('base64'),
  });
  /** Waits until the proxy forwarded the client's latest bytes (the tee behind it saw them end with `tail`). */
  const untilBrokerGot = async (tail: string) => {
    const t0 = Date.now();
    while (!tee.connections[0]?.c2s().toString('latin1').endsWith(tail)) {
      if (Date.now() - t0 > 5000) throw new Error(`the broker side never got ${JSON.stringify(tail)}`);
      await sleep(5);
    }
  };

  // The conversation goes in steps, each done once and after the one before (the broker must see them in this
  // order): a test awaits the steps it checks, so it runs alone as well as after the others.
  const midFrame = once(async () => {
    // Half a frame (a content-length body cut short), then the injection is asked for.
    client.write(`SEND\ndestination:${queue}\nreceipt:r-2\ncontent-length:17\n\nfrom the`);
    await untilBrokerGot('from the');
    let done = false;
    const pending = (core.invoke('frame.inject', { connection, frame: injectedFrame(1, 'r-inj-1') }) as Promise<InjectResultDto>).then((r) => {
      done = true;
      return r;
    });
    await sleep(300);
    const waiting = { done, c2s: tee.connections[0].c2s().toString('latin1') };
    // The rest of the client's frame, and a heart-beat and the start of its next frame in the same read.
    client.write(' client 2\0\nSUBSCRIBE\nid:own\n');
    const first = await pending;
    client.write(`destination:${queue}-own\nreceipt:r-3\n\n\0`);
    await client.receipt('r-3');
    await client.receipt('r-inj-1'); // RabbitMQ's answer to the injected SEND reaches the client, as any answer does
    return { waiting, first };
  });
  const betweenFrames = once(async () => {
    await midFrame();
    const second = (await core.invoke('frame.inject', { connection, frame: injectedFrame(2, 'r-inj-2') })) as InjectResultDto;
    await client.receipt('r-inj-2');
    return second;
  });
  const stalled = once(async () => {
    await betweenFrames();
    client.write(`SEND\ndestination:${queue}\nreceipt:r-4\n\nstalled`);
    await untilBrokerGot('stalled');
    const refusal = Promise.resolve().then(() => core.invoke('frame.inject', { connection, frame: injectedFrame(3, 'r-inj-3'), timeoutMs: 300 }));
    await refusal.catch(() => undefined);
    client.write(' client 4\0');
    await client.receipt('r-4');
    client.write('DISCONNECT\nreceipt:r-bye\n\n\0');
    await client.receipt('r-bye');
    return { refusal };
  });
  const stopped = once(async () => {
    await stalled();
    return core.invoke('proxy.stop', { session: proxy.session });
  });

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = tmpDir('stompscope-inject-it-');
    db = path.join(dir, 'i.db');
    core = Core.open(db);
    tee = await startTee(rabbit.host, rabbit.stompPort);
    proxy = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${tee.port}`, name: 'inject' })) as ProxyDto;

    subscriber = await RawClient.connect(rabbit.host, rabbit.stompPort);
    subscriber.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    await subscriber.waitFor((f) => f.command === 'CONNECTED', 'CONNECTED');
    subscriber.write(`SUBSCRIBE\nid:s\ndestination:${queue}\nack:auto\nreceipt:r-sub\n\n\0`);
    await subscriber.receipt('r-sub');

    client = await RawClient.connect('127.0.0.1', Number(proxy.listen.split(':').pop()));
    client.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    await client.waitFor((f) => f.command === 'CONNECTED', 'CONNECTED');
    client.write(`SEND\ndestination:${queue}\nreceipt:r-1\ncontent-type:text/plain\n\nfrom the client 1\0`);
    await client.receipt('r-1');
    const t0 = Date.now();
    while (!connection && Date.now() - t0 < 5000) {
      connection = ((await core.invoke('connections.list', { session: proxy.session })) as Array<{ connection: number }>)[0]?.connection ?? 0;
      await sleep(20);
    }
  });

  afterAll(async () => {
    client?.sock.destroy();
    subscriber?.sock.destroy();
    await core?.close();
    await tee?.close();
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the editor offers injection for a frame of the live connection', async () => {
    expect(connection).toBeGreaterThan(0);
    let send: FrameRowDto | undefined;
    const t0 = Date.now();
    while (!send && Date.now() - t0 < 5000) {
      send = ((await core.invoke('frames.page', { session: proxy.session, after: 0, limit: 100 })) as FrameRowDto[]).find((f) => f.command === 'SEND');
      await sleep(20);
    }
    const draft = core.invoke('frame.resendDraft', { id: send!.id }) as ResendDraftDto;
    expect(draft.inject).toEqual({ available: true, reason: null });
  });

  it('a client in the middle of a frame: the injected frame waits for its end, then goes in at the boundary', async () => {
    const { waiting, first } = await midFrame();
    // 300 ms after the request, the client still inside its frame: nothing injected yet.
    expect(waiting.done).toBe(false);
    expect(waiting.c2s.endsWith('content-length:17\n\nfrom the')).toBe(true);
    expect(waiting.c2s).not.toContain('injected body');
    expect(first).toMatchObject({ session: proxy.session, connection, waited: true });
    expect(first.frame).toBeGreaterThan(0);
  });

  it('a client between frames: the injected frame goes at once', async () => {
    expect(await betweenFrames()).toMatchObject({ waited: false });
  });

  it('a client that stays inside a frame past the timeout: nothing is injected, then or later', async () => {
    const { refusal } = await stalled();
    await expect(refusal).rejects.toThrow(/nothing injected: the client of connection \d+ stayed inside a frame for 300 ms/);
    expect(tee.connections[0].c2s().toString()).not.toContain('injected body 3');
  });

  it('the subscriber got the messages in wire order, the injected ones included', async () => {
    await stalled();
    const bodies = () => subscriber.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString());
    const t0 = Date.now();
    while (bodies().length < 5 && Date.now() - t0 < 10_000) await sleep(20);
    expect(bodies()).toEqual(['from the client 1', 'from the client 2', 'injected body 1', 'injected body 2', 'stalled client 4']);
    const inj = subscriber.frames.filter((f) => f.command === 'MESSAGE' && f.body.toString().startsWith('injected'));
    expect(inj.map((f) => header(f, 'x-note'))).toEqual(['injected\\c1', 'injected\\c2']); // escaped on the wire (1.2)
  });

  it('the broker got the client bytes with the injected frames inserted at frame boundaries; both streams split cleanly', async () => {
    await stalled();
    const { first } = await midFrame();
    await Promise.race([tee.connections[0].closed, sleep(5000)]);
    const clientBytes = Buffer.concat(client.sent);
    const atBroker = tee.connections[0].c2s();
    const f1 = Buffer.from(`SEND\ndestination:${queue}\nreceipt:r-inj-1\nx-note:injected\\c1\n\ninjected body 1\0`);
    const f2 = Buffer.from(`SEND\ndestination:${queue}\nreceipt:r-inj-2\nx-note:injected\\c2\n\ninjected body 2\0`);
    // Where they went: right after the client's second SEND (its NUL), and after the SUBSCRIBE's.
    const afterSend2 = clientBytes.indexOf(' client 2\0') + ' client 2\0'.length;
    const afterSubscribe = clientBytes.indexOf('receipt:r-3\n\n\0') + 'receipt:r-3\n\n\0'.length;
    expect(atBroker.equals(Buffer.concat([clientBytes.subarray(0, afterSend2), f1, clientBytes.subarray(afterSend2, afterSubscribe), f2,
      clientBytes.subarray(afterSubscribe)]))).toBe(true);
    expect(first.bytes).toBe(f1.length);
    // Both directions are well-formed STOMP to an independent splitter (it throws on anything else).
    const up = splitStream(atBroker);
    expect(up.frames.map((f) => f.command)).toEqual(['CONNECT', 'SEND', 'SEND', 'SEND', 'SUBSCRIBE', 'SEND', 'SEND', 'DISCONNECT']);
    // The client's EOL after its second SEND's NUL (now after the injected frame's) only ends a frame: no heart-beat.
    expect(up.heartbeats).toBe(0);
    const down = splitStream(tee.connections[0].s2c());
    expect(down.frames.filter((f) => f.command === 'ERROR')).toEqual([]);
    expect(down.frames.filter((f) => f.command === 'RECEIPT').map((f) => header(f, 'receipt-id')))
      .toEqual(['r-1', 'r-2', 'r-inj-1', 'r-3', 'r-inj-2', 'r-4', 'r-bye']);
    // And the client got exactly what the broker sent.
    expect(client.frames.map((f) => f.command)).toEqual(down.frames.map((f) => f.command));
  });

  it('recorded: the client stream holds what the broker got, the injected frames are flagged, JSONL and the filter show them', async () => {
    expect(await stopped()).toEqual({ stopped: true });
    const { first } = await midFrame();
    const second = await betweenFrames();
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const conn = reader.connection(connection)!;
      expect(reader.readBytes(connection, 'client', 0, conn.bytes.client)!.equals(tee.connections[0].c2s())).toBe(true);
      const frames = [...reader.frames({ connection })];
      expect(frames.flatMap((f) => f.issues)).toEqual([]);
      const injected = frames.filter((f) => f.injected);
      expect(injected.map((f) => [f.id, f.command, f.from])).toEqual([[first.frame, 'SEND', 'client'], [second.frame, 'SEND', 'client']]);
      // The answer names them by their numbers within the session too (what the UI shows).
      expect(injected.map((f) => f.number)).toEqual([first.frameNumber, second.frameNumber]);
      expect([first.connectionNumber, second.connectionNumber]).toEqual([conn.number, conn.number]);
      expect(db && (reader.db.prepare('SELECT count(*) FROM frames WHERE injected = 1').pluck().get() as number)).toBe(2);
      // The export (JSON lines of the UI's Export…) marks them.
      const exported = [...sessionJsonLines(db, proxy.session, '', false)].map((l) => JSON.parse(l) as { injected?: boolean; headers: [string, string][] });
      expect(exported.filter((x) => x.injected).map((x) => x.headers.find(([n]) => n === 'x-note')?.[1])).toEqual(['injected:1', 'injected:2']);
      expect(exported.filter((x) => 'injected' in x)).toHaveLength(2);
    } finally {
      reader.close();
    }
    const jsonl = await readJsonl<JsonlFrame & { injected?: boolean }>(['frames', '--db', db, '--connection', String(connection)]);
    expect(jsonl.filter((f) => f.injected === true).map((f) => f.seq)).toHaveLength(2);
    expect(jsonl.filter((f) => 'injected' in f)).toHaveLength(2);
    const filtered = await readJsonl<JsonlFrame & { injected?: boolean }>(['frames', '--db', db, '--filter', 'frame.injected']);
    expect(filtered.map((f) => f.injected)).toEqual([true, true]);
    const notInjected = await readJsonl<JsonlFrame>(['frames', '--db', db, '--filter', 'frame.injected == 0', '--connection', String(connection)]);
    expect(notInjected).toHaveLength(jsonl.length - 2);
    // The human listing flags them too.
    const text = await runCli(['frames', '--db', db, '--connection', String(connection)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n').filter((l) => l.includes('(injected)')).map((l) => /c→b\s+SEND\s/.test(l))).toEqual([true, true]);
    // The UI's rows and detail say so too.
    const detail = (await core.invoke('frame.detail', { id: first.frame! })) as { row: FrameRowDto };
    expect(detail.row.injected).toBe(true);
  });

  it('clear errors: a closed connection, a proxy not run here, a CONNECT, a broker command', async () => {
    // The recorded connection's proxy is stopped: the connection is in no proxy now.
    await stopped();
    const frame = injectedFrame(3, 'r-x');
    await expect(Promise.resolve().then(() => core.invoke('frame.inject', { connection, frame }))).rejects.toThrow(/connection \d+ is not open in a proxy of this StompScope/);
    const p2 = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${tee.port}`, name: 'inject 2' })) as ProxyDto;
    const c2 = await RawClient.connect('127.0.0.1', Number(p2.listen.split(':').pop()));
    c2.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    await c2.waitFor((f) => f.command === 'CONNECTED', 'CONNECTED');
    let conn2 = 0;
    const t0 = Date.now();
    while (!conn2 && Date.now() - t0 < 5000) {
      conn2 = ((await core.invoke('connections.list', { session: p2.session })) as Array<{ connection: number }>)[0]?.connection ?? 0;
      await sleep(20);
    }
    const attempt = (f: typeof frame) => Promise.resolve().then(() => core.invoke('frame.inject', { connection: conn2, frame: f }));
    await expect(attempt({ ...frame, command: 'CONNECT' })).rejects.toThrow(/CONNECT cannot be injected: connection \d+ is already connected/);
    await expect(attempt({ ...frame, command: 'MESSAGE' })).rejects.toThrow(/MESSAGE is not a client command that can be injected/);
    c2.sock.end();
    await sleep(300);
    await expect(attempt(frame)).rejects.toThrow(/connection \d+ is closed/);
    // A client that has not connected yet: the broker would take nothing but its CONNECT.
    const c3 = await RawClient.connect('127.0.0.1', Number(p2.listen.split(':').pop()));
    let conn3 = 0;
    const t1 = Date.now();
    while (!conn3 && Date.now() - t1 < 5000) {
      conn3 = ((await core.invoke('connections.list', { session: p2.session })) as Array<{ connection: number }>)[1]?.connection ?? 0;
      await sleep(20);
    }
    await expect(Promise.resolve().then(() => core.invoke('frame.inject', { connection: conn3, frame })))
      .rejects.toThrow(/connection \d+ is not connected yet \(no CONNECTED recorded\)/);
    c3.sock.destroy();
    await core.invoke('proxy.stop', { session: p2.session });
  });
});
