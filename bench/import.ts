// Capture import throughput: `importCapture` (read, dissect, reassemble, decode, store) against
// `tshark -r FILE -q -z conv,tcp` (read, dissect, reassemble-free TCP conversation table) on the same file,
// generated in the run: a classic pcap of at least 200 MB holding many concurrent STOMP connections over
// Ethernet/IPv4, MSS-sized segments (1448 bytes) with an ACK every second segment, carrying the decoder
// benchmark's mixed corpus (MESSAGE/SEND with text and binary bodies, ACK/RECEIPT, heart-beats).
//
// Standalone: `npx tsx bench/import.ts`. MB here is 10^6 bytes; times are wall clock of one run each, after a
// warm-up read of the file so that both start from the page cache.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importCapture } from '../src-main/core/capture/import-job.js';
import { openDb } from '../src-main/core/store/db.js';
import { StoreWriter } from '../src-main/core/store/writer.js';
import { ipPacket, linkFrame, PcapFileWriter, TCP } from '../test/capture/support/synth.js';
import { buildCorpus } from './decoder.js';
import { printTable } from './table.js';
import type { BenchResult } from './types.js';

const TARGET_BYTES = 210 * 1000 * 1000;
const CONNECTIONS = 32;
const MSS = 1448;

/** Writes the benchmark capture; returns how many STOMP frames it holds. */
function writeCapture(file: string): { frames: number; packets: number } {
  const corpus = buildCorpus(Math.ceil(TARGET_BYTES / CONNECTIONS), 7);
  const w = new PcapFileWriter(file, { linkType: 1 });
  let time = 1_700_000_000_000_000;
  let packets = 0;
  const conns = [...Array(CONNECTIONS)].map((_, i) => ({
    client: { ip: `10.0.${i >> 8}.${(i & 255) + 1}`, port: 40000 + i },
    broker: { ip: '10.9.9.9', port: 61613 },
    seqC: 1000 * i, seqB: 7_000_000 * i, off: 0,
  }));
  const emit = (spec: Parameters<typeof ipPacket>[0]) => {
    time += 3;
    packets++;
    w.packet({ time, data: linkFrame('ethernet', ipPacket(spec)) });
  };
  const connect = new TextEncoder().encode('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
  const connected = new TextEncoder().encode('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
  for (const c of conns) {
    emit({ src: c.client, dst: c.broker, seq: c.seqC, ack: 0, flags: TCP.SYN });
    c.seqC++;
    emit({ src: c.broker, dst: c.client, seq: c.seqB, ack: c.seqC, flags: TCP.SYN | TCP.ACK });
    c.seqB++;
    emit({ src: c.client, dst: c.broker, seq: c.seqC, ack: c.seqB, flags: TCP.ACK | TCP.PSH, payload: connect });
    c.seqC += connect.length;
    emit({ src: c.broker, dst: c.client, seq: c.seqB, ack: c.seqC, flags: TCP.ACK | TCP.PSH, payload: connected });
    c.seqB += connected.length;
  }
  // Round-robin over the connections: two segments broker → client, then the client's ACK.
  let live = conns.length;
  while (live > 0) {
    live = 0;
    for (const c of conns) {
      if (c.off >= corpus.bytes.length) continue;
      live++;
      for (let k = 0; k < 2 && c.off < corpus.bytes.length; k++) {
        const part = corpus.bytes.subarray(c.off, Math.min(corpus.bytes.length, c.off + MSS));
        emit({ src: c.broker, dst: c.client, seq: c.seqB, ack: c.seqC, flags: TCP.ACK | TCP.PSH, payload: part });
        c.seqB = (c.seqB + part.length) >>> 0;
        c.off += part.length;
      }
      emit({ src: c.client, dst: c.broker, seq: c.seqC, ack: c.seqB, flags: TCP.ACK });
    }
  }
  for (const c of conns) {
    emit({ src: c.client, dst: c.broker, seq: c.seqC, ack: c.seqB, flags: TCP.FIN | TCP.ACK });
    c.seqC++;
    emit({ src: c.broker, dst: c.client, seq: c.seqB, ack: c.seqC, flags: TCP.FIN | TCP.ACK });
    c.seqB++;
    emit({ src: c.client, dst: c.broker, seq: c.seqC, ack: c.seqB, flags: TCP.ACK });
  }
  w.close();
  return { frames: CONNECTIONS * (corpus.frames + 2), packets };
}

function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function benchImport(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bench-import-'));
  try {
    const file = path.join(dir, 'bench.pcap');
    const { frames: expectedFrames, packets } = writeCapture(file);
    const size = fs.statSync(file).size;
    fs.readFileSync(file); // warm the page cache for both contenders

    const writer = new StoreWriter(openDb(path.join(dir, 'bench.db')));
    const t0 = performance.now();
    const r = await importCapture(writer, file);
    const oursSecs = (performance.now() - t0) / 1000;
    writer.close();
    if (!r.complete || r.frames !== expectedFrames) {
      throw new Error(`benchmark import is wrong: ${r.frames} frames (expected ${expectedFrames}), complete ${r.complete}, warnings ${r.warnings.join('; ')}`);
    }

    let tsharkSecs = NaN;
    if (tsharkAvailable()) {
      const t1 = performance.now();
      const t = spawnSync('tshark', ['-r', file, '-q', '-z', 'conv,tcp'], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
      tsharkSecs = (performance.now() - t1) / 1000;
      if (t.status !== 0) throw new Error(`tshark failed: ${t.stderr}`);
      if (!t.stdout.toString().includes('10.9.9.9:61613')) throw new Error('tshark did not list the conversations');
    }
    const mb = size / 1e6;
    return [{
      name: 'import.throughput',
      unit: 'MB/s',
      ours: mb / oursSecs,
      baseline: mb / tsharkSecs,
      baselineName: 'tshark -q -z conv,tcp',
      higherIsBetter: true,
      notes: `${mb.toFixed(0)} MB pcap, ${packets.toLocaleString('en-US')} packets, ${CONNECTIONS} connections; ` +
        `${Math.round(r.frames / oursSecs).toLocaleString('en-US')} frames/s (${r.frames.toLocaleString('en-US')} frames in ${oursSecs.toFixed(2)} s); ` +
        `tshark ${tsharkSecs.toFixed(2)} s${Number.isNaN(tsharkSecs) ? ' (tshark not installed)' : ''}`,
    }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchImport());
}
