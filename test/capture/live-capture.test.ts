// `stompscope capture`: live capture off the loopback with the real engines (dumpcap, tcpdump) while stomp.py
// talks to the real RabbitMQ of the global setup. The frames must be readable with `stompscope frames` while
// the capture still runs, exactly as the client logged them; Ctrl-C ends the session with a summary. What
// cannot work (no permission, no such interface, no engine, a bad filter) is one line and a non-zero exit.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CaptureDto, CaptureInterfacesDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { pick } from '../support/checks.js';
import { loggedFrames, loggedHeartbeats, runStomppy } from '../support/clients/stomppy.js';
import { readJsonl, REPO_ROOT, runCli, type ConnectionRow, type JsonlFrame } from '../support/proxy-cli.js';
import { toolAvailable } from './support/capture-tools.js';
import { runNodeTlsClient, startTlsTerminator, TLS_PROFILES } from './support/tls-clients.js';
import { makeCert } from '../support/fake-broker.js';
import { stompProbe } from '../support/stomp-probe.js';

const CLI = ['--import', 'tsx', 'src-main/cli/main.ts'];

/** The CLI capture in the background: resolves once it says it is capturing. */
async function startCapture(args: string[]) {
  // In a process group of its own, as a terminal runs it: Ctrl-C is a SIGINT to the whole group.
  const child = spawn(process.execPath, [...CLI, 'capture', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null }>((r) => child.once('exit', (code) => r({ code })));
  const deadline = Date.now() + 60_000;
  while (!/recording session (\d+)/.test(stderr)) {
    if (child.exitCode !== null) throw new Error(`capture exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`capture did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    session: Number(/recording session (\d+)/.exec(stderr)![1]),
    out: () => stdout,
    err: () => stderr,
    async stop() {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const r = await exited;
      clearTimeout(t);
      return { ...r, stdout, stderr };
    },
  };
}

/** Polls (bounded) until `check` returns a value. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The engine is capturing once a probe connection of ours (to `port`) shows up in the session. */
async function untilRecordingProbes(db: string, session: number, port: number): Promise<void> {
  await until('the capture to record a probe connection', async () => {
    await stompProbe(port);
    const conns = await readJsonl<ConnectionRow>(['connections', '--db', db, '--session', String(session)]);
    return conns.length > 0 ? true : undefined;
  });
}

const engines = (['dumpcap', 'tcpdump'] as const).filter((e) => toolAvailable(e));

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1' || engines.length === 0)('stompscope capture: live off the loopback', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-live-'));
    chmodSync(dir, 0o777);
  });
  afterAll(() => {
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of engines) {
    it(`${engine}: stomp.py's frames are in \`frames\` while the capture runs, exactly as logged; Ctrl-C ends it with a summary`, async () => {
      const db = path.join(dir, `${engine}.db`);
      const cap = await startCapture(['--interface', 'lo', '--port', String(rabbit!.stompPort), '--db', db, '--engine', engine]);
      let stopped = false;
      try {
        await untilRecordingProbes(db, cap.session, rabbit!.stompPort);
        const run = await runStomppy({ port: rabbit!.stompPort, version: '1.2', lingerS: 0.5 });
        expect(run.ok, JSON.stringify(run.summary.errors)).toBe(true);
        const sent = loggedFrames(run.records, 'sent');
        const received = loggedFrames(run.records, 'received');
        // Still capturing: the frames are readable now.
        const { conn, frames } = await until('stomp.py\'s frames to be recorded', async () => {
          const conns = await readJsonl<ConnectionRow & { client: string; transport: string }>(['connections', '--db', db, '--session', String(cap.session)]);
          const c = conns.find((x) => x.client === `127.0.0.1:${run.summary.localPort}`);
          if (!c) return undefined;
          const f = await readJsonl<JsonlFrame>(['frames', '--db', db, '--connection', String(c.connection), '--reveal-secrets']);
          return f.length >= sent.length + received.length ? { conn: c, frames: f } : undefined;
        });
        const sessions = await readJsonl<{ session: number; kind: string; state: string }>(['sessions', '--db', db]);
        expect(sessions.find((s) => s.session === cap.session)).toMatchObject({ kind: 'capture', state: 'recording' });
        expect(frames.filter((f) => f.from === 'client').map(pick)).toEqual(sent);
        expect(frames.filter((f) => f.from === 'broker').map(pick)).toEqual(received);
        expect(conn.transport).toBe('tcp');
        expect(conn.broker).toBe(`127.0.0.1:${rabbit!.stompPort}`);

        const r = await cap.stop();
        stopped = true;
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(new RegExp(`^stompscope capture: session ${cap.session}: \\d+ packets, \\d+ connections, \\d+ frames, \\d+ issues -> `, 'm'));
        // The console: a line per frame, as the proxy prints them.
        expect(r.stdout).toMatch(/#\d+ {2}c→b {2}CONNECT/);
        expect(r.stdout).toMatch(/#\d+ {2}c←b {2}MESSAGE/);
        const after = await readJsonl<ConnectionRow>(['connections', '--db', db, '--session', String(cap.session)]);
        const c = after.find((x) => x.connection === conn.connection)!;
        expect(c.heartbeats).toEqual({ client: loggedHeartbeats(run.records, 'sent'), broker: loggedHeartbeats(run.records, 'received') });
        const ended = await readJsonl<{ session: number; state: string }>(['sessions', '--db', db]);
        expect(ended.find((s) => s.session === cap.session)!.state).toBe('complete');
      } finally {
        if (!stopped) await cap.stop();
      }
    }, 180_000);
  }

  it('--tls-keylog: a TLS client\'s connection is decrypted live from the key log it is still writing', async () => {
    const pair = makeCert(dir, 'live');
    const profile = TLS_PROFILES.find((p) => p.name === 'TLS 1.3 ChaCha20-Poly1305')!;
    const terminator = await startTlsTerminator(pair, profile, rabbit!.stompPort);
    const db = path.join(dir, 'tls.db');
    const keylog = path.join(dir, 'live-keys.log');
    const cap = await startCapture(['--interface', 'lo', '--port', String(terminator.port), '--port', String(rabbit!.stompPort), '--db', db, '--tls-keylog', keylog, '--quiet']);
    let stopped = false;
    try {
      await untilRecordingProbes(db, cap.session, rabbit!.stompPort);
      const run = await runNodeTlsClient(terminator.port, keylog, 'live', profile.name);
      const { conn, frames } = await until('the TLS connection\'s frames', async () => {
        const conns = await readJsonl<ConnectionRow & { client: string; transport: string; tls: unknown }>(['connections', '--db', db, '--session', String(cap.session)]);
        const c = conns.find((x) => x.client === `127.0.0.1:${run.localPort}`);
        if (!c) return undefined;
        const f = await readJsonl<JsonlFrame>(['frames', '--db', db, '--connection', String(c.connection)]);
        return f.some((x) => x.command === 'DISCONNECT') ? { conn: c, frames: f } : undefined;
      });
      expect(conn.transport).toBe('tls');
      expect(frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'SUBSCRIBE', 'RECEIPT', 'SEND', 'MESSAGE', 'RECEIPT', 'DISCONNECT', 'RECEIPT']);
      const r = await cap.stop();
      stopped = true;
      expect(r.code, r.stderr).toBe(0);
      const after = await readJsonl<ConnectionRow & { tls: unknown; bytes: { client: number; broker: number } }>(['connections', '--db', db, '--session', String(cap.session)]);
      const c = after.find((x) => x.connection === conn.connection)!;
      expect(c.tls).toEqual({ version: 'TLS 1.3', cipherSuite: 'TLS_CHACHA20_POLY1305_SHA256', decrypted: true });
      expect(c.bytes).toEqual({ client: run.sent.length, broker: run.received.length });
    } finally {
      if (!stopped) await cap.stop();
      await terminator.close();
    }
  }, 180_000);

  it('through the core (the UI\'s "Capture on interface…"): interfaces listed, a capture started, its frames announced, stopped', async () => {
    const core = Core.open(path.join(dir, 'core.db'));
    try {
      const listed = (await core.invoke('capture.interfaces', {})) as CaptureInterfacesDto;
      expect(listed.error).toBeNull();
      expect(listed.interfaces).toContainEqual({ name: 'lo', description: 'Loopback' });
      const appended: number[] = [];
      core.onEvent((e, d) => e === 'frames.appended' && appended.push((d as { frames: number }).frames));
      const c = (await core.invoke('capture.start', { interface: 'lo', ports: [rabbit!.stompPort] })) as CaptureDto;
      expect(c).toMatchObject({ interface: 'lo', filter: `tcp port ${rabbit!.stompPort}` });
      expect((await core.invoke('capture.list', {})) as CaptureDto[]).toEqual([expect.objectContaining({ session: c.session })]);
      // Probe connections until the capture has recorded one and the watcher announced its frames.
      await until('frames.appended for the capture', async () => {
        await stompProbe(rabbit!.stompPort);
        return appended.length > 0 ? true : undefined;
      });
      expect(await core.invoke('capture.stop', { session: c.session })).toEqual({ stopped: true });
      expect((await core.invoke('capture.list', {})) as CaptureDto[]).toEqual([]);
      const sessions = (await core.invoke('sessions.list', {})) as Array<{ session: number; kind: string; state: string; frames: number }>;
      expect(sessions.find((s) => s.session === c.session)).toMatchObject({ kind: 'capture', state: 'complete' });
      // What cannot work is refused in one message.
      await expect(Promise.resolve().then(() => core.invoke('capture.start', { interface: 'nosuch0' }))).rejects.toThrow(/^no such interface: nosuch0/);
    } finally {
      await core.close();
    }
  }, 120_000);

  it('without permission to capture: one line saying so and how to fix it, exit 1', async () => {
    const db = path.join(dir, 'nobody.db');
    const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...CLI, 'capture', '--interface', 'lo', '--db', db],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    clearTimeout(t);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^stompscope capture: no permission to capture on lo: run as root, or let your user capture \(.*setcap cap_net_raw,cap_net_admin=eip.*\)\n$/);
  }, 90_000);

  it('no such interface, no capture engine, a bad filter, wrong arguments: one line each, non-zero exit', async () => {
    const db = path.join(dir, 'errors.db');
    const noIface = await runCli(['capture', '--interface', 'nosuch0', '--db', db]);
    expect(noIface.code).toBe(1);
    expect(noIface.stderr).toBe('stompscope capture: no such interface: nosuch0 (stompscope capture --list-interfaces lists them)\n');

    // No engine on PATH (node itself is run by its full path).
    const noEngine = spawn(process.execPath, [...CLI, 'capture', '--interface', 'lo', '--db', db], { cwd: REPO_ROOT, env: { ...process.env, PATH: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    noEngine.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((r) => noEngine.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toBe('stompscope capture: no capture engine: neither dumpcap nor tcpdump is installed or on PATH (Debian: apt install tshark, or apt install tcpdump)\n');

    const badFilter = await runCli(['capture', '--interface', 'lo', '--filter', 'tcp port banana', '--db', db]);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toBe('stompscope capture: --filter: "tcp port banana" is not a valid capture filter (BPF): unknown port \'banana\'\n');
    const badFilterTcpdump = await runCli(['capture', '--interface', 'lo', '--engine', 'tcpdump', '--filter', 'tcp port banana', '--db', db]);
    expect(badFilterTcpdump.code).toBe(2);
    expect(badFilterTcpdump.stderr).toBe(badFilter.stderr);

    const noArg = await runCli(['capture', '--db', db]);
    expect(noArg.code).toBe(2);
    expect(noArg.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runCli(['capture', '--interface', 'lo', '--port', '0', '--db', db])).code).toBe(2);
  }, 120_000);

  it('--list-interfaces lists the loopback', async () => {
    const r = await runCli(['capture', '--list-interfaces']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('lo  (Loopback)');
  });
});
