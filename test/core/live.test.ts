// Proxies started through the contract, and frames.appended while they record, for each of two proxies
// running at once.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';

describe('live proxies from the contract', () => {
  let dir = '';
  let core: Core;
  let broker: net.Server;
  let brokerPort = 0;
  const events: Array<{ event: string; data: { session?: number; frames?: number } }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-live-'));
    core = Core.open(path.join(dir, 'l.db'));
    core.onEvent((event, data) => events.push({ event, data: data as never }));
    // A "broker" that answers every frame with a RECEIPT.
    broker = net.createServer((s) => s.on('data', (d) => s.write('RECEIPT\nreceipt-id:x\n\n\0'.repeat(d.toString().split('\0').length - 1))));
    await new Promise<void>((r) => broker.listen(0, '127.0.0.1', () => r()));
    brokerPort = (broker.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await core.close();
    await new Promise((r) => broker.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const talk = async (p: ProxyDto, frames: number) => {
    const port = Number(p.listen.split(':').pop());
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let got = 0;
    sock.on('data', (d) => (got += d.toString().split('\0').length - 1));
    for (let i = 0; i < frames; i++) sock.write(`SEND\ndestination:/queue/live\n\nmessage ${i}\0`);
    const t0 = Date.now();
    while (got < frames && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    sock.end();
  };

  const appended = (session: number, frames: number) =>
    expect.poll(() => events.some((e) => e.event === 'frames.appended' && e.data.session === session && e.data.frames! >= frames), { timeout: 5000 }).toBe(true);

  it('announces frames of each running proxy, and stops them', async () => {
    const a = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${brokerPort}`, name: 'first' })) as ProxyDto;
    await talk(a, 2);
    await appended(a.session, 4);
    const b = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${brokerPort}`, name: 'second' })) as ProxyDto;
    expect((core.invoke('proxy.list', {}) as ProxyDto[]).map((p) => p.session)).toEqual([a.session, b.session]);
    await talk(a, 3);
    await appended(a.session, 10);
    await talk(b, 1);
    await appended(b.session, 2);
    expect(() => core.invoke('sessions.delete', { session: a.session })).toThrow(/still recording/);
    expect(await core.invoke('proxy.stop', { session: a.session })).toEqual({ stopped: true });
    expect(await core.invoke('proxy.stop', { session: a.session })).toEqual({ stopped: false });
    expect(await core.invoke('proxy.stop', { session: b.session })).toEqual({ stopped: true });
    expect(await core.invoke('sessions.list', {})).toEqual([
      expect.objectContaining({ name: 'first', frames: 10 }), expect.objectContaining({ name: 'second', frames: 2, state: 'complete' }),
    ]);
    expect(events.some((e) => e.event === 'sessions.changed')).toBe(true);
  });

  it('announces an issue found by the clock alone: a client silent past its heart-beat, while the connection stays open', async () => {
    // A broker that accepts a client heart-beat of 100 ms (limit 150 ms) and says nothing more.
    const hb = net.createServer((s) => s.once('data', () => s.write('CONNECTED\nversion:1.2\nheart-beat:0,100\n\n\0')));
    await new Promise<void>((r) => hb.listen(0, '127.0.0.1', () => r()));
    const p = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${(hb.address() as net.AddressInfo).port}`, name: 'silent' })) as ProxyDto;
    const sock = net.connect(Number(p.listen.split(':').pop()), '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:100,0\n\n\0');
    try {
      const missedId = () => core.db.prepare(`SELECT max(id) FROM issues WHERE session_id = ? AND code = 'heartbeat-missed'`).pluck().get(p.session) as number | null;
      await expect.poll(missedId, { timeout: 8000 }).toBeGreaterThan(0);
      expect(sock.destroyed).toBe(false); // found while the connection is open
      // The event that announces it (no frame came with it, so frames.appended could not).
      await expect.poll(() => events.some((e) => e.event === 'issues.appended' && e.data.session === p.session
        && (e.data as { lastId?: number }).lastId! >= missedId()!), { timeout: 5000 }).toBe(true);
      const info = (await core.invoke('session.expertInfo', { session: p.session })) as { groups: Array<{ codes: Array<{ code: string }> }> };
      expect(info.groups.flatMap((g) => g.codes.map((c) => c.code))).toContain('heartbeat-missed');
    } finally {
      sock.destroy();
      await core.invoke('proxy.stop', { session: p.session });
      await new Promise((r) => hb.close(r));
    }
  });
});
