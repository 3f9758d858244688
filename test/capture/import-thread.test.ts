// Large captures are read, parsed and reassembled on a thread of their own while the importer's thread decodes and
// stores (import-worker.ts). The result must be the same, row for row, as reading in one thread: these tests import
// the same files both ways (with small reads, so that many batches cross between the threads) and compare every
// connection, frame, issue and the session's meta. Also: an abort stops the reading thread and keeps what was read.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCapture, type ImportOptions } from '../../src-main/core/capture/import-job.js';
import { KeyLog } from '../../src-main/core/capture/tls/keylog.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreWriter } from '../../src-main/core/store/writer.js';
import { importFile, tempDir, type ImportedCapture } from './support/import-helper.js';
import { concat, Conversation, pcapFile, pcapngFile, type CapturedPacket } from './support/synth.js';
import { tlsStreams } from './support/tls-synth.js';

const dir = tempDir('stompscope-import-thread-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const enc = (s: string) => Buffer.from(s, 'utf8');
const fixture = (name: string) => path.join(import.meta.dirname, 'fixtures', name);

/** What an import stored, without what differs between two imports of one file (ids, the session's own times). */
function comparable(x: ImportedCapture) {
  const { session: _s, ...result } = x.result;
  const meta = x.session ? { ...x.session.meta, recorder: undefined } : null;
  return {
    result, connections: x.connections.map((c) => ({ ...c, session: undefined })), frames: x.frames,
    issues: x.issues.map((i) => ({ ...i, connection_id: i.connection_id === null ? null : 'set' })),
    session: x.session ? { state: x.session.state, started: x.session.started, ended: x.session.ended, meta } : null,
  };
}

async function bothWays(file: string, opts: ImportOptions = {}) {
  const one = await importFile(dir, file, { ...opts, readingThread: false });
  const two = await importFile(dir, file, { ...opts, readingThread: true });
  expect(comparable(two)).toEqual(comparable(one));
  return one;
}

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Interleaved STOMP connections with text and binary bodies, a lost segment, a duplicate, segments out of order, an RST, a SYN-only flow. */
function busyCapture(): CapturedPacket[] {
  const out: CapturedPacket[] = [];
  for (let i = 0; i < 6; i++) {
    const c = new Conversation({ ip: '10.0.0.1', port: 40000 + i }, { ip: '10.0.0.2', port: 61613 }, { time: 1_700_000_000_000_000 + i * 7 })
      .handshake().send('c', enc('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0')).send('b', enc('CONNECTED\nversion:1.2\n\n\0'));
    for (let m = 0; m < 40; m++) {
      const body = m % 3 === 0 ? Buffer.alloc(3000 + m * 50, m) : enc(`message ${m} of connection ${i} `.repeat(1 + (m % 9)));
      const headers = m % 3 === 0 ? `content-length:${body.length}\n` : '';
      c.send('c', concat([enc(`SEND\ndestination:/queue/c${i}\n${headers}\n`), body, enc('\0')]));
      c.send('b', concat([enc(`MESSAGE\ndestination:/queue/c${i}\nmessage-id:${i}-${m}\nsubscription:0\n${headers}\n`), body, enc('\0\n')]));
    }
    if (i === 4) c.rst('c');
    else c.close();
    const pkts = c.captured();
    // Connection 2 lost a data segment (a gap), connection 3 had one arrive twice.
    if (i === 2) pkts.splice(41, 1);
    if (i === 3) pkts.splice(30, 0, pkts[30]);
    // Connection 5's segments arrive out of order, far apart (held by the reassembler across many reads of the file).
    if (i === 5) {
      const late = pkts.splice(21, 1)[0];
      pkts.splice(70, 0, { ...late, time: pkts[70].time - 1 });
      for (let k = 1; k < pkts.length; k++) pkts[k].time = Math.max(pkts[k].time, pkts[k - 1].time);
    }
    out.push(...pkts);
  }
  // A connection attempt that never carried data: its flow is only recorded when the capture ends.
  out.push(...new Conversation({ ip: '10.0.0.9', port: 41000 }, { ip: '10.0.0.2', port: 61613 }).handshake().captured());
  return out.sort((a, b) => a.time - b.time);
}

describe('the import\'s reading thread', () => {
  it('imports the real RabbitMQ captures (pcap and pcapng) exactly as one thread does', async () => {
    for (const name of ['rabbitmq.pcap', 'rabbitmq.pcapng']) {
      const one = await bothWays(fixture(name), { readBytes: 4096 });
      expect(one.frames.length).toBeGreaterThan(10);
    }
  });

  it('imports interleaved connections with gaps, duplicates and resets exactly as one thread does', async () => {
    const packets = busyCapture();
    const pcap = write('busy.pcap', pcapFile(packets, { linkType: 1 }));
    const one = await bothWays(pcap, { readBytes: 8192 });
    expect(one.connections.length).toBe(7);
    expect(one.issues.some((i) => i.code === 'tcp-segments-missing')).toBe(true);
    expect(one.frames.filter((f) => f.connection === one.connections[5].connection && f.command === 'SEND').length).toBe(40);
    // Nanosecond pcap and pcapng go through their own readers.
    await bothWays(write('busy-ns.pcap', pcapFile(packets, { linkType: 1, nano: true })), { readBytes: 5000 });
    await bothWays(write('busy.pcapng', pcapngFile([{ interfaces: [{ linkType: 1 }], packets }])), { readBytes: 7000 });
  });

  it('a file cut short and a file with a corrupt region end the same way as in one thread', async () => {
    const bytes = pcapFile(busyCapture(), { linkType: 1 });
    const cut = await bothWays(write('cut.pcap', bytes.subarray(0, bytes.length - 700)), { readBytes: 8192 });
    expect(cut.result.complete).toBe(false);
    expect(cut.session!.state).toBe('interrupted');
    const ng = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: busyCapture() }]);
    const damaged = Buffer.from(ng);
    damaged.fill(0xee, 20_000, 26_000);
    const bad = await bothWays(write('damaged.pcapng', damaged), { readBytes: 8192 });
    expect(bad.issues.some((i) => i.code === 'capture-corrupt')).toBe(true);
  });

  it('decrypts TLS connections with a key log exactly as one thread does', async () => {
    const client = enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0' + 'SEND\ndestination:/queue/t\n\nsecret\0'.repeat(50));
    const broker = enc('CONNECTED\nversion:1.2\n\n\0' + 'RECEIPT\nreceipt-id:1\n\n\0'.repeat(20));
    const t = tlsStreams(1, client, broker);
    const c = new Conversation({ ip: '10.0.0.1', port: 40000 }, { ip: '10.0.0.2', port: 61614 }).handshake().send('c', t.client).send('b', t.broker).close();
    const keys = new KeyLog();
    keys.add(t.keylog);
    keys.end();
    const one = await bothWays(write('tls.pcap', pcapFile(c.captured(), { linkType: 1 })), { readBytes: 4096, keyLog: keys });
    expect(one.frames.filter((f) => f.command === 'SEND').length).toBe(50);
  });

  it('an abort stops the reading thread: the session keeps what was read and ends interrupted', async () => {
    const packets = [...Array(30)].flatMap((_, k) => busyCapture().map((p) => ({ ...p, time: p.time + k * 1e7 })));
    const file = write('abort.pcap', pcapFile(packets, { linkType: 1 }));
    const db = path.join(dir, 'abort.db');
    const writer = new StoreWriter(openDb(db));
    const ac = new AbortController();
    let calls = 0;
    try {
      const r = await importCapture(writer, file, { readingThread: true, readBytes: 16 * 1024, signal: ac.signal, onProgress: () => ++calls === 5 && ac.abort() });
      expect(r.complete).toBe(false);
      expect(r.warnings).toContain('the import was interrupted');
      expect(r.bytes).toBeLessThan(fs.statSync(file).size);
      expect(r.frames).toBeGreaterThan(0);
      const s = writer.db.prepare(`SELECT state, meta FROM sessions WHERE id = ?`).get(r.session) as { state: string; meta: string };
      expect(s.state).toBe('interrupted');
      expect(JSON.parse(s.meta)).toMatchObject({ completed: false, error: 'the import was interrupted' });
      expect(writer.db.prepare(`SELECT count(*) FROM frames WHERE session_id = ?`).pluck().get(r.session)).toBe(r.frames);
    } finally {
      writer.close();
    }
  });
});
