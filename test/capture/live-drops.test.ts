// Drops in a live capture. Real kernel drops cannot be caused on demand, so an engine that reports them stands
// in for dumpcap: a script named dumpcap first on PATH writes a pcapng stream (a STOMP conversation with a segment
// missing, and an Interface Statistics Block counting dropped packets) and dumpcap's statistics line at SIGINT.
// Everything after the pipe is the real path: the packets dropped become a session issue, the missing segment
// a TCP gap on its connection, and the summary says how many were dropped.
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { droppedFromReport, parseInterfaceList } from '../../src-main/core/capture/live.js';
import { PcapngReader } from '../../src-main/core/capture/pcapng-reader.js';
import { readJsonl, REPO_ROOT } from '../support/proxy-cli.js';
import { concat, Conversation, pcapngFile } from './support/synth.js';

const CLI = ['--import', 'tsx', 'src-main/cli/main.ts'];

/** An Interface Statistics Block (pcapng §4.6) for interface 0 with isb_ifdrop and isb_osdrop, little-endian. */
function isb(ifdrop: number, osdrop: number): Uint8Array {
  const body = new Uint8Array(12 + 12 + 12 + 4);
  const d = new DataView(body.buffer);
  d.setUint32(0, 0, true);
  d.setUint16(12, 5, true); // isb_ifdrop
  d.setUint16(14, 8, true);
  d.setBigUint64(16, BigInt(ifdrop), true);
  d.setUint16(24, 7, true); // isb_osdrop
  d.setUint16(26, 8, true);
  d.setBigUint64(28, BigInt(osdrop), true);
  const total = 12 + body.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, 5, true);
  v.setUint32(4, total, true);
  b.set(body, 8);
  v.setUint32(total - 4, total, true);
  return b;
}

function stream(): Uint8Array {
  const body = Buffer.alloc(4000, 'x');
  const conv = new Conversation({ ip: '127.0.0.1', port: 40000 }, { ip: '127.0.0.1', port: 61613 }, { time: Date.now() * 1000 })
    .handshake()
    .send('c', Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0'))
    .send('b', Buffer.from('CONNECTED\nversion:1.2\n\n\0'))
    .send('c', Buffer.concat([Buffer.from(`SEND\ndestination:/queue/a\ncontent-length:${body.length}\n\n`), body, Buffer.from('\0')]))
    .send('c', Buffer.from('SEND\ndestination:/queue/a\n\nafter the gap\0'))
    .send('b', Buffer.from('RECEIPT\nreceipt-id:1\n\n\0'));
  const packets = conv.captured();
  // The kernel dropped the second data segment of the big SEND (the broker's ACKs show it was sent).
  const sendSegments = packets.filter((p) => p.data.length > 1000);
  const dropped = sendSegments[1];
  return concat([pcapngFile([{ interfaces: [{ linkType: 1 }], packets: packets.filter((p) => p !== dropped) }]), isb(2, 1)]);
}

describe('drops in a live capture', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-drops-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dumpcap\'s and tcpdump\'s drop reports, and pcapng interface statistics, are read', () => {
    expect(droppedFromReport("Capturing on 'Loopback: lo'\nFile: -\nPackets captured: 117\n" +
      "Packets received/dropped on interface 'Loopback: lo': 120/3 (pcap:3/dumpcap:0/flushed:0/ps_ifdrop:0) (97.5%)\n")).toBe(3);
    expect(droppedFromReport('listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n118 packets captured\n' +
      '120 packets received by filter\n2 packets dropped by kernel\n')).toBe(2);
    expect(droppedFromReport('nothing said')).toBeNull();
    const got: Array<[number, number | null, number | null]> = [];
    new PcapngReader().parse(stream(), { packet() {}, interfaceStatistics: (i, a, b) => got.push([i, a, b]) });
    expect(got).toEqual([[0, 2, 1]]);
    expect(parseInterfaceList('1. eth0\n2. any\n3. lo (Loopback)\n')).toEqual([
      { name: 'eth0', description: null }, { name: 'any', description: null }, { name: 'lo', description: 'Loopback' }]);
    expect(parseInterfaceList('1.eth0 [Up, Running, Connected]\n2.lo [Up, Running, Loopback]\n').map((i) => i.name)).toEqual(['eth0', 'lo']);
  });

  it('dropped packets become a session issue and the summary says so; the lost segment is a TCP gap', async () => {
    const file = path.join(dir, 'stream.pcapng');
    writeFileSync(file, stream());
    const fake = path.join(dir, 'bin');
    const script = path.join(fake, 'dumpcap');
    mkdirSync(fake, { recursive: true });
    writeFileSync(script, [
      '#!/bin/sh',
      'case "$1" in --version) echo "Dumpcap (stand-in) 4.0"; exit 0;; esac',
      'trap \'echo "Packets received/dropped on interface \'"\'"\'Loopback: lo\'"\'"\': 14/3 (pcap:3/dumpcap:0/flushed:0/ps_ifdrop:0) (82.4%)" >&2; exit 0\' INT TERM',
      'echo "Capturing on \'Loopback: lo\'" >&2',
      `cat '${file}'`,
      'i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done',
    ].join('\n') + '\n');
    chmodSync(script, 0o755);
    const db = path.join(dir, 'drops.db');
    const child = spawn(process.execPath, [...CLI, 'capture', '--interface', 'lo', '--db', db, '--engine', 'dumpcap'],
      { cwd: REPO_ROOT, env: { ...process.env, PATH: `${fake}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const deadline = Date.now() + 60_000;
    // Stop once the frames after the gap are recorded.
    for (;;) {
      if (child.exitCode !== null) throw new Error(`capture exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`no frames recorded: ${stderr}`);
      if (/recording session/.test(stderr)) {
        const frames = await readJsonl<{ command: string }>(['frames', '--db', db]);
        if (frames.some((f) => f.command === 'RECEIPT')) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(t);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^stompscope capture: warning: 3 packet\(s\) were dropped by the kernel or dumpcap during the capture/m);
    expect(stderr).toMatch(/^stompscope capture: session 1: \d+ packets \(3 dropped\), 1 connections, /m);
    const rows = new Database(db, { readonly: true }).prepare('SELECT connection_id c, code FROM issues ORDER BY id').all() as Array<{ c: number | null; code: string }>;
    expect(rows.filter((r) => r.c === null).map((r) => r.code)).toEqual(['capture-dropped']);
    expect(rows.filter((r) => r.c !== null).map((r) => r.code)).toContain('tcp-segments-missing');
  }, 90_000);
});
