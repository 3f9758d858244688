// Flows that never carry data (a SYN flood, a port scan) are bounded: past a cap the least recently active are
// dropped and counted, so memory stays flat however many there are, and a real conversation among them is
// still imported whole.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../support/proxy-cli.js';
import { runCliMeasured } from '../support/peak-rss-run.js';
import { Conversation, PcapFileWriter, TCP, ipPacket, linkFrame, pcapFile, type CapturedPacket } from './support/synth.js';
import { importBytes, tempDir } from './support/import-helper.js';

const enc = (s: string) => Buffer.from(s, 'utf8');
const BROKER = { ip: '10.200.0.1', port: 61613 };
const START = 1_700_000_000_000_000;

/** The conversation every test must find whole among the SYNs. */
function conversation(): Conversation {
  return new Conversation({ ip: '10.9.9.9', port: 45000 }, BROKER)
    .handshake()
    .send('c', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'))
    .send('b', enc('CONNECTED\nversion:1.2\n\n\0'))
    .send('c', enc('SEND\ndestination:/queue/among-syns\n\nstill here\0'))
    .send('c', enc('DISCONNECT\nreceipt:bye\n\n\0'))
    .send('b', enc('RECEIPT\nreceipt-id:bye\n\n\0'))
    .close();
}

const EXPECTED = [
  ['client', 'CONNECT', ''], ['broker', 'CONNECTED', ''], ['client', 'SEND', 'still here'], ['client', 'DISCONNECT', ''], ['broker', 'RECEIPT', ''],
];

/** The i-th SYN of the flood: each from its own address and port, none ever answered. */
function syn(i: number, time: number): CapturedPacket {
  const src = { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60000) };
  return { time, data: linkFrame('ethernet', ipPacket({ src, dst: BROKER, seq: i * 7919, ack: 0, flags: TCP.SYN })) };
}

/** `syns` SYNs, with the conversation's packets one every `every` SYNs from SYN number `from` on. */
function* flood(syns: number, from: number, every: number): Generator<CapturedPacket> {
  const conv = conversation().captured();
  let c = 0;
  let time = START;
  for (let i = 0; i < syns; i++) {
    if (i >= from && (i - from) % every === 0 && c < conv.length) yield { ...conv[c++], time: (time += 10) };
    yield syn(i, (time += 10));
  }
  while (c < conv.length) yield { ...conv[c++], time: (time += 10) };
}

describe('flows that never carry data', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir('stompscope-flowcap-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('past the cap the least recently active are dropped and reported; the conversation among them is whole', async () => {
    const got = await importBytes(dir, pcapFile([...flood(500, 200, 5)], { linkType: 1 }), { maxQuietFlows: 50 });
    const w = got.result.warnings;
    expect(w).toEqual([expect.stringMatching(/^450 TCP flow\(s\) that never carried data \(SYNs without a conversation: .*\) were dropped, not recorded: more than 50 such flows were open at once$/)]);
    expect(got.session?.meta.flowsWithoutData).toEqual({ dropped: 450, peak: 50, max: 50 });
    expect(got.session?.state).toBe('complete');
    expect(got.frames.map((f) => [f.from, f.command, f.body])).toEqual(EXPECTED);
    // The conversation, plus the 50 SYN-only flows still held at the end (connection attempts, as before).
    expect(got.result.connections).toBe(51);
    const conv = got.connections.find((c) => c.client === '10.9.9.9:45000');
    expect(got.frames.every((f) => f.connection === conv?.connection)).toBe(true);
  });

  it('300,000 SYNs to 61613: the CLI import stays under 600 MB and still imports the one real conversation exactly', async () => {
    const pcap = path.join(dir, 'syn-flood.pcap');
    const db = path.join(dir, 'syn-flood.db');
    const w = new PcapFileWriter(pcap, { linkType: 1 });
    for (const p of flood(300_000, 150_000, 50)) w.packet(p);
    w.close();
    const r = await runCliMeasured(['import', pcap, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.peakRss).toBeLessThan(600 * 1024 * 1024);
    const out = JSON.parse(r.stdout) as { session: number; warnings: string[]; complete: boolean };
    expect(out.complete).toBe(true);
    expect(out.warnings).toEqual([expect.stringMatching(/^\d+ TCP flow\(s\) that never carried data .* were dropped, not recorded/)]);
    const frames = await readJsonl<{ from: string; command: string; body: string | null }>(['frames', '--db', db, '--session', String(out.session)]);
    expect(frames.map((f) => [f.from, f.command, f.body])).toEqual(EXPECTED);
  }, 180_000);

  it('100,000 refused connections (SYN, RST): closed flows keep nothing of their connection, memory stays under 600 MB', async () => {
    const pcap = path.join(dir, 'refused.pcap');
    const db = path.join(dir, 'refused.db');
    const w = new PcapFileWriter(pcap, { linkType: 1 });
    let time = START;
    for (let i = 0; i < 100_000; i++) {
      const s = syn(i, (time += 10));
      w.packet(s);
      const src = { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60000) };
      w.packet({ time: (time += 10), data: linkFrame('ethernet', ipPacket({ src: BROKER, dst: src, seq: 0, ack: i * 7919 + 1, flags: TCP.RST | TCP.ACK })) });
    }
    w.close();
    const r = await runCliMeasured(['import', pcap, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.peakRss).toBeLessThan(600 * 1024 * 1024);
    // Each attempt is still recorded, as before: a connection with its SYN and the broker's RST.
    expect(JSON.parse(r.stdout)).toMatchObject({ connections: 100_000, frames: 0, issues: 200_000, warnings: [], complete: true });
  }, 180_000);
});
