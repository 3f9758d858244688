// Two benchmarks of the capture paths added beside the file import:
//
// import.tls.throughput: the import of a capture whose STOMP connections are TLS 1.3 (AES-128-GCM), decrypted with
// their key log, beside the import of the same STOMP streams in the clear (generated in the run: 32 connections,
// the decoder benchmark's mixed corpus broker → client, 16 KiB records, MSS-sized segments). MB are of the
// capture file; what decryption costs shows as the gap between the two.
//
// capture.throughput: frames per second that `stompscope capture` (in-process: dumpcap → pipe → reassembly →
// store) records from a STOMP stream sent as fast as the loopback takes it, beside `tcpdump -w /dev/null` capturing
// the same traffic at the same time (its figure: the stream's frames times the share of packets it did not drop,
// over the same time). Both need permission to capture (root); without it, or without dumpcap, the figures are NaN.
//
// Standalone: `npx tsx bench/capture.ts`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LiveCapture } from '../src-main/core/capture/live.js';
import { openDb } from '../src-main/core/store/db.js';
import { StoreWriter } from '../src-main/core/store/writer.js';
import { ipPacket, linkFrame, PcapFileWriter, TCP } from '../test/capture/support/synth.js';
import { tlsStreams } from '../test/capture/support/tls-synth.js';
import { buildCli, compiled } from './compiled.js';
import { buildCorpus } from './decoder.js';
import { printTable } from './table.js';
import type { BenchResult } from './types.js';

const CONNECTIONS = 32;
const MSS = 1448;
const enc = new TextEncoder();
/** Writes a capture of CONNECTIONS connections carrying these streams (round-robin, an ACK every second segment). */
function writeCapture(file: string, streams: Array<{ client: Uint8Array; broker: Uint8Array }>, port: number): number {
  const w = new PcapFileWriter(file, { linkType: 1 });
  let time = 1_700_000_000_000_000;
  let packets = 0;
  const conns = streams.map((s, i) => ({
    ...s, client_: { ip: `10.0.${i >> 8}.${(i & 255) + 1}`, port: 40000 + i }, broker_: { ip: '10.9.9.9', port },
    seqC: 1000 * i, seqB: 7_000_000 * i, offC: 0, offB: 0,
  }));
  const emit = (spec: Parameters<typeof ipPacket>[0]) => {
    time += 3;
    packets++;
    w.packet({ time, data: linkFrame('ethernet', ipPacket(spec)) });
  };
  for (const c of conns) {
    emit({ src: c.client_, dst: c.broker_, seq: c.seqC++, ack: 0, flags: TCP.SYN });
    emit({ src: c.broker_, dst: c.client_, seq: c.seqB++, ack: c.seqC, flags: TCP.SYN | TCP.ACK });
  }
  let live = conns.length;
  while (live > 0) {
    live = 0;
    for (const c of conns) {
      if (c.offC >= c.client.length && c.offB >= c.broker.length) continue;
      live++;
      if (c.offC < c.client.length) {
        const part = c.client.subarray(c.offC, c.offC + MSS);
        emit({ src: c.client_, dst: c.broker_, seq: c.seqC, ack: c.seqB, flags: TCP.ACK | TCP.PSH, payload: part });
        c.seqC = (c.seqC + part.length) >>> 0;
        c.offC += part.length;
      }
      for (let k = 0; k < 2 && c.offB < c.broker.length; k++) {
        const part = c.broker.subarray(c.offB, c.offB + MSS);
        emit({ src: c.broker_, dst: c.client_, seq: c.seqB, ack: c.seqC, flags: TCP.ACK | TCP.PSH, payload: part });
        c.seqB = (c.seqB + part.length) >>> 0;
        c.offB += part.length;
      }
      emit({ src: c.client_, dst: c.broker_, seq: c.seqC, ack: c.seqB, flags: TCP.ACK });
    }
  }
  for (const c of conns) {
    emit({ src: c.client_, dst: c.broker_, seq: c.seqC++, ack: c.seqB, flags: TCP.FIN | TCP.ACK });
    emit({ src: c.broker_, dst: c.client_, seq: c.seqB++, ack: c.seqC, flags: TCP.FIN | TCP.ACK });
    emit({ src: c.client_, dst: c.broker_, seq: c.seqC, ack: c.seqB, flags: TCP.ACK });
  }
  w.close();
  return packets;
}

