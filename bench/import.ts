// Capture import throughput: `stompscope import` (read, dissect, reassemble, decode, store; the compiled CLI, the
// code users run, as a process of its own) against `tshark -r FILE -q -z conv,tcp` (read, dissect,
// reassemble-free TCP conversation table) on the same file, both timed as whole commands,
// generated in the run: a classic pcap of at least 200 MB holding many concurrent STOMP connections over
// Ethernet/IPv4, MSS-sized segments (1448 bytes) with an ACK every second segment, carrying the decoder
// benchmark's mixed corpus (MESSAGE/SEND with text and binary bodies, ACK/RECEIPT, heart-beats).
//
// import.throughput.2g does the same on a 2 GB capture of 500 connections. Both report each command's peak memory
// (GNU time's maximum resident set, threads included).
//
// Standalone: `npx tsx bench/import.ts [--2g]`. MB here is 10^6 bytes; times are wall clock of one run each, after a
// warm-up read of the file so that both start from the page cache.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ipPacket, linkFrame, PcapFileWriter, TCP } from '../test/capture/support/synth.js';
import { buildCli, root } from './compiled.js';
import { buildCorpus } from './decoder.js';
import { printTable } from './table.js';
import type { BenchResult } from './types.js';

const TARGET_BYTES = 210 * 1000 * 1000;
const CONNECTIONS = 32;
const MSS = 1448;

/** Writes the benchmark capture (about `targetBytes` of STOMP over `connections` connections); returns how many STOMP frames it holds. */
export function writeCapture(file: string, targetBytes = TARGET_BYTES, connections = CONNECTIONS): { frames: number; packets: number } {
  const corpus = buildCorpus(Math.ceil(targetBytes / connections), 7);
  const w = new PcapFileWriter(file, { linkType: 1 });
  let time = 1_700_000_000_000_000;
  let packets = 0;
  const conns = [...Array(connections)].map((_, i) => ({
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
  return { frames: connections * (corpus.frames + 2), packets };
}

function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Peak resident memory (bytes) of a command, from GNU time; NaN without it. */
function peakRssOf(cmd: string, args: string[], cwd = root): { secs: number; peak: number; stdout: string; stderr: string; status: number | null } {
  const hasTime = fs.existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
    : spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const secs = (performance.now() - t0) / 1000;
  const err = r.stderr.toString();
  const peak = hasTime ? Number(/(\d+)\s*$/.exec(err)?.[1] ?? NaN) * 1024 : NaN;
  return { secs, peak, stdout: r.stdout.toString(), stderr: err, status: r.status };
}

const MB = (b: number) => `${Math.round(b / 1e6).toLocaleString('en-US')} MB`;

/**
 * `stompscope import FILE --db DB --json`, the compiled CLI in a process of its own: the wall time of the whole
 * command (as tshark's is), its peak memory (threads included), and what it imported.
 */
function importWithCli(file: string, db: string): { secs: number; peak: number; frames: number; complete: boolean; warnings: string[] } {
  const run = peakRssOf(process.execPath, [path.join(root, 'bin/stompscope.js'), 'import', file, '--db', db, '--json']);
  if (run.status !== 0) throw new Error(`stompscope import failed (${run.status}): ${run.stderr}`);
  const r = JSON.parse(run.stdout) as { frames: number; complete: boolean; warnings: string[] };
  return { secs: run.secs, peak: run.peak, ...r };
}

function tshark(file: string): { secs: number; peak: number } {
  if (!tsharkAvailable()) return { secs: NaN, peak: NaN };
  const t = peakRssOf('tshark', ['-r', file, '-q', '-z', 'conv,tcp']);
  if (t.status !== 0) throw new Error(`tshark failed: ${t.stderr}`);
  if (!t.stdout.includes('10.9.9.9:61613')) throw new Error('tshark did not list the conversations');
  return t;
}

/** Reads the file once, a piece at a time, so that both contenders start from the page cache. */
function warm(file: string): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes every dirty page out (`sync`) before a command is timed. Writing the generated capture leaves up to 2 GB of
 * it in the page cache to be written back, and our import writes as much again: a command timed while the kernel
 * writes back what came before it shares two cores with that writeback and may be throttled by it (the 2 GB import
 * took 10 s or 16 s depending on it). Each command then pays only for its own writes.
 */
function settle(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

const memory = (b: number) => (Number.isFinite(b) ? MB(b) : 'not measured (no /usr/bin/time)');

async function benchImportOf({ name, bytes, connections, built }: { name: string; bytes: number; connections: number; built: boolean }): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bench-import-'));
  try {
    if (!built) buildCli();
    const file = path.join(dir, 'bench.pcap');
    const { frames: expectedFrames, packets } = writeCapture(file, bytes, connections);
    const size = fs.statSync(file).size;
    warm(file); // the page cache, for both contenders
    settle();
    const r = importWithCli(file, path.join(dir, 'bench.db'));
    if (!r.complete || r.frames !== expectedFrames) {
      throw new Error(`benchmark import is wrong: ${r.frames} frames (expected ${expectedFrames}), complete ${r.complete}, warnings ${r.warnings.join('; ')}`);
    }
    settle();
    const t = tshark(file);
    const mb = size / 1e6;
    return [{
      name, unit: 'MB/s', ours: mb / r.secs, baseline: mb / t.secs, baselineName: 'tshark -q -z conv,tcp', higherIsBetter: true,
      notes: `${MB(size)} pcap, ${packets.toLocaleString('en-US')} packets, ${connections} connections; ` +
        `${Math.round(r.frames / r.secs).toLocaleString('en-US')} frames/s (${r.frames.toLocaleString('en-US')} frames in ${r.secs.toFixed(2)} s, ` +
        `the compiled \`stompscope import\`, peak memory ${memory(r.peak)}); ` +
        `tshark ${t.secs.toFixed(2)} s${Number.isNaN(t.secs) ? ' (tshark not installed)' : `, peak memory ${memory(t.peak)}`}`,
    }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `import.throughput`: the 226 MB capture of 32 connections. */
export function benchImport(): Promise<BenchResult[]> {
  return benchImportOf({ name: 'import.throughput', bytes: TARGET_BYTES, connections: CONNECTIONS, built: false });
}

/** `import.throughput.2g`: a 2 GB capture of 500 connections (what production hands over), after benchImport (built). */
export function benchImport2g(bytes = 2000 * 1000 * 1000, connections = 500): Promise<BenchResult[]> {
  return benchImportOf({ name: 'import.throughput.2g', bytes, connections, built: true });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable([...await benchImport(), ...(process.argv.includes('--2g') ? await benchImport2g() : [])]);
}
