// `replay.start` and `replay.diff` through the contract, as the UI calls them, against a real RabbitMQ
// (inject('rabbitmq') from test/support/global-setup.ts). A stomp.py session is recorded through a proxy started
// with the core's own `proxy.start`; its connection is replayed as a job whose progress and result arrive as
// events, and the replay is compared with the original by `replay.diff`.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiError, ConnectionDto, EditedFrameDto, Events, ReplayStartDto } from '../../shared/api/index.js';
import { MASK } from '../../shared/stomp/secrets.js';
import { Core } from '../../src-main/core/api.js';
import { runStomppy } from '../support/clients/stomppy.js';
import { once } from '../support/once.js';
import { frame, recordConversation, tmpDir } from './support.js';

type Ev = { event: string; data: unknown };

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('replay.start and replay.diff against RabbitMQ', () => {
  const rabbit = inject('rabbitmq');
  const run = Math.random().toString(36).slice(2, 8);
  const queue = `/queue/ui-replay-${run}`;
  let dir = '';
  let core: Core;
  const events: Ev[] = [];
  let original: ConnectionDto;
  const target = () => `${rabbit!.host}:${rabbit!.stompPort}`;

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    dir = tmpDir('stompscope-replay-ui-');
    core = Core.open(path.join(dir, 'u.db'));
    core.onEvent((event, data) => events.push({ event, data }));
    const proxy = await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: target(), name: 'original' });
    try {
      const r = await runStomppy({ port: Number(proxy.listen.split(':').pop()), version: '1.2', queue, lingerS: 0.3, messages: 2 });
      expect(r.ok, `stomp.py failed: ${JSON.stringify(r.summary.errors)}\n${r.stderr}`).toBe(true);
    } finally {
      await core.invoke('proxy.stop', { session: proxy.session });
    }
    const conns = await core.invoke('connections.list', { session: proxy.session });
    expect(conns).toHaveLength(1);
    original = conns[0];
  });

  afterAll(async () => {
    await core?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a replay and waits for its replay.done event. */
  const replay = async (args: Partial<ReplayStartDto>) => {
    const { job } = await core.invoke('replay.start', { connection: original.connection, target: target(), ...args });
    const done = () => events.find((e) => e.event === 'replay.done' && (e.data as Events['replay.done']).job === job);
    await expect.poll(done, { timeout: 60_000, interval: 50 }).toBeTruthy();
    return { job, done: done()!.data as Events['replay.done'] };
  };

  it('refuses the broker the connection was recorded with unless confirmed (nothing is sent)', () => {
    const before = events.length;
    expect(() => core.invoke('replay.start', { connection: original.connection, target: target() }))
      .toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining('confirm') }) as ApiError);
    // Spelled as a user might: localhost for the proxy's 127.0.0.1.
    const [, port] = target().split(':');
    if (rabbit!.host === '127.0.0.1') {
      expect(() => core.invoke('replay.start', { connection: original.connection, target: `localhost:${port}` }))
        .toThrow(expect.objectContaining({ code: 'conflict' }) as ApiError);
    }
    expect(events.slice(before).some((e) => e.event.startsWith('replay.'))).toBe(false);
  });

  // The confirmed replay is a step done once: the diff test compares with it and awaits it too, so it can run alone.
  const confirmed = once(() => replay({ confirmOriginalBroker: true, asFastAsPossible: true, name: 'ui replay' }));

  it('confirmed: replays as a job with progress events, recorded as a new replay session', async () => {
    const { job, done } = await confirmed();
    expect(done.error).toBeNull();
    expect(done.findings).toEqual([]);
    expect(done.original).toBe(original.connection);
    expect(done.sent).toBe(original.frames.client);
    expect(done.received).toBe(original.frames.broker);
    const progress = events.filter((e) => e.event === 'replay.progress' && (e.data as Events['replay.progress']).job === job)
      .map((e) => e.data as Events['replay.progress']);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ session: done.session, sent: original.frames.client, total: original.frames.client });
    const session = (await core.invoke('sessions.list', {})).find((s) => s.session === done.session)!;
    expect(session).toMatchObject({ kind: 'replay', name: 'ui replay', state: 'complete', connections: 1 });
    const conns = await core.invoke('connections.list', { session: done.session! });
    expect(conns.map((c) => c.connection)).toEqual([done.connection]);
  });

  it('replay.diff of original and replay: the same, volatile headers listed as ignored', async () => {
    const replayed = (await confirmed()).done;
    expect(replayed.error).toBeNull();
    const d = await core.invoke('replay.diff', { a: original.connection, b: replayed.connection! });
    expect(d.differences).toEqual([]);
    expect(d).toMatchObject({ same: true, matched: original.frames.broker, missing: 0, extra: 0, changed: 0 });
    expect(d.a).toMatchObject({ connection: original.connection, session: original.session, version: '1.2' });
    expect(d.ignoredHeaders).toEqual(expect.arrayContaining(['message-id', 'ack', 'session']));
    const all = await core.invoke('replay.diff', { a: original.connection, b: replayed.connection!, includeVolatile: true });
    expect(all.same).toBe(false);
    expect(all.ignoredHeaders).toEqual([]);
  });

  it('a mapped destination: the diff shows exactly the MESSAGE destinations changed', async () => {
    const mapped = `${queue}-mapped`;
    const { done } = await replay({ confirmOriginalBroker: true, speed: 4, mapDestination: [[queue, mapped]] });
    expect(done.findings).toEqual([]);
    const d = await core.invoke('replay.diff', { a: original.connection, b: done.connection! });
    expect(d.same).toBe(false);
    expect(d).toMatchObject({ missing: 0, extra: 0 });
    expect(d.changed).toBeGreaterThanOrEqual(2);
    expect(d.differences).toHaveLength(d.changed);
    for (const x of d.differences) {
      expect(x).toMatchObject({ kind: 'changed', command: 'MESSAGE', body: null });
      expect(x.headers).toEqual([{ name: 'destination', a: queue, b: mapped }]);
      // Each side's frame by its number within its session too: one connection a session, so seq + 1.
      expect([x.aNumber, x.bNumber]).toEqual([x.a! + 1, x.b! + 1]);
    }
    expect([d.a.number, d.b.number]).toEqual([1, 1]);
  });

  it('an unreachable target ends the job with an error, and no session', async () => {
    const { done } = await replay({ target: '127.0.0.1:1', timeoutMs: 2000 });
    expect(done).toMatchObject({ session: null, connection: null, findings: [] });
    expect(done.error).toMatch(/cannot connect to 127\.0\.0\.1:1/);
  });

  it('a masked passcode is refused before connecting, and sent once given', async () => {
    const db = path.join(dir, 'u.db');
    const rec = await recordConversation(db, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/'], ['login', 'guest'], ['passcode', '*****']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('DISCONNECT', [['receipt', 'r-d']]) },
      { from: 'broker', data: frame('RECEIPT', [['receipt-id', 'r-d']]) },
    ], 'masked');
    const args = { connection: rec.connection, target: target(), asFastAsPossible: true };
    expect(() => core.invoke('replay.start', args)).toThrow(expect.objectContaining({ code: 'bad-request', message: expect.stringMatching(/masked.*passcode/) }) as ApiError);
    const { job } = await core.invoke('replay.start', { ...args, passcode: 'guest' });
    await expect.poll(() => events.find((e) => e.event === 'replay.done' && (e.data as Events['replay.done']).job === job), { timeout: 30_000 }).toBeTruthy();
    const done = events.find((e) => e.event === 'replay.done' && (e.data as Events['replay.done']).job === job)!.data as Events['replay.done'];
    expect(done.error).toBeNull();
    expect(done.findings).toEqual([]);
    expect(done.received).toBe(2);
  });

  it('unknown connections: replay.start and replay.diff answer not-found', async () => {
    expect(() => core.invoke('replay.start', { connection: 999_999, target: target() })).toThrow(expect.objectContaining({ code: 'not-found' }) as ApiError);
    await expect(Promise.resolve().then(() => core.invoke('replay.diff', { a: original.connection, b: 999_999 }))).rejects.toThrow(expect.objectContaining({ code: 'not-found' }) as ApiError);
  });

  describe('frame.resend: an edited client frame on a new connection', () => {
    const clientFrame = async (command: string) => {
      const rows = await core.invoke('frames.page', { session: original.session, after: 0, limit: 1000 });
      return rows.find((r) => r.connection === original.connection && r.from === 'client' && r.command === command)!;
    };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const credentials = (c: EditedFrameDto): EditedFrameDto => ({
      ...c, headers: c.headers.map(([n, v]) => [n, n === 'login' || n === 'passcode' ? 'guest' : v] as [string, string]),
    });
    const resent = `${queue}-resent`;

    it('the draft holds the frame and its connection\'s CONNECT, credentials masked', async () => {
      const send = await clientFrame('SEND');
      const d = await core.invoke('frame.resendDraft', { id: send.id });
      expect(d).toMatchObject({ id: send.id, session: original.session, connection: original.connection, broker: original.broker, version: '1.2' });
      expect(d.frame.command).toBe('SEND');
      expect(d.frame.headers).toContainEqual(['destination', queue]);
      expect(d.connect!.command).toMatch(/^(CONNECT|STOMP)$/);
      expect(d.connect!.headers).toContainEqual(['passcode', MASK]);
      const message = (await core.invoke('frames.page', { session: original.session, after: 0, limit: 1000 })).find((r) => r.command === 'MESSAGE')!;
      expect(() => core.invoke('frame.resendDraft', { id: message.id })).toThrow(expect.objectContaining({ code: 'bad-request' }) as ApiError);
    });

    it('a masked passcode is refused: it must be re-entered', async () => {
      const d = await core.invoke('frame.resendDraft', { id: (await clientFrame('SEND')).id });
      expect(() => core.invoke('frame.resend', { id: d.id, target: target(), confirmOriginalBroker: true, connect: d.connect, frame: d.frame }))
        .toThrow(expect.objectContaining({ code: 'bad-request', message: expect.stringMatching(/re-enter .*masked/) }) as ApiError);
    });

    it('the original broker needs confirmation; an unreachable target records nothing', async () => {
      const d = await core.invoke('frame.resendDraft', { id: (await clientFrame('SEND')).id });
      const args = { id: d.id, connect: credentials(d.connect!), frame: d.frame };
      await expect(core.invoke('frame.resend', { ...args, target: target() })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/confirm/) });
      const before = (await core.invoke('sessions.list', {})).length;
      await expect(core.invoke('frame.resend', { ...args, target: '127.0.0.1:1', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/cannot connect/) });
      expect(await core.invoke('sessions.list', {})).toHaveLength(before);
    });

    it('sends the edited SEND after the CONNECT, records it as a replay session, and the broker delivers it', async () => {
      const d = await core.invoke('frame.resendDraft', { id: (await clientFrame('SEND')).id });
      // Edited: another queue, a receipt to wait for, a new body; the other headers as recorded.
      const headers = d.frame.headers.filter(([n]) => n !== 'receipt' && n !== 'content-length')
        .map(([n, v]) => [n, n === 'destination' ? resent : v] as [string, string]);
      const r = await core.invoke('frame.resend', {
        id: d.id, target: target(), confirmOriginalBroker: true, connect: credentials(d.connect!), name: 'resend test',
        frame: { command: 'SEND', headers: [...headers, ['receipt', 'r-resend'], ['x-note', 'a:b\\c']], bodyBase64: b64('edited body') },
      });
      expect(r.findings).toEqual([]);
      expect(r.received.map((x) => x.command)).toEqual(['CONNECTED', 'RECEIPT', 'RECEIPT']);
      expect(r.received[1].info).toBe('receipt-id r-resend');
      const session = (await core.invoke('sessions.list', {})).find((x) => x.session === r.session)!;
      expect(session).toMatchObject({ kind: 'replay', name: 'resend test', connections: 1 });
      const rows = await core.invoke('frames.page', { session: r.session, after: 0, limit: 100 });
      expect(rows.filter((x) => x.from === 'client').map((x) => x.command)).toEqual([d.connect!.command, 'SEND', 'DISCONNECT']);
      const sent = await core.invoke('frame.detail', { id: rows.find((x) => x.command === 'SEND')!.id, revealSecrets: true });
      expect(Buffer.from(sent.bodyBase64!, 'base64').toString()).toBe('edited body');
      expect(sent.headers.map((h) => [h.name, h.value])).toContainEqual(['destination', resent]);
      // Escaped for 1.2 on the wire, read back as typed.
      expect(sent.headers.find((h) => h.name === 'x-note')).toMatchObject({ value: 'a:b\\c', rawValue: 'a\\cb\\\\c' });

      // A resent SUBSCRIBE to that queue (ack auto, no receipt: answers are awaited for a moment) gets the message.
      const sub = await core.invoke('frame.resendDraft', { id: (await clientFrame('SUBSCRIBE')).id });
      const subHeaders = sub.frame.headers.filter(([n]) => n !== 'receipt')
        .map(([n, v]) => [n, n === 'destination' ? resent : n === 'ack' ? 'auto' : v] as [string, string]);
      const got = await core.invoke('frame.resend', {
        id: sub.id, target: target(), confirmOriginalBroker: true, connect: credentials(sub.connect!), frame: { ...sub.frame, headers: subHeaders },
      });
      expect(got.findings).toEqual([]);
      expect(got.received.map((x) => x.command)).toEqual(['CONNECTED', 'MESSAGE', 'RECEIPT']);
      expect(got.received[1].info).toBe(`${resent} (11 bytes)`);
    });
  });
});
