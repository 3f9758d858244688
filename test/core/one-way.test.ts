// One way into the core: a proxy started from the UI (proxy.start) and one started by `stompscope proxy` are
// the same core operation, so the same client exchange through each, against the real RabbitMQ, records the
// same frames, issues and connection rows (ids, times, ports and the broker's own ids aside), and a chosen
// --profile reaches the recording on both routes. Then `stompscope report --json` is a view of the same
// statistics engine as `session.stats`.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProxyDto, SessionStatsDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { LATENCY_KINDS, type SessionReport } from '../../src-main/core/read/report.js';
import { openDb } from '../../src-main/core/store/db.js';
import { runCli, startProxy } from '../support/proxy-cli.js';
import { WireSplitter, type WireFrame } from '../support/stomp-wire.js';

/** Connects to `port`, runs a fixed exchange, waits (bounded) for each answer, and hangs up. */
async function exchange(port: number, queue: string): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  const frames: WireFrame[] = [];
  let closed = false;
  const splitter = new WireSplitter();
  sock.on('data', (d) => {
    for (const e of splitter.feed(d)) if (e.kind === 'frame') frames.push(e.frame);
  });
  sock.on('close', () => (closed = true));
  const until = async (ok: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${frames.map((f) => f.command).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const receipt = (id: string) => until(() => frames.some((f) => f.command === 'RECEIPT' && f.rawHeaders.some(([k, v]) => k === 'receipt-id' && v === id)), `RECEIPT ${id}`);
  sock.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0');
  await until(() => frames.some((f) => f.command === 'CONNECTED'), 'CONNECTED');
  sock.write(`SUBSCRIBE\nid:s1\ndestination:${queue}\nack:client\nreceipt:sub\n\n\0`);
  await receipt('sub');
  // No receipt asked: RabbitMQ may send it before or after the MESSAGE, and the order must not depend on that.
  sock.write(`SEND\ndestination:${queue}\ncontent-type:text/plain\n\nsame bytes both ways\0`);
  await until(() => frames.some((f) => f.command === 'MESSAGE'), 'MESSAGE');
  // Not acknowledged before DISCONNECT: a finding on both routes.
  sock.write('DISCONNECT\nreceipt:bye\n\n\0');
  await receipt('bye');
  sock.end();
  await until(() => closed, 'close');
}

/**
 * What a recording holds, without what differs by run: ids, times, client ports, the broker's session and message
 * ids, and which side closed first after DISCONNECT's RECEIPT (both do, in either order).
 */
function recording(dbPath: string, session: number) {
  const db = openDb(dbPath, { readonly: true });
  try {
    const broker = (v: string) => v.replace(/^(session|server):.*$/, '$1:*');
    const volatile = new Set(['session', 'message-id', 'ack', 'subscription', 'destination', 'redelivered', 'persistent']);
    const frames = (db.prepare(`SELECT dir, command, headers, body_length, body_sha256 FROM frames WHERE session_id = ? ORDER BY connection_id, seq`)
      .all(session) as Array<{ dir: number; command: string; headers: string; body_length: number; body_sha256: Buffer | null }>).map((f) => ({
      dir: f.dir, command: f.command, bodyLength: f.body_length, body: f.body_sha256 ? Buffer.from(f.body_sha256).toString('hex') : null,
      // The client's headers are ours and must be the same; the broker's carry its ids: their names must be.
      headers: (JSON.parse(f.headers) as Array<[string, string]>).map(([k, v]) => (f.dir === 0 && !k.startsWith('destination') ? `${k}:${v}` : volatile.has(k) ? k : broker(`${k}:${v}`))),
    }));
    const connections = (db.prepare(`SELECT transport, version, profile, bytes_client, heartbeats_client, heartbeats_broker FROM connections
      WHERE session_id = ? ORDER BY id`).all(session));
    const issues = db.prepare(`SELECT code, severity, dir FROM issues WHERE session_id = ? ORDER BY code, dir`).all(session);
    const meta = JSON.parse((db.prepare(`SELECT meta FROM sessions WHERE id = ?`).pluck().get(session) as string) ?? '{}') as Record<string, unknown>;
    return { frames, connections, issues, meta };
  } finally {
    db.close();
  }
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('one way into the core (real RabbitMQ)', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';

  beforeAll(() => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-one-way-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('proxy.start and `stompscope proxy` record the same exchange the same way, --profile included', async () => {
    const upstream = `${rabbit!.host}:${rabbit!.stompPort}`;
    // RabbitMQ would be detected as rabbitmq: a chosen profile that differs shows the choice reached the recording.
    const profile = 'activemq';

    const uiDb = path.join(dir, 'ui.db');
    const core = Core.open(uiDb);
    let ui: ProxyDto;
    try {
      ui = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream, name: 'same', profile })) as ProxyDto;
      await exchange(Number(ui.listen.split(':').pop()), `/queue/stompscope-one-way-a-${process.pid}`);
      expect(await core.invoke('proxy.stop', { session: ui.session })).toEqual({ stopped: true });
    } finally {
      await core.close();
    }

    const cliDb = path.join(dir, 'cli.db');
    const proxy = await startProxy({ upstream, db: cliDb, name: 'same', extraArgs: ['--quiet', '--profile', profile] });
    try {
      await exchange(proxy.port, `/queue/stompscope-one-way-b-${process.pid}`);
    } finally {
      const exit = await proxy.stop();
      expect(exit.code, exit.stderr).toBe(0);
    }

    const a = recording(uiDb, ui.session);
    const b = recording(cliDb, 1);
    expect(a.connections).toHaveLength(1);
    expect(a.connections[0]).toMatchObject({ transport: 'tcp', version: '1.2', profile });
    expect(a.frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'SUBSCRIBE', 'RECEIPT', 'SEND', 'MESSAGE', 'DISCONNECT', 'RECEIPT']);
    expect(a.issues.map((i) => (i as { code: string }).code)).toContain('message-unacked');
    expect(b.frames).toEqual(a.frames);
    expect(b.connections).toEqual(a.connections);
    expect(b.issues).toEqual(a.issues);
    // `recorder` names the recording process (its pid), `listen` the free port picked.
    const { startedBy: uiBy, listen: _l1, recorder: _r1, ...uiMeta } = a.meta;
    const { startedBy: cliBy, listen: _l2, recorder: _r2, ...cliMeta } = b.meta;
    expect([uiBy, cliBy]).toEqual(['ui', 'cli']);
    expect(cliMeta).toEqual(uiMeta);
    expect(uiMeta).toMatchObject({ upstream, profile });
  }, 60_000);

  it('report --json is a view of session.stats: the same latencies per kind and the same destination counts', async () => {
    const db = path.join(dir, 'report.db');
    const proxy = await startProxy({ upstream: `${rabbit!.host}:${rabbit!.stompPort}`, db, name: 'report', extraArgs: ['--quiet'] });
    try {
      await exchange(proxy.port, `/queue/stompscope-one-way-report-${process.pid}`);
      await exchange(proxy.port, `/queue/stompscope-one-way-report-${process.pid}-b`);
    } finally {
      expect((await proxy.stop()).code).toBe(0);
    }
    const r = await runCli(['report', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [report] = JSON.parse(r.stdout) as SessionReport[];
    const core = Core.open(db);
    let stats: SessionStatsDto;
    try {
      stats = (await core.invoke('session.stats', { session: report.session })) as SessionStatsDto;
    } finally {
      await core.close();
    }
    for (const kind of LATENCY_KINDS) {
      const s = stats.latency.find((l) => l.kind === kind);
      expect(report.latency[kind], kind).toEqual(s ? { count: s.count, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max } : { count: 0, p50: null, p90: null, p99: null, max: null });
    }
    expect(report.latency.receipt.count).toBe(4);
    expect(report.destinations.map((d) => ({ destination: d.destination, send: d.send, message: d.message })))
      .toEqual(stats.destinations.map((d) => ({ destination: d.destination, send: d.send, message: d.message })));
    expect(report.destinations).toHaveLength(2);
  }, 60_000);
});

describe('proxy.start refuses what `stompscope proxy` refuses', () => {
  it('TLS to a ws:// upstream, and an unknown profile, start nothing and record no session', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-one-way-refuse-'));
    const core = Core.open(path.join(dir, 'r.db'));
    try {
      // The CLI says "--upstream-tls with a ws:// upstream: write wss://"; a click must not get TLS to a ws:// URL either.
      // Argument checks throw at once, the rest rejects: either way nothing starts.
      const start = async (args: Parameters<typeof core.invoke<'proxy.start'>>[1]) => core.invoke('proxy.start', args);
      await expect(start({ listen: '127.0.0.1:0', upstream: 'ws://127.0.0.1:1/ws', upstreamTls: true })).rejects.toThrow(/write wss:\/\//);
      await expect(start({ listen: '127.0.0.1:0', upstream: '127.0.0.1:1', profile: 'nonesuch' as never })).rejects.toThrow(/'profile' must be one of/);
      expect(core.invoke('proxy.list', {})).toEqual([]);
      expect(await core.invoke('sessions.list', {})).toEqual([]);
    } finally {
      await core.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
