// Expert info and the report on real traffic: raw-socket STOMP clients -> the recording proxy (its CLI) -> a
// real RabbitMQ. Four connections, each provoking one thing from the real broker: an ERROR (bad passcode), a
// MESSAGE left unacknowledged at DISCONNECT (ack:client-individual), a heart-beat timeout (the client
// negotiates heart-beats and then goes quiet until RabbitMQ drops it), and a clean session that must raise no
// alarm. Then `stompscope report --json` must hold those findings and the latency figures.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConnectionReport, SessionReport } from '../../src-main/core/read/report.js';
import { openDb } from '../../src-main/core/store/db.js';
import { runCli, startProxy, type RunningProxy } from '../support/proxy-cli.js';
import { WireSplitter, type WireFrame } from '../support/stomp-wire.js';

/** A bare STOMP client on a socket: writes what it is told, collects the broker's frames, every wait bounded. */
class RawClient {
  readonly frames: WireFrame[] = [];
  closed = false;
  private readonly splitter = new WireSplitter();
  private waiters: Array<() => void> = [];
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      for (const e of this.splitter.feed(d)) if (e.kind === 'frame') this.frames.push(e.frame);
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => { /* the broker may reset after an ERROR or a heart-beat timeout */ });
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  get localPort(): number {
    return this.sock.localPort!;
  }
  send(text: string): void {
    this.sock.write(text);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Waits until `ok()` holds (checked on every read and at close), at most `ms`. */
  async until(ok: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.map((f) => f.command).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  frame(command: string, n = 1, ms = 10_000): Promise<void> {
    return this.until(() => this.frames.filter((f) => f.command === command).length >= n, ms, `${n} ${command}`);
  }
  end(): Promise<void> {
    this.sock.end();
    return this.until(() => this.closed, 10_000, 'close');
  }
}

const CONNECT = (extra = '') => `CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n${extra}\n\0`;

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('expert info and report on real RabbitMQ traffic through the proxy', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  let db = '';
  let proxy: RunningProxy | undefined;
  const port: Record<'error' | 'unacked' | 'heartbeat' | 'clean', number> = { error: 0, unacked: 0, heartbeat: 0, clean: 0 };
  let heartbeatDroppedAfterMs = 0;
  let report: SessionReport;
  const conn = (which: keyof typeof port): ConnectionReport => {
    const c = report.connections.find((x) => x.client === `127.0.0.1:${port[which]}`);
    if (!c) throw new Error(`no connection from port ${port[which]} in the report`);
    return c;
  };
  const codes = (c: ConnectionReport) => c.issues.groups.flatMap((g) => g.codes.map((x) => x.code));

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-analysis-it-'));
    db = path.join(dir, 's.db');
    proxy = await startProxy({ upstream: `${rabbit.host}:${rabbit.stompPort}`, db, name: 'analysis', extraArgs: ['--quiet'] });
    const queue = `/queue/stompscope-analysis-${process.pid}-${Date.now()}`;

    // 1. An ERROR from the broker: a wrong passcode.
    const bad = await RawClient.connect(proxy.port);
    port.error = bad.localPort;
    bad.send('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:wrong\n\n\0');
    await bad.frame('ERROR');
    // The client hangs up, as STOMP clients do after an ERROR. RabbitMQ 3.10 does not close first: it keeps a
    // refused connection until its login timeout, 10 s after the ERROR (measured), which no wait here should race.
    await bad.end();

    // 2. Two MESSAGEs on a client-individual subscription, one ACKed, then DISCONNECT. A second connection sends.
    const consumer = await RawClient.connect(proxy.port);
    port.unacked = consumer.localPort;
    consumer.send(CONNECT());
    await consumer.frame('CONNECTED');
    consumer.send(`SUBSCRIBE\nid:s1\ndestination:${queue}\nack:client-individual\nreceipt:sub\n\n\0`);
    await consumer.frame('RECEIPT');
    const producer = await RawClient.connect(proxy.port);
    port.clean = producer.localPort;
    producer.send(CONNECT());
    await producer.frame('CONNECTED');
    producer.send(`SEND\ndestination:${queue}\ncontent-type:text/plain\nreceipt:p1\n\nfirst message\0`);
    producer.send(`SEND\ndestination:${queue}\ncontent-type:text/plain\nreceipt:p2\n\nsecond message\0`);
    await producer.frame('RECEIPT', 2);
    await consumer.frame('MESSAGE', 2);
    const first = consumer.frames.find((f) => f.command === 'MESSAGE')!;
    const ack = first.rawHeaders.find(([k]) => k === 'ack')![1];
    consumer.send(`ACK\nid:${ack}\nreceipt:a1\n\n\0`);
    await consumer.frame('RECEIPT', 2);
    consumer.send('DISCONNECT\nreceipt:bye\n\n\0');
    await consumer.frame('RECEIPT', 3);
    await consumer.end();

    // 3. The clean session (the producer): a subscription of its own in auto mode, UNSUBSCRIBE, DISCONNECT.
    producer.send(`SUBSCRIBE\nid:own\ndestination:${queue}-own\nack:auto\n\n\0`);
    producer.send(`SEND\ndestination:${queue}-own\nreceipt:p3\n\nto myself\0`);
    await producer.frame('MESSAGE', 1);
    producer.send('UNSUBSCRIBE\nid:own\nreceipt:u\n\n\0');
    await producer.until(() => producer.frames.some((f) => f.rawHeaders.some(([k, v]) => k === 'receipt-id' && v === 'u')), 10_000, 'RECEIPT u');
    producer.send('DISCONNECT\nreceipt:bye\n\n\0');
    await producer.until(() => producer.frames.some((f) => f.rawHeaders.some(([k, v]) => k === 'receipt-id' && v === 'bye')), 10_000, 'RECEIPT bye');
    await producer.end();

    // 4. Heart-beats: the client promises one every 500 ms and then sends nothing; RabbitMQ drops it.
    const quiet = await RawClient.connect(proxy.port);
    port.heartbeat = quiet.localPort;
    quiet.send(CONNECT('heart-beat:500,0\n'));
    await quiet.frame('CONNECTED');
    const t0 = Date.now();
    await quiet.until(() => quiet.closed, 15_000, 'RabbitMQ to drop the silent client');
    heartbeatDroppedAfterMs = Date.now() - t0;

    // The proxy writes a connection's findings when it closes; stop it to read a complete session.
    const exit = await proxy.stop();
    proxy = undefined;
    expect(exit.code, exit.stderr).toBe(0);
    const r = await runCli(['report', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    [report] = JSON.parse(r.stdout) as SessionReport[];
  }, 90_000);

  afterAll(async () => {
    await proxy?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the ERROR from RabbitMQ, with its message, answering CONNECT', () => {
    const c = conn('error');
    expect(codes(c)).toContain('error-frame');
    expect(c.issues.groups).toEqual([{ severity: 'warning', count: 1, codes: [{ code: 'error-frame', title: 'ERROR from the broker', count: 1 }] }]);
    expect(c.latency.connect.count).toBe(1);
    expect(c.profile).toBeNull(); // the ERROR carries no server header
  });

  it('the MESSAGE left unacknowledged at DISCONNECT, and the links around it', () => {
    const c = conn('unacked');
    expect(c.profile).toBe('rabbitmq');
    expect(c.issues.groups.find((g) => g.severity === 'warning')!.codes).toEqual([{ code: 'message-unacked', title: 'MESSAGE never acknowledged', count: 1 }]);
    expect(codes(c).filter((x) => x !== 'message-unacked')).toEqual([]);
    expect(c.latency.ack).toMatchObject({ count: 1 });
    expect(c.latency.receipt.count).toBe(3);
    // SEND -> MESSAGE across the two connections of the session: both messages.
    expect(c.latency.delivery.count).toBe(2);
    expect(c.latency.delivery.max).toBeGreaterThan(0);
    expect(c.latency.delivery.max).toBeLessThan(5_000_000);
  });

  it('the heart-beat timeout: RabbitMQ dropped the silent client, and the finding says when it would', () => {
    const c = conn('heartbeat');
    // RabbitMQ answers heart-beat:0,1000 here, so the client must send every max(500, 1000) ms.
    const period = c.heartbeats.negotiated!.clientToBroker;
    expect(period).toBeGreaterThanOrEqual(500);
    expect(c.heartbeats.negotiated!.brokerToClient).toBe(0);
    expect(c.heartbeats.health).toBe('missed');
    expect(c.heartbeats.missed).toBe(1);
    expect(codes(c)).toEqual(expect.arrayContaining(['heartbeat-missed', 'heartbeat-negotiated']));
    expect(c.heartbeats.longestSilence.client).toBeGreaterThan(period * 1500);
    expect(heartbeatDroppedAfterMs).toBeGreaterThan(period);
    const store = openDb(db, { readonly: true });
    const missed = store.prepare(`SELECT i.time, i.message, i.dir, c.opened FROM issues i JOIN connections c ON c.id = i.connection_id
      WHERE i.code = 'heartbeat-missed'`).all() as Array<{ time: number; message: string; dir: number; opened: number }>;
    store.close();
    expect(missed).toHaveLength(1);
    expect(missed[0].dir).toBe(0); // the client was silent
    // Said live by the proxy's clock (so far) or at the close, whichever came first.
    expect(missed[0].message).toMatch(/^nothing from the client for .* with a heart-beat every 1000 ms negotiated \(\d+\.\d× the period\): the broker may have considered the connection dead/);
    // Placed where the silence passed twice the period: CONNECTED's time plus 2 periods, within the connection's life.
    expect(missed[0].time - missed[0].opened).toBeGreaterThanOrEqual(period * 2000);
    expect(missed[0].time - missed[0].opened).toBeLessThan(period * 2000 + 2_000_000);
  });

  it('the clean session raises no error and no warning', () => {
    const c = conn('clean');
    expect(c.issues.groups.filter((g) => g.severity !== 'note')).toEqual([]);
    expect(c.latency.receipt.count).toBe(5);
    expect(c.latency.connect).toMatchObject({ count: 1 });
    expect(c.latency.connect.p50).toBeGreaterThan(0);
    expect(c.latency.connect.max).toBeLessThan(5_000_000);
  });

  it('the session report sums it up: latencies per kind, destinations, issues by severity', () => {
    expect(report.connectionCount).toBe(4);
    expect(report.latency.connect.count).toBe(4);
    expect(report.latency.delivery.count).toBe(3);
    for (const k of ['connect', 'receipt', 'ack', 'delivery'] as const) {
      const l = report.latency[k];
      expect(l.p50! <= l.p90! && l.p90! <= l.p99! && l.p99! <= l.max!, k).toBe(true);
    }
    expect(report.issues.groups.find((g) => g.severity === 'error')).toBeUndefined();
    const warnings = report.issues.groups.find((g) => g.severity === 'warning')!;
    // (Other checks may add their own codes, e.g. the broker closing the silent client: these three must be there.)
    expect(warnings.codes.map((c) => c.code)).toEqual(expect.arrayContaining(['error-frame', 'heartbeat-missed', 'message-unacked']));
    for (const code of ['error-frame', 'heartbeat-missed', 'message-unacked']) expect(warnings.codes.find((c) => c.code === code)!.count, code).toBe(1);
    const queue = report.destinations.find((d) => !d.destination.endsWith('-own'))!;
    expect(queue).toMatchObject({ send: 2, message: 2 });
    expect(report.heartbeats).toEqual({ connections: 4, ok: 0, missed: 1, none: 3 });
  });
});