export async function benchImportTls(totalBytes = 64_000_000): Promise<BenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bench-tls-'));
  try {
    const corpus = buildCorpus(Math.ceil(totalBytes / CONNECTIONS), 11);
    const connect = enc.encode('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    const connected = Buffer.concat([enc.encode('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'), corpus.bytes]);
    const expected = CONNECTIONS * (corpus.frames + 2);
    const plainFile = path.join(dir, 'plain.pcap');
    const tlsFile = path.join(dir, 'tls.pcap');
    writeCapture(plainFile, [...Array(CONNECTIONS)].map(() => ({ client: connect, broker: connected })), 61613);
    const tls = [...Array(CONNECTIONS)].map((_, i) => tlsStreams(i, connect, connected));
    const packets = writeCapture(tlsFile, tls, 61614);
    // The compiled core, as users run it (compiled.ts says why).
    buildCli();
    const { importCapture } = await compiled<typeof import('../src-main/core/capture/import-job.js')>('src-main/core/capture/import-job');
    const { KeyLog } = await compiled<typeof import('../src-main/core/capture/tls/keylog.js')>('src-main/core/capture/tls/keylog');
    const { openDb } = await compiled<typeof import('../src-main/core/store/db.js')>('src-main/core/store/db');
    const { StoreWriter } = await compiled<typeof import('../src-main/core/store/writer.js')>('src-main/core/store/writer');
    const keys = new KeyLog();
    keys.add(tls.map((t) => t.keylog).join(''));
    const run = async (file: string, keyLog: InstanceType<typeof KeyLog> | null) => {
      fs.readFileSync(file); // from the page cache, both
      const writer = new StoreWriter(openDb(path.join(dir, `${path.basename(file)}.db`)));
      const t0 = performance.now();
      const r = await importCapture(writer, file, { keyLog });
      const secs = (performance.now() - t0) / 1000;
      writer.close();
      if (!r.complete || r.frames !== expected) throw new Error(`${file}: ${r.frames} frames (expected ${expected}); ${r.warnings.join('; ')}`);
      return { secs, mb: fs.statSync(file).size / 1e6 };
    };
    const plain = await run(plainFile, null);
    const dec = await run(tlsFile, keys);
    return {
      name: 'import.tls.throughput', unit: 'MB/s', ours: dec.mb / dec.secs, baseline: plain.mb / plain.secs,
      baselineName: 'the same streams in the clear', higherIsBetter: true,
      notes: `TLS 1.3 AES-128-GCM, ${dec.mb.toFixed(0)} MB pcap (${packets.toLocaleString('en-US')} packets), ${CONNECTIONS} connections, ` +
        `${Math.round(expected / dec.secs).toLocaleString('en-US')} frames/s decrypted (${dec.secs.toFixed(2)} s); clear ${plain.mb.toFixed(0)} MB in ${plain.secs.toFixed(2)} s`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const works = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

export async function benchCaptureThroughput(totalBytes = 48_000_000): Promise<BenchResult> {
  const none: BenchResult = {
    name: 'capture.throughput', unit: 'frames/s', ours: NaN, baseline: NaN, baselineName: 'tcpdump -w /dev/null', higherIsBetter: true,
  };
  if (!works('dumpcap') || !works('tcpdump')) return { ...none, notes: 'dumpcap or tcpdump not installed' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bench-capture-'));
  const corpus = buildCorpus(totalBytes, 13);
  const stream = Buffer.concat([enc.encode('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), corpus.bytes]);
  const frames = corpus.frames + 1;
  // The receiver only reads; the sender writes the whole stream as fast as the loopback takes it.
  const server = net.createServer((s) => s.resume());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const writer = new StoreWriter(openDb(path.join(dir, 'capture.db')));
  let tcpdump: ReturnType<typeof spawn> | null = null;
  try {
    let capture: LiveCapture;
    try {
      capture = await LiveCapture.start(writer, { interface: 'lo', ports: [port], engine: 'dumpcap' });
    } catch (e) {
      return { ...none, notes: `no capture: ${(e as Error).message}` };
    }
    tcpdump = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-B', '65536', '-w', '/dev/null', `tcp port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tdErr = '';
    tcpdump.stderr!.setEncoding('utf8').on('data', (d: string) => (tdErr += d));
    for (let i = 0; i < 200 && !/listening on/.test(tdErr); i++) await new Promise((r) => setTimeout(r, 25));
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.end(stream));
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    const sentSecs = (performance.now() - t0) / 1000;
    // Ours: until every frame is recorded (or no progress for 5 s: drops), then the engine is stopped.
    let last = -1;
    let since = performance.now();
    while (capture.frames < frames && performance.now() - since < 5000) {
      if (capture.frames !== last) {
        last = capture.frames;
        since = performance.now();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    // Until the last frame recorded (not the 5 s waited for more when packets were dropped).
    const oursSecs = ((capture.frames >= frames ? performance.now() : since) - t0) / 1000;
    const s = await capture.stop();
    tcpdump.kill('SIGINT');
    await new Promise((r) => tcpdump!.once('exit', r));
    const captured = Number(/(\d+) packets? captured/.exec(tdErr)?.[1] ?? NaN);
    const dropped = Number(/(\d+) packets? dropped by kernel/.exec(tdErr)?.[1] ?? 0);
    const tdShare = captured / (captured + dropped);
    return {
      ...none,
      ours: s.frames / oursSecs,
      baseline: (frames * tdShare) / sentSecs,
      notes: `${(stream.length / 1e6).toFixed(0)} MB STOMP stream (${frames.toLocaleString('en-US')} frames) sent in ${sentSecs.toFixed(2)} s; ` +
        `recorded ${s.frames.toLocaleString('en-US')} frames in ${oursSecs.toFixed(2)} s, ${s.dropped} packets dropped (dumpcap); ` +
        `tcpdump captured ${captured} packets, ${dropped} dropped`,
    };
  } finally {
    tcpdump?.kill('SIGKILL');
    writer.close();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCapture(quick = false): Promise<BenchResult[]> {
  return [await benchImportTls(quick ? 4_000_000 : undefined), await benchCaptureThroughput(quick ? 4_000_000 : undefined)];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchCapture(process.argv.includes('--quick')));
}
