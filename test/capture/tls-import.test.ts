// Import of captures of real TLS: Node's `tls` and Python's `ssl` clients talk STOMP to the real RabbitMQ of the
// global setup through TLS terminators (one per TLS version and cipher family: TLS 1.3 AES-128-GCM, AES-256-GCM,
// ChaCha20-Poly1305; TLS 1.2 ECDHE AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305), while tcpdump records the
// loopback. Imported with the clients' key logs, each connection's two decrypted streams must be exactly the
// bytes its client sent and received; without the key log, with another session's key log, with wrong keys,
// damaged records and a cut file, the import ends in issues, never a crash.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConnectionDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { makeCert } from '../support/fake-broker.js';
import { readJsonl, runCli, type ConnectionRow, type JsonlFrame } from '../support/proxy-cli.js';
import { CAPTURES, probeListener, startCapture, toolAvailable, waitUntilCapturing } from './support/capture-tools.js';
import { runNodeTlsClient, runPythonTlsClient, startTlsTerminator, TLS_PROFILES, type TlsClientRun } from './support/tls-clients.js';
import { PcapParserReader } from '../../src-main/core/capture/pcap-parser-reader.js';
import { dissectTcp, TcpPacket } from '../../src-main/core/capture/dissect.js';

interface TlsRow extends ConnectionRow {
  client: string;
  transport: string;
  tls: { version: string; cipherSuite: string; decrypted: boolean; missing?: string } | null;
  bytes: { client: number; broker: number };
  frames: { client: number; broker: number };
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1' || !toolAvailable('tcpdump'))('import of real TLS captures with a key log', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  let pcap = '';
  let keylog = '';
  const runs: TlsClientRun[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup');
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-tls-'));
    pcap = path.join(dir, 'tls.pcap');
    keylog = path.join(dir, 'keys.log');
    const nodeKeys = path.join(dir, 'node-keys.log');
    const pair = makeCert(dir, 'tls');
    const terminators = await Promise.all(TLS_PROFILES.map((p) => startTlsTerminator(pair, p, rabbit.stompPort)));
    ports.push(...terminators.map((t) => t.port));
    const probe = await probeListener();
    const spec = CAPTURES.find((c) => c.name === 'tcpdump pcap (µs)')!;
    const capture = await startCapture(spec, pcap, [...ports, probe.port].map((p) => `tcp port ${p}`).join(' or '));
    try {
      await waitUntilCapturing([capture], probe.port);
      for (const [i, p] of TLS_PROFILES.entries()) {
        const port = terminators[i].port;
        runs.push(await runNodeTlsClient(port, nodeKeys, `n${i}`, p.name));
        runs.push(await runPythonTlsClient(port, path.join(dir, `py${i}.log`), `p${i}`, p.name, p.version === 'TLS 1.2' ? '1.2' : '1.3'));
      }
    } finally {
      await probe.close();
      const stopped = await capture.stop();
      await Promise.all(terminators.map((t) => t.close()));
      expect(stopped.code, stopped.stderr).toBe(0);
    }
    const logs = [nodeKeys, ...TLS_PROFILES.map((_, i) => path.join(dir, `py${i}.log`))];
    writeFileSync(keylog, logs.map((f) => readFileSync(f, 'latin1')).join(''));
  }, 240_000);

  afterAll(() => {
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') rmSync(dir, { recursive: true, force: true });
  });

  async function importWith(name: string, args: string[], file = pcap) {
    const db = path.join(dir, `${name}.db`);
    const r = await runCli(['import', file, '--db', db, '--json', ...args], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as { session: number; connections: number; frames: number; complete: boolean; warnings: string[] };
    const connections = await readJsonl<TlsRow>(['connections', '--db', db, '--session', String(json.session)]);
    const issues = new Map<string, string[]>();
    const reader = new StoreReader(openDb(db, { readonly: true }));
    const rows = reader.db.prepare(`SELECT connection_id c, code, message FROM issues WHERE session_id = ?`).all(json.session) as Array<{ c: number | null; code: string; message: string }>;
    for (const row of rows) issues.set(String(row.c), [...(issues.get(String(row.c)) ?? []), `${row.code}: ${row.message}`]);
    return { db, json, connections, issues, reader };
  }

  const conn = (rows: TlsRow[], run: TlsClientRun) => rows.find((c) => c.client === `127.0.0.1:${run.localPort}`);

  it('with the key log: every connection decrypted, both streams exactly the client\'s bytes, each version and cipher suite', async () => {
    const got = await importWith('keys', ['--tls-keylog', keylog]);
    try {
      expect(got.json.complete).toBe(true);
      expect(got.json.warnings).toEqual([]);
      expect(got.connections).toHaveLength(runs.length);
      for (const run of runs) {
        const c = conn(got.connections, run);
        const what = `${run.client} ${run.profile}`;
        expect(c, what).toBeDefined();
        const profile = TLS_PROFILES.find((p) => p.name === run.profile)!;
        expect(c!.transport, what).toBe('tls');
        expect(c!.tls, what).toEqual({ version: profile.version, cipherSuite: profile.suite, decrypted: true });
        expect(c!.bytes, what).toEqual({ client: run.sent.length, broker: run.received.length });
        const id = Number(c!.connection);
        expect(got.reader.readBytes(id, 'client', 0, run.sent.length)?.equals(run.sent), `${what}: client → broker bytes`).toBe(true);
        expect(got.reader.readBytes(id, 'broker', 0, run.received.length)?.equals(run.received), `${what}: broker → client bytes`).toBe(true);
        // Nothing wrong was found on a clean conversation (the TCP notes aside).
        expect((got.issues.get(String(id)) ?? []).filter((i) => !/^tcp-(syn|fin|rst)/.test(i)), what).toEqual([]);
      }
      // Bodies are readable: the MESSAGE each client received carries its body, text and binary alike.
      const frames = await readJsonl<JsonlFrame & { bodyBase64?: string }>(['frames', '--db', got.db, '--session', String(got.json.session), '--body', 'base64']);
      for (const run of runs) {
        const c = conn(got.connections, run)!;
        const msg = frames.find((f) => f.connection === c.connection && f.command === 'MESSAGE');
        expect(Buffer.from(msg!.bodyBase64!, 'base64').equals(run.body), `${run.client} ${run.profile}: MESSAGE body`).toBe(true);
        expect(frames.filter((f) => f.connection === c.connection).map((f) => f.command))
          .toEqual(['CONNECT', 'CONNECTED', 'SUBSCRIBE', 'RECEIPT', 'SEND', 'MESSAGE', 'RECEIPT', 'DISCONNECT', 'RECEIPT']);
      }
    } finally {
      got.reader.close();
    }
  });

  it('through the core (the UI\'s import with a key log picked beside the capture): decrypted the same', async () => {
    const core = Core.open(path.join(dir, 'core.db'));
    try {
      const done = new Promise<{ session: number | null; complete: boolean }>((resolve) => core.onEvent((e, d) => e === 'import.done' && resolve(d as never)));
      const upload = core.registerUpload(pcap, 'tls.pcap', false);
      const keys = core.registerUpload(keylog, 'keys.log', false);
      await core.invoke('import.start', { upload, keylog: keys });
      const r = await done;
      expect(r).toMatchObject({ complete: true, session: expect.any(Number) });
      const conns = (await core.invoke('connections.list', { session: r.session! })) as ConnectionDto[];
      expect(conns).toHaveLength(runs.length);
      expect(conns.every((c) => c.transport === 'tls' && c.tls?.decrypted === true)).toBe(true);
      const byPort = new Map(conns.map((c) => [c.client, c]));
      for (const run of runs) expect(byPort.get(`127.0.0.1:${run.localPort}`)!.bytes).toEqual({ client: run.sent.length, broker: run.received.length });
      // A key log that is not one is refused in one message, and the capture can be imported again without it.
      const bad = core.registerUpload(pcap, 'not-keys.log', false);
      await expect(Promise.resolve().then(() => core.invoke('import.start', { upload: core.registerUpload(pcap, 'tls.pcap', false), keylog: bad })))
        .rejects.toThrow(/^the key log not-keys\.log: no key log lines in it/);
    } finally {
      await core.close();
    }
  });

  it('without the key log: the connections are listed as TLS, undecrypted, each with what is missing', async () => {
    const got = await importWith('nokeys', ports.flatMap((p) => ['--port', String(p)]));
    try {
      expect(got.json.frames).toBe(0);
      expect(got.connections).toHaveLength(runs.length);
      for (const c of got.connections) {
        expect(c.transport).toBe('tls');
        expect(c.tls).toMatchObject({ decrypted: false, missing: expect.stringMatching(/^no key log was given/) });
        expect(got.issues.get(String(c.connection))!.filter((i) => i.startsWith('tls-'))).toEqual([expect.stringMatching(/^tls-undecrypted: this TLS connection is not decrypted: no key log/)]);
      }
      expect(got.json.warnings).toEqual([expect.stringMatching(new RegExp(`^${runs.length} TLS connection\\(s\\) not decrypted`))]);
    } finally {
      got.reader.close();
    }
  });

  it('with a key log of another session: listed as TLS, not decrypted, naming the secrets it lacks', async () => {
    const other = path.join(dir, 'other.log');
    writeFileSync(other, `# another session\nCLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}\nCLIENT_TRAFFIC_SECRET_0 ${'ab'.repeat(32)} ${'ef'.repeat(32)}\n`);
    const got = await importWith('other', ['--tls-keylog', other, ...ports.flatMap((p) => ['--port', String(p)])]);
    try {
      expect(got.json.frames).toBe(0);
      for (const run of runs) {
        const c = conn(got.connections, run)!;
        const lacks = run.profile.startsWith('TLS 1.3') ? /has no CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 for client random [0-9a-f]{64}: it was written by another session/ : /has no CLIENT_RANDOM for client random/;
        expect(c.tls?.missing, `${run.client} ${run.profile}`).toMatch(lacks);
      }
    } finally {
      got.reader.close();
    }
  });

  it('with wrong keys for the right connections: each direction reports records that do not authenticate, then gives up', async () => {
    // Every secret reversed: the client randoms match, the keys do not.
    const wrong = path.join(dir, 'wrong.log');
    writeFileSync(wrong, readFileSync(keylog, 'latin1').split('\n').map((l) => {
      const m = /^(\S+) (\S+) (\S+)$/.exec(l);
      return m ? `${m[1]} ${m[2]} ${Buffer.from(m[3], 'hex').reverse().toString('hex')}` : l;
    }).join('\n'));
    const got = await importWith('wrong', ['--tls-keylog', wrong, ...ports.flatMap((p) => ['--port', String(p)])]);
    try {
      expect(got.json.frames).toBe(0);
      for (const run of runs) {
        const c = conn(got.connections, run)!;
        const issues = got.issues.get(String(c.connection)) ?? [];
        expect(issues.some((i) => /^tls-decrypt-failed: the first protected record of the client does not authenticate/.test(i)), `${run.client} ${run.profile}: ${issues.join('; ')}`).toBe(true);
      }
    } finally {
      got.reader.close();
    }
  });

  it('a damaged record costs only its own content: an issue there, every other frame decrypted', async () => {
    // The client's SEND is the first client packet big enough to hold its 240-byte body: flip one byte in it.
    const bytes = readFileSync(pcap);
    const run = runs.find((r) => r.client === 'python' && r.profile === 'TLS 1.3 ChaCha20-Poly1305')!;
    const at = clientPacketOffset(bytes, run.localPort, 300);
    const damaged = Buffer.from(bytes);
    damaged[at] ^= 0x40;
    const file = path.join(dir, 'damaged.pcap');
    writeFileSync(file, damaged);
    const got = await importWith('damaged', ['--tls-keylog', keylog], file);
    try {
      const c = conn(got.connections, run)!;
      const issues = got.issues.get(String(c.connection)) ?? [];
      expect(issues.filter((i) => i.startsWith('tls-'))).toEqual([expect.stringMatching(/^tls-decrypt-failed: TLS record \d+ of the client \(\d+ bytes\) does not authenticate: it is damaged/)]);
      const frames = await readJsonl<JsonlFrame>(['frames', '--db', got.db, '--connection', String(c.connection)]);
      // The broker side is whole; the SEND is lost on the client side, the frames around it are not.
      expect(frames.filter((f) => f.from === 'broker').map((f) => f.command)).toEqual(['CONNECTED', 'RECEIPT', 'MESSAGE', 'RECEIPT', 'RECEIPT']);
      expect(frames.filter((f) => f.from === 'client').map((f) => f.command)).toEqual(['CONNECT', 'SUBSCRIBE', 'DISCONNECT']);
      // The other connections are untouched.
      for (const other of runs.filter((r) => r !== run)) expect(conn(got.connections, other)!.bytes.client).toBe(other.sent.length);
    } finally {
      got.reader.close();
    }
  });

  it('a capture cut in the middle of a TLS record: imported up to the cut, marked incomplete, with issues', async () => {
    const bytes = readFileSync(pcap);
    const run = runs.find((r) => r.client === 'node' && r.profile === 'TLS 1.2 ECDHE AES-256-GCM')!;
    const at = clientPacketOffset(bytes, run.localPort, 300);
    const file = path.join(dir, 'cut.pcap');
    writeFileSync(file, bytes.subarray(0, at + 10));
    const got = await importWith('cut', ['--tls-keylog', keylog], file);
    try {
      expect(got.json.complete).toBe(false);
      const c = conn(got.connections, run)!;
      expect(c.tls).toMatchObject({ decrypted: true });
      expect(got.issues.get('null')).toEqual([expect.stringMatching(/^capture-truncated: /)]);
      // What came before the cut is there, exactly.
      const sent = got.reader.readBytes(Number(c.connection), 'client', 0, c.bytes.client)!;
      expect(run.sent.subarray(0, sent.length).equals(sent)).toBe(true);
      expect(c.bytes.client).toBeLessThan(run.sent.length);
    } finally {
      got.reader.close();
    }
  });
});

/** File offset of a payload byte in the first TLS application data packet from `clientPort` with at least `minPayload` bytes. */
function clientPacketOffset(file: Buffer, clientPort: number, minPayload: number): number {
  const reader = new PcapParserReader();
  const pkt = new TcpPacket();
  let found = -1;
  reader.parse(new Uint8Array(file.buffer, file.byteOffset, file.length), {
    packet(linkType, _time, data, orig) {
      if (found >= 0 || dissectTcp(linkType, data, orig, pkt) !== null) return;
      // An application data record (RFC 8446 §5.1 type 23) big enough: not the ClientHello.
      if (pkt.srcPort === clientPort && pkt.payload.length >= minPayload && pkt.payload[0] === 23) {
        found = pkt.payload.byteOffset - file.byteOffset + Math.floor(pkt.payload.length / 2);
      }
    },
  });
  if (found < 0) throw new Error(`no packet of ${minPayload}+ bytes from port ${clientPort}`);
  return found;
}
